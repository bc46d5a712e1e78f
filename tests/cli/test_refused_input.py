"""Hostile and odd input files, as users hand them to the real `mujun` executable: each is refused
with exit code 1 and a message naming the file, never a crash, a traceback or a hang."""

from __future__ import annotations

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
