"""`mujun evaluate --out` escapes firm names that a spreadsheet would run as formulas."""

from __future__ import annotations

import csv

import pytest
from python_calamine import CalamineWorkbook
from test_commands import run

NAMES = ['=HYPERLINK("http://evil.example","点此")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-1+1"]


@pytest.fixture(scope="module")
def hostile_names(tmp_path_factory):
    """A 30-firm district in which four firms are named like formulas."""
    root = tmp_path_factory.mktemp("names")
    done = run("synth", "--enterprises", "30", "--years", "2021-2022", "--out", "d", cwd=root)
    assert done.returncode == 0, done.stderr
    path = root / "d" / "enterprises.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("name")
    renamed = {}
    for row, name in zip(rows[1:], NAMES, strict=False):
        row[column] = name
        renamed[row[rows[0].index("uscc")]] = name
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return root, renamed


def test_csv_names_starting_like_a_formula_are_escaped(hostile_names):
    root, renamed = hostile_names
    done = run("evaluate", "d", "--year", "2022", "--out", "r.csv", cwd=root)
    assert done.returncode == 0, done.stderr
    with (root / "r.csv").open(encoding="utf-8", newline="") as f:
        rows = {r["uscc"]: r for r in csv.DictReader(f)}
    for uscc, name in renamed.items():
        assert rows[uscc]["name"] == "'" + name
        float(rows[uscc]["land_mu"])  # numbers are written as numbers, not escaped


def test_xlsx_names_starting_like_a_formula_are_escaped(hostile_names):
    root, renamed = hostile_names
    done = run("evaluate", "d", "--year", "2022", "--out", "r.xlsx", cwd=root)
    assert done.returncode == 0, done.stderr
    book = CalamineWorkbook.from_path(str(root / "r.xlsx"))
    cells = {
        cell
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for cell in row
        if isinstance(cell, str)
    }
    for name in renamed.values():
        assert "'" + name in cells
        assert name not in cells
