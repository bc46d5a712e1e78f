"""Reading a 200,000-row tax export .xlsx: mujun's reader against openpyxl, same file, same run.

`python -m bench.read_xlsx [rows]` prints the result; `run()` returns it. The goal is openpyxl ÷
mujun ≥ 5×. The file is what a tax bureau's system exports: a title row, a blank row, a header row
in Chinese, one row per taxpayer (some tax columns left empty) and a totals row, written with
xlsxwriter in constant-memory mode (inline strings, as streaming exporters write them).

mujun's time is that of `read_file` as the CLI calls it: the zip inspection, the workbook parsed by
calamine in the forked, memory-limited child, the rows streamed back and cleaned (empty cells to
None, trailing ones trimmed). openpyxl's is `load_workbook(read_only=True, data_only=True)` and
`iter_rows(values_only=True)` into lists. Both read the same number of rows; the values of a sample
of rows and every column's sum must agree, or run() raises.
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from mujun.ingest.read import read_file

GOAL = 5.0
HEADER = [
    "统一社会信用代码",
    "纳税人名称",
    "所属年度",
    "实缴税金（万元）",
    "固定资产进项税抵扣（万元）",
    "留抵退税（万元）",
    "免抵调库（万元）",
    "所属街道",
]
STREETS = ["城关街道", "东城街道", "西城街道", "开发区", "滨海街道", "高新区管委会", "北仑镇"]
PLACES = ["宁波", "镇海", "杭州", "温州", "台州", "绍兴"]
TRADES = ["机械制造", "新材料", "电子科技", "化工", "纺织", "模具", "汽车零部件", "包装印刷"]
FORMS = ["有限公司", "股份有限公司", "有限责任公司"]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def write_export(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("纳税情况")
    sheet.write(0, 0, "2023年度规模以上工业企业纳税情况表（金额单位：万元）")
    sheet.write_row(2, 0, HEADER)
    sums = [0.0] * 4
    for i in range(rows):
        code = "91" + "3302" + f"{rng.randrange(100):02d}"
        code += "".join(rng.choice(USCC_CHARS) for _ in range(10))
        name = f"{rng.choice(PLACES)}{rng.choice(PLACES)}{rng.choice(TRADES)}{i}{rng.choice(FORMS)}"
        tax = round(rng.lognormvariate(3, 1.5), 2)
        fixed = round(tax * rng.random() * 0.3, 2) if rng.random() < 0.4 else None
        refund = round(rng.uniform(0, 80), 2) if rng.random() < 0.25 else None
        exempt = round(rng.uniform(0, 20), 2) if rng.random() < 0.1 else None
        values = [tax, fixed, refund, exempt]
        for k, v in enumerate(values):
            sums[k] += v or 0.0
        sheet.write_row(3 + i, 0, [code, name, 2023, *values, rng.choice(STREETS)])
    sheet.write_row(3 + rows, 0, ["合计", None, None, *(round(s, 2) for s in sums)])
    workbook.close()


def _read_openpyxl(path: Path) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _trimmed(row: list) -> list:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def _check_agree(ours: list[list], theirs: list[list]) -> None:
    if len(ours) != len(theirs):
        raise AssertionError(f"mujun read {len(ours):,} rows, openpyxl {len(theirs):,}")
    step = max(1, len(ours) // 2000)
    for i in [*range(0, len(ours), step), *range(max(0, len(ours) - 5), len(ours))]:
        if ours[i] != _trimmed(theirs[i]):
            raise AssertionError(f"row {i + 1}: mujun {ours[i]!r} ≠ openpyxl {theirs[i]!r}")
    for column in range(3, 7):
        a = math.fsum(r[column] for r in ours[3:] if len(r) > column and r[column] is not None)
        b = math.fsum(r[column] for r in theirs[3:] if r[column] is not None)
        if a != b:
            raise AssertionError(f"column {HEADER[column]}: sums differ, {a!r} ≠ {b!r}")


def run(rows: int = 200_000, console=None, runs: int = 1) -> dict:
    """Writes the export to a temporary folder, reads it with both (best of `runs` each) and
    returns {"rows", "file_mb", "mujun_s", "openpyxl_s", "ratio"}; ratio = openpyxl_s ÷ mujun_s
    (None, as openpyxl_s, when openpyxl is not installed)."""
    say = console.print if console is not None else print
    with tempfile.TemporaryDirectory(prefix="mujun-bench-") as folder:
        path = Path(folder) / "税务_纳税情况_2023.xlsx"
        started = time.perf_counter()
        write_export(path, rows)
        file_mb = path.stat().st_size / 2**20
        say(
            f"read_xlsx: wrote {rows:,} rows, {file_mb:.1f} MB in "
            f"{time.perf_counter() - started:.1f} s"
        )

        mujun_s = math.inf
        for _ in range(runs):
            started = time.perf_counter()
            [sheet] = read_file(path)
            mujun_s = min(mujun_s, time.perf_counter() - started)
        ours = sheet.rows
        del sheet

        try:
            import openpyxl  # noqa: F401
        except ImportError:
            say("read_xlsx: openpyxl is not installed (pip install openpyxl): no comparison")
            return {
                "rows": rows,
                "file_mb": file_mb,
                "mujun_s": mujun_s,
                "openpyxl_s": None,
                "ratio": None,
            }
        openpyxl_s = math.inf
        for _ in range(runs):
            started = time.perf_counter()
            theirs = _read_openpyxl(path)
            openpyxl_s = min(openpyxl_s, time.perf_counter() - started)
        _check_agree(ours, theirs)
    result = {
        "rows": rows,
        "file_mb": round(file_mb, 1),
        "mujun_s": round(mujun_s, 3),
        "openpyxl_s": round(openpyxl_s, 3),
        "ratio": round(openpyxl_s / mujun_s, 2),
    }
    verdict = "met" if result["ratio"] >= GOAL else "MISSED"
    say(
        f"read_xlsx: {len(ours):,} rows read the same by both; mujun {mujun_s:.2f} s, openpyxl "
        f"{openpyxl_s:.2f} s: {result['ratio']:.1f}× faster (goal ≥ {GOAL:.0f}×: {verdict})"
    )
    return result


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000))
