"""Write evaluation results to the file the user names: .csv, .parquet or .xlsx by its suffix."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mujun.engine import Evaluation
from mujun.engine.evaluate import published_order
from mujun.reports.cells import escape_text

SUFFIXES = (".csv", ".parquet", ".xlsx")


class OutputError(ValueError):
    pass


def check_suffix(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise OutputError(f"{path}: output must end in {', '.join(SUFFIXES)}")
    return path


def write_frame(frame: pl.DataFrame, path: str | Path) -> None:
    """A plain table as .csv (text that starts like a formula escaped, mujun.reports.cells) or
    .parquet (as it is: data, not opened by spreadsheets); for .xlsx, the workbook writers below."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise OutputError(f"{path}: output must end in .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        escape_text(frame).write_csv(path, null_value="")
    else:
        frame.write_parquet(path, statistics=False)


def write_table(frame: pl.DataFrame, path: str | Path, title: str = "", sheet: str = "表") -> None:
    """A plain result table by its suffix: .csv, .parquet, or a one-sheet .xlsx workbook."""
    path = check_suffix(path)
    if path.suffix.lower() == ".xlsx":
        from mujun.reports.published import write_table_workbook

        path.parent.mkdir(parents=True, exist_ok=True)
        write_table_workbook(frame, path, title, sheet)
    else:
        write_frame(frame, path)


def _write(ev: Evaluation, path: str | Path, frame: pl.DataFrame, workbook) -> None:
    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        workbook(ev, path)
    else:
        write_frame(frame, path)


def write_enterprises(ev: Evaluation, path: str | Path) -> None:
    """The enterprise results: the contract's columns; .xlsx is the published list workbook."""
    from mujun.reports.published import write_published

    _write(ev, path, published_order(ev.enterprises), write_published)


def write_parcels(ev: Evaluation, path: str | Path) -> None:
    """The parcel view, one row per parcel."""
    from mujun.reports.published import write_parcels_workbook

    _write(ev, path, ev.parcels, write_parcels_workbook)
