"""Read and write the canonical dataset: a folder of .csv / .parquet files, or one .xlsx workbook.

Reading is in two steps. `read_raw` turns each file into a frame of text cells plus where each row
came from; `mujun.dataset.validate.parse` then casts it to the contract's types, collecting every
cell that does not fit. Only then is a `Dataset` built, so a bad file never reaches the engine.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mujun.dataset.problems import DatasetError, Problem
from mujun.dataset.schema import TABLES

FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)
"""Written into workbook metadata so that the same data always gives the same bytes."""


@dataclass(frozen=True)
class RawTable:
    """One table as read: every cell as text (empty cells null), and where its rows came from."""

    name: str
    frame: pl.DataFrame
    file: str
    first_row: int
    """The file row of the frame's first row (2 below a header line)."""


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _frame_from_rows(rows: list[list[object]], label: str) -> pl.DataFrame:
    if not rows:
        raise DatasetError([Problem("", None, None, "the sheet is empty", "empty", label)], label)
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    width = len(header)
    data: dict[str, list[str | None]] = {h: [] for h in header if h}
    # blank rows are kept (as nulls) so that row numbers match the sheet; validation drops them
    for row in rows[1:]:
        cells = list(row) + [None] * (width - len(row))
        for h, v in zip(header, cells, strict=False):
            if h:
                data[h].append(_cell_text(v))
    return pl.DataFrame(data, schema={h: pl.String for h in data})


def _read_xlsx(path: Path) -> dict[str, RawTable]:
    # the one guarded workbook reader (zip checks, sheet sizes, a sandboxed parser), imported here:
    # mujun.ingest builds on this package
    from mujun.ingest.read import ReadError, read_file

    try:
        sheets = read_file(path, sheets=[t.name for t in TABLES])
    except ReadError as exc:
        label = f"{path.name} sheet {exc.sheet}" if exc.sheet else path.name
        raise DatasetError(
            [
                Problem(
                    exc.sheet,
                    None,
                    None,
                    f"cannot read workbook: {exc.reason}",
                    "unreadable",
                    label,
                )
            ],
            str(path),
        ) from None
    tables = {}
    for sheet in sheets:
        label = f"{path.name} sheet {sheet.name}"
        tables[sheet.name] = RawTable(sheet.name, _frame_from_rows(sheet.rows, label), label, 2)
    return tables


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as exc:
        raise DatasetError(
            [Problem(path.stem, None, None, f"cannot read CSV: {exc}", "unreadable", path.name)],
            str(path),
        ) from None


def _read_parquet(path: Path) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:
        raise DatasetError(
            [
                Problem(
                    path.stem, None, None, f"cannot read Parquet: {exc}", "unreadable", path.name
                )
            ],
            str(path),
        ) from None


def read_raw(path: str | Path) -> dict[str, RawTable]:
    """Every table found at `path` (a folder or an .xlsx workbook), as text cells."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
        return _read_xlsx(path)
    if not path.is_dir():
        raise DatasetError(
            [Problem("", None, None, "not a folder or an .xlsx workbook", "missing", str(path))],
            str(path),
        )
    tables: dict[str, RawTable] = {}
    for table in TABLES:
        found = [path / f"{table.name}{ext}" for ext in (".csv", ".parquet")]
        found = [f for f in found if f.exists()]
        if len(found) > 1:
            raise DatasetError(
                [
                    Problem(
                        table.name,
                        None,
                        None,
                        "both .csv and .parquet present: keep one",
                        "ambiguous",
                        str(path),
                    )
                ],
                str(path),
            )
        if not found:
            continue
        f = found[0]
        if not f.is_file():  # a named pipe would block the reader forever: never opened
            raise DatasetError(
                [
                    Problem(
                        table.name,
                        None,
                        None,
                        f"not a regular file (a named pipe, device or folder): expected a "
                        f"{f.suffix} file",
                        "unreadable",
                        f.name,
                    )
                ],
                str(path),
            )
        if f.suffix == ".csv":
            tables[table.name] = RawTable(table.name, _read_csv(f), f.name, 2)
        else:
            tables[table.name] = RawTable(table.name, _read_parquet(f), f.name, 1)
    return tables


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, date_format="%Y-%m-%d", null_value="")
    return buffer.getvalue()


def write_tables(tables: dict[str, pl.DataFrame], path: str | Path, fmt: str = "csv") -> None:
    """Write canonical tables to a folder (`fmt` csv or parquet), or to one workbook for an .xlsx
    path."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(tables, path)
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        for stale in (path / f"{name}.csv", path / f"{name}.parquet"):
            stale.unlink(missing_ok=True)
        if fmt == "parquet":
            frame.write_parquet(path / f"{name}.parquet", statistics=False)
        else:
            (path / f"{name}.csv").write_bytes(_csv_bytes(frame))


def _write_xlsx(tables: dict[str, pl.DataFrame], path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True}
    )
    workbook.set_properties({"created": FIXED_TIMESTAMP})
    for name, frame in tables.items():
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, frame.columns)
        for c, col in enumerate(frame.columns):
            series = frame[col]
            values = series.dt.strftime("%Y-%m-%d") if series.dtype == pl.Date else series
            for r, v in enumerate(values.to_list(), start=1):
                if v is None:
                    continue
                if isinstance(v, str):
                    sheet.write_string(r, c, v)
                else:
                    sheet.write_number(r, c, v)
        sheet.freeze_panes(1, 0)
    workbook.close()
