"""What an ingest tells the analyst: `ingest-report.xlsx` (a summary, then one sheet per problem
kind, each row pointing at file, sheet, row and column) and, with --keep-going, the rejected rows,
unchanged, in `rejects/`."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import polars as pl
import xlsxwriter

from mujun.dataset.io import FIXED_TIMESTAMP
from mujun.ingest import IngestResult
from mujun.ingest.problems import KIND_LABELS
from mujun.ingest.values import text_of
from mujun.reports.cells import escape_cell

# the annual amounts that are some indicator's denominator (mujun.engine.indicators), and who
# supplies each: a firm missing one is `no_data` in a preset without a sourced average for it
QUERIED = {
    "revenue": ("营业收入", "统计局 / 税务局"),
    "energy_tce": ("综合能耗", "统计局（能源）"),
    "emissions_eq": ("主要污染物排放当量", "生态环境局"),
    "employees": ("从业人员", "统计局 / 人社局"),
    "electricity_kwh": ("用电量", "供电公司"),
}


def data_queries(ds) -> pl.DataFrame:
    """Each firm-year whose denominator of an indicator is missing or zero: a query to send back
    to the bureau that supplies it, before the evaluation makes the firm `no_data`."""
    rows = []
    names = dict(zip(ds.enterprises["uscc"], ds.enterprises["name"], strict=True))
    for column, (label, bureau) in QUERIED.items():
        if column not in ds.annual.columns:
            continue
        part = ds.annual.filter(pl.col(column).is_null() | (pl.col(column) == 0)).sort(
            "uscc", "year"
        )
        for uscc, year, value in part.select("uscc", "year", column).iter_rows():
            rows.append(
                {
                    "uscc": uscc,
                    "name": names.get(uscc, ""),
                    "year": year,
                    "item": label,
                    "value": "空" if value is None else "0",
                    "ask": bureau,
                }
            )
    schema = dict.fromkeys(("uscc", "name", "item", "value", "ask"), pl.String) | {"year": pl.Int64}
    return pl.DataFrame(rows, schema=schema).sort("uscc", "year", "item")


def write_report(result: IngestResult, path: Path) -> None:
    book = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False}
    )
    book.set_properties({"created": FIXED_TIMESTAMP, "title": "ingest report"})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
    summary = book.add_worksheet("概要 summary")
    head = [
        "文件 file",
        "工作表 sheet",
        "识别为 layout",
        "表头行 header rows",
        "数据行 data rows",
        "读取的列 columns",
    ]
    summary.write_row(0, 0, head, bold)
    for r, s in enumerate(result.sheets, start=1):
        summary.write_row(
            r,
            0,
            [
                s.file,
                s.sheet,
                s.profile,
                ", ".join(map(str, s.header_rows)),
                s.data_rows,
                " | ".join(s.columns),
            ],
        )
    r = len(result.sheets) + 2
    counts = defaultdict(lambda: [0, 0])
    for p in result.problems:
        counts[p.kind][0 if p.severity == "error" else 1] += 1
    summary.write_row(r, 0, ["问题 kind", "错误 errors", "提示 warnings"], bold)
    for i, (kind, (e, w)) in enumerate(sorted(counts.items()), start=1):
        summary.write_row(r + i, 0, [KIND_LABELS.get(kind, kind), e, w])
    r += len(counts) + 2
    summary.write_row(
        r,
        0,
        [
            "结果 outcome",
            "已写入 written" if result.dataset is not None else "未写入 nothing written",
        ],
        bold,
    )
    summary.write_row(r + 1, 0, ["剔除行 rejected rows", len(result.rejected)])
    summary.set_column(0, 0, 28)
    summary.set_column(1, 4, 16)
    summary.set_column(5, 5, 80)
    summary.freeze_panes(1, 0)
    by_kind = defaultdict(list)
    for p in result.problems:
        by_kind[p.kind].append(p)
    for kind in sorted(by_kind):
        sheet = book.add_worksheet(kind[:31])
        sheet.write_row(
            0,
            0,
            ["文件 file", "工作表 sheet", "行 row", "列 column", "级别 severity", "说明 reason"],
            bold,
        )
        for i, p in enumerate(
            sorted(by_kind[kind], key=lambda p: (p.file, p.sheet, p.row or 0, p.column)), start=1
        ):
            sheet.write_string(i, 0, p.file)
            sheet.write_string(i, 1, p.sheet)
            if p.row is not None:
                sheet.write_number(i, 2, p.row)
            sheet.write_string(i, 3, p.column)
            sheet.write_string(i, 4, p.severity)
            sheet.write_string(i, 5, p.reason)
        sheet.set_column(0, 1, 24)
        sheet.set_column(3, 3, 24)
        sheet.set_column(5, 5, 100)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, len(by_kind[kind]), 5)
    if result.dataset is not None:
        queries = data_queries(result.dataset)
        sheet = book.add_worksheet("待核实数据 data queries")
        head = ["统一社会信用代码", "企业名称", "年度", "数据项", "现值", "请核实单位"]
        sheet.write_row(0, 0, head, bold)
        order = ("uscc", "name", "year", "item", "value", "ask")
        for i, (uscc, name, year, item, value, ask) in enumerate(
            queries.select(order).iter_rows(), start=1
        ):
            sheet.write_row(i, 0, [uscc, escape_cell(name), year, item, value, ask])
        sheet.set_column(0, 1, 24)
        sheet.set_column(3, 5, 18)
        sheet.freeze_panes(1, 0)
        summary.write_row(r + 2, 0, ["待核实数据 data queries", queries.height])
    book.close()


def write_rejects(result: IngestResult, folder: Path) -> list[Path]:
    """Each file's rejected rows, unchanged, under its header rows: rejects/<file>[ <sheet>].csv"""
    rows = defaultdict(list)
    for file, sheet, row in result.rejected:
        rows[(file, sheet)].append(row)
    written = []
    if rows:
        folder.mkdir(parents=True, exist_ok=True)
    for (file, sheet), numbers in sorted(rows.items()):
        raw = result.raw[(file, sheet)]
        stem = Path(file).stem + (f" {sheet}" if sheet else "")
        target = folder / (re.sub(r"[\\/:*?\"<>|]", "_", stem) + ".csv")
        with target.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            for n in result.header_rows[(file, sheet)]:
                writer.writerow([text_of(c) if c is not None else "" for c in raw.rows[n - 1]])
            for n in sorted(numbers):
                writer.writerow([_cell(c) for c in raw.rows[n - 1]])
        written.append(target)
    return written


def _cell(c: object) -> str:
    if c is None:
        return ""
    if hasattr(c, "isoformat"):
        return c.isoformat()
    return text_of(c)
