"""The published list (.xlsx): what the bureau publishes after an evaluation.

A cover sheet with the methodology's name and hash and the input hash, one sheet per list
(规上, 规下≥3亩, 规下<3亩, 租赁企业) and a parcels sheet; Chinese headers, frozen header row, number
formats. The same evaluation always gives the same bytes (fixed workbook timestamp, sorted rows).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import xlsxwriter

from mujun.dataset.io import FIXED_TIMESTAMP
from mujun.dataset.reference import divisions, industry_name
from mujun.engine import LISTS, Evaluation
from mujun.engine.evaluate import published_order
from mujun.reports.cells import escape_cell
from mujun.reports.disclosure import Audience
from mujun.reports.labels import GROUP_LABELS, LIST_LABELS, STATUS_LABELS, label

_FORMATS = {
    "share": "0.0%",
    "money": "#,##0.00",
    "ratio": "0.0000",
    "score": "0.00",
    "int": "0",
}


def _kind(column: str) -> str | None:
    if column in ("rank", "year", "occupants"):
        return "int"
    if column.endswith("_share") or column in ("ind_rd_intensity", "bm_rd_intensity"):
        return "share"
    if column.startswith("score_") or column in ("total_score", "bonus", "deduction"):
        return "score"
    if column in ("ind_tax_per_kwh", "bm_tax_per_kwh", "surcharge_rate"):
        return "ratio"
    return "money"


def _readable(frame: pl.DataFrame) -> pl.DataFrame:
    """Codes turned into the words a reader expects, beside the codes themselves."""
    names = divisions()
    out = frame
    if "division_code" in out.columns:
        out = out.with_columns(
            pl.col("division_code")
            .replace_strict(names, default="", return_dtype=pl.String)
            .alias("division")
        )
    if "industry_code" in out.columns:
        codes = out.get_column("industry_code").unique().drop_nulls().to_list()
        out = out.with_columns(
            pl.col("industry_code")
            .replace_strict(
                {c: industry_name(c) for c in codes}, default="", return_dtype=pl.String
            )
            .alias("industry")
        )
    for column, labels in (
        ("group", GROUP_LABELS),
        ("list", LIST_LABELS),
        ("status", STATUS_LABELS),
    ):
        if column in out.columns:
            out = out.with_columns(pl.col(column).replace_strict(labels, default=pl.col(column)))
    if "landlord" in out.columns:
        out = out.with_columns(
            pl.when(pl.col("landlord")).then(pl.lit("是")).otherwise(pl.lit("")).alias("landlord")
        )
    order = list(frame.columns)
    if "division" in out.columns:
        order.insert(order.index("division_code") + 1, "division")
    if "industry" in out.columns:
        order.insert(order.index("industry_code") + 1, "industry")
    return out.select(order)


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, frame: pl.DataFrame, formats: dict, methodology=None
) -> None:
    sheet = book.add_worksheet(name)
    header = formats["header"]
    for c, column in enumerate(frame.columns):
        sheet.write_string(0, c, label(column, methodology), header)
        kind = None if frame.schema[column] == pl.String else _kind(column)
        width = 12 if kind else 16
        if column in ("name", "reason", "occupant_usccs", "industry"):
            width = 30 if column != "reason" else 50
        if column in ("uscc", "owner_uscc"):
            width = 21
        sheet.set_column(c, c, width, formats.get(kind))
        for r, value in enumerate(frame.get_column(column).to_list(), start=1):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, escape_cell(value))
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            else:
                sheet.write_number(r, c, value)
    sheet.freeze_panes(1, 2 if "name" in frame.columns else 1)
    if frame.height:
        sheet.autofilter(0, 0, frame.height, len(frame.columns) - 1)


def _cover(
    book: xlsxwriter.Workbook,
    ev: Evaluation,
    enterprises: pl.DataFrame,
    parcels: pl.DataFrame,
    audience: Audience,
    formats: dict,
) -> None:
    sheet = book.add_worksheet("封面")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 6, 18)
    sheet.write_string(0, 0, f"{ev.year}年度 工业企业亩均效益综合评价结果", formats["title"])
    rows = [
        ("评价年度", str(ev.year)),
        ("评价办法", ev.methodology.title),
        ("办法代号", ev.methodology.name),
        ("办法哈希 (methodology SHA-256)", ev.methodology_hash),
        ("数据哈希 (input SHA-256)", ev.input_hash),
        (
            "无出处的示意数值 (illustrative values)",
            str(len(ev.methodology.illustrative(evaluation=True))),
        ),
        ("企业数", str(enterprises.height)),
        ("宗地数", str(parcels.height)),
    ]
    if not audience.whole:  # the bureau's full list says nothing here: its bytes stay the same
        rows.append(("本表范围", audience.describe(divisions().get(audience.division or ""))))
    for r, (key, value) in enumerate(rows, start=2):
        sheet.write_string(r, 0, key, formats["header"])
        sheet.write_string(r, 1, value)
    r = len(rows) + 3
    sheet.write_string(r, 0, "名单", formats["header"])
    columns = ["A", "B", "C", "D", "未定级"]
    for c, g in enumerate(columns, start=1):
        sheet.write_string(r, c, g, formats["header"])
    counts = enterprises.group_by("list", "grade").len()
    for i, name in enumerate(LISTS, start=1):
        sheet.write_string(r + i, 0, LIST_LABELS[name])
        for c, g in enumerate(columns, start=1):
            cond = pl.col("grade").is_null() if g == "未定级" else pl.col("grade") == g
            n = counts.filter((pl.col("list") == name) & cond).get_column("len").sum()
            sheet.write_number(r + i, c, n)


def _workbook(path: str | Path, title: str) -> tuple[xlsxwriter.Workbook, dict]:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    book.set_properties({"created": FIXED_TIMESTAMP, "title": title})
    formats = {k: book.add_format({"num_format": v}) for k, v in _FORMATS.items()}
    formats["header"] = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
    )
    formats["title"] = book.add_format({"bold": True, "font_size": 14})
    return book, formats


def write_parcels_workbook(ev: Evaluation, path: str | Path) -> None:
    """The parcel view alone, as a one-sheet workbook."""
    book, formats = _workbook(path, f"{ev.year} 宗地亩均效益")
    _write_sheet(book, "宗地", _readable(ev.parcels), formats)
    book.close()


def write_published(ev: Evaluation, path: str | Path, audience: Audience | None = None) -> None:
    """Write the published list workbook for one evaluation: the whole list, or what `audience`
    may see of it (a division's firms; no single firm's tax)."""
    audience = audience or Audience()
    enterprises = audience.enterprises(ev.enterprises)
    parcels = audience.parcels(ev.parcels, ev.enterprises)
    book, formats = _workbook(path, f"{ev.year} 亩均效益综合评价")
    _cover(book, ev, enterprises, parcels, audience, formats)
    ordered = published_order(enterprises)
    if not ev.methodology.publication.ranked:  # 排名不分先后: by grade, then code, no rank
        ordered = ordered.sort(
            pl.col("list").replace_strict(
                {n: i for i, n in enumerate(LISTS)}, return_dtype=pl.Int64
            ),
            pl.col("grade"),
            pl.col("uscc"),
            nulls_last=True,
        ).drop("rank")
    readable = _readable(ordered)
    for name in LISTS:
        part = readable.filter(pl.col("list") == LIST_LABELS[name])
        # a list shows only its own group's indicators
        empty = [
            c
            for c in part.columns
            if c.startswith(("ind_", "score_")) and part.get_column(c).null_count() == part.height
        ]
        _write_sheet(book, LIST_LABELS[name], part.drop(empty), formats, ev.methodology)
    _write_sheet(book, "宗地", _readable(parcels), formats)
    book.close()


def write_table_workbook(frame: pl.DataFrame, path: str | Path, title: str, sheet: str) -> None:
    """A plain result table as a one-sheet workbook (dates written as ISO text)."""
    book, formats = _workbook(path, title)
    dates = [c for c, t in frame.schema.items() if t in (pl.Date, pl.Datetime)]
    _write_sheet(book, sheet, frame.with_columns(pl.col(dates).cast(pl.String)), formats)
    book.close()
