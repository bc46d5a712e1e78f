"""The canonical dataset: the tables of design.md's contract, read, validated, hashed and written.

A `Dataset` is valid by construction: `load` and `Dataset.from_frames` validate first and raise
`DatasetError` with every problem, so the engine never sees a dataset that does not validate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from mujun.dataset.io import RawTable, read_raw, write_tables
from mujun.dataset.problems import DatasetError, Problem
from mujun.dataset.schema import ADDED_LATER, M2_PER_MU, TABLE, TABLES
from mujun.dataset.validate import ROW, validate_raw

__all__ = ["M2_PER_MU", "Dataset", "DatasetError", "Problem", "check", "load"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """The canonical tables, typed as the contract says, every column present (optional ones
    null)."""

    enterprises: pl.DataFrame
    annual: pl.DataFrame
    parcels: pl.DataFrame
    occupancy: pl.DataFrame
    events: pl.DataFrame
    qualifications: pl.DataFrame
    projects: pl.DataFrame
    talents: pl.DataFrame
    exemptions: pl.DataFrame
    land_confirmations: pl.DataFrame

    @classmethod
    def from_frames(cls, today: dt.date | None = None, **frames: pl.DataFrame) -> Dataset:
        """Validate in-memory tables (rows numbered from 1) and build a dataset, or raise."""
        unknown = set(frames) - set(TABLE)
        if unknown:
            raise TypeError(f"unknown tables: {sorted(unknown)}")
        raw = {name: RawTable(name, f, name, 1) for name, f in frames.items()}
        return _build(raw, "dataset", today)

    def tables(self) -> dict[str, pl.DataFrame]:
        return {t.name: getattr(self, t.name) for t in TABLES}

    def canonical(self) -> Dataset:
        """The same data with every table sorted by its key (computed once): computations over it
        sum floats in one order, so the same data gives the same bits whatever its row order."""
        cached = self.__dict__.get("_canonical")
        if cached is None:
            # always sorted, even when already in order: Polars takes other (and differently
            # rounding) paths on frames it knows to be sorted
            tables = {
                t.name: getattr(self, t.name).sort(list(t.key), nulls_last=True) for t in TABLES
            }
            cached = Dataset(**tables)
            cached.__dict__["_canonical"] = cached
            self.__dict__["_canonical"] = cached
        return cached

    def fingerprint(self) -> str:
        """SHA-256 of the content, independent of file format, row order and absent optional
        columns (computed once per dataset).

        Each column is hashed as raw values in key order: numbers as little-endian IEEE doubles
        (floats at 15 significant digits, the precision an .xlsx workbook keeps), dates and integers
        as 64-bit integers, text joined with a separator, and every column's nulls as a mask.
        """
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            canonical = self.canonical()
            digest = hashlib.sha256()
            for table in TABLES:
                frame = getattr(canonical, table.name)
                if (table.name, "*") in ADDED_LATER and frame.height == 0:
                    continue
                digest.update(f"{table.name}:{frame.height}\n".encode())
                for column in table.names:
                    series = frame.get_column(column)
                    if (table.name, column) in ADDED_LATER and series.null_count() == len(series):
                        continue
                    digest.update(_column_bytes(series))
            cached = digest.hexdigest()
            self.__dict__["_fingerprint"] = canonical.__dict__["_fingerprint"] = cached
        return cached

    def years(self) -> list[int]:
        return sorted(self.annual.get_column("year").unique().to_list())

    def write(self, path: str | Path, fmt: str = "csv") -> None:
        """Write every table to a folder (csv or parquet) or, for an .xlsx path, one workbook."""
        write_tables(self.tables(), path, fmt)


def _round_sig(x: np.ndarray, digits: int) -> np.ndarray:
    """Round to `digits` significant digits (0, inf and nan stay as they are)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        magnitude = np.floor(np.log10(np.abs(x)))
        scale = np.where(np.isfinite(magnitude), 10.0 ** (digits - 1 - magnitude), 1.0)
        return np.where(np.isfinite(magnitude), np.round(x * scale) / scale, x)


def _column_bytes(series: pl.Series) -> bytes:
    nulls = series.is_null().to_numpy().tobytes()
    if series.dtype == pl.Float64:
        values = _round_sig(series.fill_null(0.0).to_numpy(), 15).astype("<f8").tobytes()
    elif series.dtype in (pl.Int64, pl.Date):
        values = series.cast(pl.Int64).fill_null(0).to_numpy().astype("<i8").tobytes()
    else:
        values = series.fill_null("").str.join("\x1f").item().encode()
    return series.name.encode() + b"\x1e" + nulls + values


def _build(raw: dict[str, RawTable], context: str, today: dt.date | None) -> Dataset:
    frames, problems = validate_raw(raw, today)
    if problems:
        raise DatasetError(problems, context)
    return Dataset(**{name: frame.drop(ROW) for name, frame in frames.items()})


def check(path: str | Path, today: dt.date | None = None) -> list[Problem]:
    """Every problem in the dataset at `path` (empty when it is valid)."""
    try:
        _frames, problems = validate_raw(read_raw(path), today)
    except DatasetError as exc:
        return exc.problems
    return problems


def load(path: str | Path, today: dt.date | None = None) -> Dataset:
    """Read and validate the dataset at `path` (folder of .csv/.parquet, or an .xlsx workbook)."""
    return _build(read_raw(path), str(path), today)
