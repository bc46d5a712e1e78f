"""Write evaluation results to the file the user names: .csv, .parquet or .xlsx by its suffix."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mujun.engine import Evaluation

SUFFIXES = (".csv", ".parquet", ".xlsx")


class OutputError(ValueError):
    pass


def check_suffix(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise OutputError(f"{path}: output must end in {', '.join(SUFFIXES)}")
    return path


def _write_frame(frame: pl.DataFrame, path: Path) -> None:
    if path.suffix.lower() == ".csv":
        frame.write_csv(path, null_value="")
    else:
        frame.write_parquet(path, statistics=False)


def write_enterprises(ev: Evaluation, path: str | Path) -> None:
    """The enterprise results: the contract's columns; .xlsx is the published list workbook."""
    from mujun.reports.published import write_published

    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        write_published(ev, path)
    else:
        _write_frame(ev.enterprises, path)


def write_parcels(ev: Evaluation, path: str | Path) -> None:
    """The parcel view, one row per parcel."""
    from mujun.reports.published import write_parcels_workbook

    path = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        write_parcels_workbook(ev, path)
    else:
        _write_frame(ev.parcels, path)
