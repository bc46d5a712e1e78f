"""Hostile and odd input files, as users hand them to the real `mujun` executable: each is refused
with exit code 1 and a message naming the file, never a crash, a traceback or a hang."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from hostile import hostile_canonical_workbook
from test_commands import run


def assert_refused(done, *needles: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def test_a_hostile_canonical_workbook_is_refused_by_validate_and_evaluate(tmp_path):
    """2 KB, sheets enterprises/annual/parcels with a cell at XFD1048576: calamine in-process
    aborted with a Rust backtrace (exit 134)."""
    (tmp_path / "hostile.xlsx").write_bytes(hostile_canonical_workbook())
    needles = ("hostile.xlsx sheet enterprises", "XFD1048576", "over the limit of 1,000")
    assert_refused(run("validate", "hostile.xlsx", cwd=tmp_path), *needles)
    done = run("evaluate", "hostile.xlsx", "--year", "2022", "--out", "r.csv", cwd=tmp_path)
    assert_refused(done, *needles)
    assert not (tmp_path / "r.csv").exists()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A valid 30-firm district as Parquet (d/) and as CSV (c/), to be copied and broken."""
    root = tmp_path_factory.mktemp("small")
    for fmt, out in (("parquet", "d"), ("csv", "c")):
        done = run(
            "synth", "--enterprises", "30", "--years", "2021-2022", "--format", fmt, "--out", out,
            cwd=root,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return root


def copy(small: Path, folder: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(small / folder, tmp_path / "d"))


def test_an_infinite_tax_in_parquet_is_refused(small, tmp_path):
    """It used to pass validation, and made almost every firm an A."""
    d = copy(small, "d", tmp_path)
    annual = pl.read_parquet(d / "annual.parquet")
    tax = annual.get_column("tax_paid").scatter(0, float("inf"))
    annual.with_columns(tax).write_parquet(d / "annual.parquet")
    needle = "annual.parquet row 1, column tax_paid: expected a number, got 'inf'"
    assert_refused(run("validate", "d", cwd=tmp_path), needle)
    assert_refused(run("evaluate", "d", "--year", "2022", "--out", "r.csv", cwd=tmp_path), needle)


def test_a_parquet_column_of_lists_is_refused(small, tmp_path):
    d = copy(small, "d", tmp_path)
    annual = pl.read_parquet(d / "annual.parquet")
    annual.with_columns(pl.concat_list("revenue")).write_parquet(d / "annual.parquet")
    assert_refused(
        run("validate", "d", cwd=tmp_path),
        "annual.parquet, column revenue: expected a number in each cell, got a column of type "
        "List(Float64)",
    )


def test_a_named_pipe_in_the_dataset_folder_is_refused_without_opening_it(small, tmp_path):
    """Opening a FIFO blocks until something writes to it: validate used to hang for ever."""
    d = copy(small, "c", tmp_path)
    (d / "events.csv").unlink(missing_ok=True)
    os.mkfifo(d / "events.csv")
    assert_refused(
        run("validate", "d", cwd=tmp_path, timeout=60),
        "events.csv: not a regular file (a named pipe, device or folder): expected a .csv file",
    )


def test_ingest_into_an_existing_file_is_refused(tmp_path):
    (tmp_path / "税务.csv").write_text("统一社会信用代码,纳税人名称\n", encoding="utf-8")
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    assert_refused(
        run("ingest", "税务.csv", "--out", "out", cwd=tmp_path),
        "out: cannot be the output folder: it exists and is not a folder",
    )
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a folder"
