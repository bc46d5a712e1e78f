"""Validation: each kind of problem, triggered by a file and reported with file, row, column, why.

Each test starts from a valid CSV dataset (`Dataset.write`), changes what it needs in the CSV text,
and checks the folder. Rows are numbered as in the file: the header is row 1, the first data row 2.
"""

import csv
import datetime as dt
import json
import pathlib
import shutil

import polars as pl
import pytest
from factory import build, frame, uscc
from typer.testing import CliRunner

import mujun.dataset as md
from mujun.dataset import DatasetError, Problem
from mujun.dataset.uscc import ALPHABET

TODAY = dt.date(2024, 6, 30)
U1, U2, U3 = uscc(1), uscc(2), uscc(3)
U9 = uscc(9)  # valid, but no such enterprise
SQUARE = [[121.70, 29.95], [121.71, 29.95], [121.71, 29.96], [121.70, 29.96], [121.70, 29.95]]
POLYGON = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})


def base() -> md.Dataset:
    """A small valid dataset. File rows (header = row 1):

    enterprises  2 U1, 3 U2, 4 U3
    annual       2 (U1, 2021), 3 (U1, 2022), 4 (U2, 2022), 5 (U3, 2022)
    parcels      2 P1 owner U1, 10000 m², floor 8000 m²; 3 P2 owner U2, 6000 m², floor 4000 m²
    occupancy    2 P1 U1 2015– 5000 m²; 3 P1 U3 2018–2020 2000 m²; 4 P2 U2 2016– 4000 m²
    events       2 U1 2021 safety_fatal
    qualifications 2 U2 high_tech 2020-01-01 – 2022-12-31
    exemptions   2 U3 2022 new_land, approved 2023-03-01
    """
    return build(
        enterprises=[{"uscc": U1}, {"uscc": U2}, {"uscc": U3, "zones": "chem;port"}],
        annual=[
            {"uscc": U1, "year": 2021},
            {"uscc": U1, "year": 2022},
            {"uscc": U2, "year": 2022, "scale": "below"},
            {"uscc": U3, "year": 2022},
        ],
        parcels=[
            {"parcel_id": "P1", "owner_uscc": U1, "area_m2": 10000.0, "floor_area_m2": 8000.0},
            {
                "parcel_id": "P2",
                "owner_uscc": U2,
                "area_m2": 6000.0,
                "floor_area_m2": 4000.0,
                "geometry": POLYGON,
            },
        ],
        occupancy=[
            {"parcel_id": "P1", "uscc": U1, "year_from": 2015, "floor_area_m2": 5000.0},
            {
                "parcel_id": "P1",
                "uscc": U3,
                "year_from": 2018,
                "year_to": 2020,
                "floor_area_m2": 2000.0,
            },
            {"parcel_id": "P2", "uscc": U2, "year_from": 2016, "floor_area_m2": 4000.0},
        ],
        events=[{"uscc": U1, "year": 2021, "kind": "safety_fatal", "note": "一人死亡"}],
        qualifications=[
            {
                "uscc": U2,
                "kind": "high_tech",
                "level": "national",
                "valid_from": dt.date(2020, 1, 1),
                "valid_to": dt.date(2022, 12, 31),
            }
        ],
        exemptions=[
            {
                "uscc": U3,
                "year": 2022,
                "reason": "新供地项目建设期，经区亩均办审核同意",
                "approved_on": dt.date(2023, 3, 1),
                "ground": "new_land",
            }
        ],
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("base") / "dataset"
    base().write(path)
    return path


@pytest.fixture
def folder(template, tmp_path) -> pathlib.Path:
    """A fresh copy of the valid base dataset as CSV files, to be broken by the test."""
    return pathlib.Path(shutil.copytree(template, tmp_path / "dataset"))


def read_rows(folder: pathlib.Path, file: str) -> list[list[str]]:
    with (folder / file).open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_rows(folder: pathlib.Path, file: str, rows: list[list[str]]) -> None:
    with (folder / file).open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def set_cell(folder: pathlib.Path, file: str, row: int, column: str, value: str) -> None:
    """Change one cell, addressed by its file row (header = 1) and column name."""
    rows = read_rows(folder, file)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder, file, rows)


def add_row(folder: pathlib.Path, file: str, like: int, **changes: str) -> int:
    """Append a copy of file row `like` with some cells changed; returns the new row's number."""
    rows = read_rows(folder, file)
    new = list(rows[like - 1])
    for column, value in changes.items():
        new[rows[0].index(column)] = value
    rows.append(new)
    write_rows(folder, file, rows)
    return len(rows)


def drop_column(folder: pathlib.Path, file: str, column: str) -> None:
    rows = read_rows(folder, file)
    i = rows[0].index(column)
    write_rows(folder, file, [r[:i] + r[i + 1 :] for r in rows])


def problems(folder: pathlib.Path) -> list[Problem]:
    return md.check(folder, today=TODAY)


def only(folder: pathlib.Path) -> Problem:
    found = problems(folder)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def wrong_check(code: str) -> str:
    """`code` with its check character replaced by the next one in the alphabet."""
    return code[:17] + ALPHABET[(ALPHABET.index(code[17]) + 1) % 31]


# --- a valid dataset ----------------------------------------------------------------------------


def test_the_base_dataset_is_valid(folder):
    assert problems(folder) == []
    assert md.check(folder) == []  # with the real date as today
    ds = md.load(folder, today=TODAY)
    assert ds.enterprises.get_column("uscc").to_list() == [U1, U2, U3]
    assert ds.annual.height == 4
    assert ds.years() == [2021, 2022]
    assert ds.occupancy.get_column("year_to").to_list() == [None, 2020, None]
    assert ds.parcels.get_column("geometry").to_list() == [None, POLYGON]


def test_optional_tables_and_columns_may_be_absent(folder):
    for name in ("events", "qualifications", "projects", "talents", "exemptions"):
        (folder / f"{name}.csv").unlink()
    drop_column(folder, "enterprises.csv", "zones")
    for column in (
        "vat_refund",
        "export_vat_offset",
        "one_off_tax",
        "electricity_kwh",
        "export_refund",
        "energy_quota_tce",
    ):
        drop_column(folder, "annual.csv", column)
    for column in ("geometry", "status", "approved_on"):
        drop_column(folder, "parcels.csv", column)
    assert problems(folder) == []
    ds = md.load(folder, today=TODAY)
    assert ds.events.height == 0 and ds.exemptions.height == 0
    assert ds.annual.get_column("vat_refund").to_list() == [None] * 4
    assert ds.annual.get_column("export_refund").to_list() == [None] * 4
    assert ds.parcels.get_column("geometry").dtype == pl.String


# --- each kind of problem -----------------------------------------------------------------------


def test_missing_table(folder):
    (folder / "annual.csv").unlink()
    p = only(folder)
    assert (p.kind, p.table, p.row, p.column) == ("missing_table", "annual", None, None)
    assert p.reason == "table annual is missing"
    assert str(p) == "annual: table annual is missing"


def test_missing_column_is_reported_once(folder):
    drop_column(folder, "enterprises.csv", "name")
    p = only(folder)  # not again as an empty cell on every row
    assert (p.kind, p.table, p.row, p.column) == ("missing_column", "enterprises", None, "name")
    assert p.reason == "required column name is missing"
    assert str(p) == "enterprises.csv, column name: required column name is missing"


def test_missing_column_that_may_hold_empty_cells(folder):
    drop_column(folder, "annual.csv", "tax_paid")
    p = only(folder)
    assert (p.kind, p.table, p.row, p.column) == ("missing_column", "annual", None, "tax_paid")
    assert p.reason == "required column tax_paid is missing"


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("annual.csv", 3, "revenue", "abc", "expected a number, got 'abc'"),
        ("annual.csv", 4, "tax_paid", "1,5", "expected a number, got '1,5'"),
        ("annual.csv", 5, "energy_tce", "inf", "expected a number, got 'inf'"),
        ("annual.csv", 2, "year", "2021.5", "expected a whole number, got '2021.5'"),
        ("occupancy.csv", 3, "year_to", "二〇二〇", "expected a whole number, got '二〇二〇'"),
        (
            "enterprises.csv",
            3,
            "established",
            "2010/01/01",
            "expected a date (YYYY-MM-DD), got '2010/01/01'",
        ),
        (
            "qualifications.csv",
            2,
            "valid_to",
            "2022-13-01",
            "expected a date (YYYY-MM-DD), got '2022-13-01'",
        ),
    ],
)
def test_bad_value(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)  # a cell that does not parse is not also reported as empty
    assert (p.kind, p.file, p.row, p.column) == ("bad_value", file, row, column)
    assert p.reason == reason
    assert str(p) == f"{file} row {row}, column {column}: {reason}"


@pytest.mark.parametrize(
    ("file", "row", "column"),
    [
        ("enterprises.csv", 3, "name"),
        ("enterprises.csv", 4, "established"),
        ("annual.csv", 4, "scale"),
        ("parcels.csv", 3, "area_m2"),
        ("occupancy.csv", 4, "floor_area_m2"),
        ("events.csv", 2, "kind"),
        ("exemptions.csv", 2, "reason"),
        ("exemptions.csv", 2, "approved_on"),
    ],
)
def test_required_value(folder, file, row, column):
    set_cell(folder, file, row, column, "")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("required_value", file, row, column)
    assert p.reason == "a value is required"


def test_a_blank_cell_is_the_same_as_an_empty_one(folder):
    set_cell(folder, "enterprises.csv", 3, "name", "   ")
    p = only(folder)
    assert (p.kind, p.row, p.column) == ("required_value", 3, "name")


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("annual.csv", 4, "tax_paid", "-5", "negative amount -5.0 (expected ≥ 0)"),
        ("annual.csv", 2, "revenue", "-0.5", "negative amount -0.5 (expected ≥ 0)"),
        ("annual.csv", 5, "employees", "-1", "negative amount -1.0 (expected ≥ 0)"),
        ("parcels.csv", 3, "floor_area_m2", "-10", "negative amount -10.0 (expected ≥ 0)"),
        ("annual.csv", 3, "export_refund", "-2", "negative amount -2.0 (expected ≥ 0)"),
        ("annual.csv", 3, "energy_quota_tce", "-1", "negative amount -1.0 (expected ≥ 0)"),
    ],
)
def test_negative(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("negative", file, row, column)
    assert p.reason == reason


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("employees", "1e300", "implausible amount 1e+300 (expected at most 1e+07)"),
        ("tax_paid", "2e9", "implausible amount 2000000000.0 (expected at most 1e+09)"),
        ("energy_tce", "5e12", "implausible amount 5000000000000.0 (expected at most 1e+09)"),
        ("export_refund", "2e9", "implausible amount 2000000000.0 (expected at most 1e+09)"),
        ("energy_quota_tce", "5e12", "implausible amount 5000000000000.0 (expected at most 1e+09)"),
    ],
)
def test_an_amount_no_firm_has_is_refused(folder, column, value, reason):
    """An employees of 1e300 once became current data through an objection: imports and
    corrections meet the same ceiling."""
    set_cell(folder, "annual.csv", 3, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("implausible_value", "annual.csv", 3, column)
    assert p.reason == reason


def test_negative_value_added_is_allowed(folder):
    # a loss-making year: value added below zero is possible
    set_cell(folder, "annual.csv", 3, "value_added", "-120")
    assert problems(folder) == []


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("parcels.csv", 3, "area_m2", "0", "0.0 is not a positive amount (expected > 0)"),
        ("parcels.csv", 2, "area_m2", "-3", "-3.0 is not a positive amount (expected > 0)"),
        ("occupancy.csv", 4, "floor_area_m2", "0", "0.0 is not a positive amount (expected > 0)"),
    ],
)
def test_not_positive(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("not_positive", file, row, column)
    assert p.reason == reason


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("annual.csv", 3, "scale", "big", "unknown value 'big' (expected one of above, below)"),
        ("annual.csv", 2, "scale", "Above", "unknown value 'Above' (expected one of above, below)"),
        ("qualifications.csv", 2, "kind", "nobel", "unknown value 'nobel' (expected one of"),
        ("parcels.csv", 2, "status", "sold", "unknown value 'sold' (expected one of approved,"),
        # a typo in an event kind would otherwise be a veto that hits nobody
        ("events.csv", 2, "kind", "safety_fatl", "unknown value 'safety_fatl' (expected one of"),
        ("exemptions.csv", 2, "ground", "age", "unknown value 'age' (expected one of new_firm,"),
    ],
)
def test_bad_choice(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("bad_choice", file, row, column)
    assert p.reason.startswith(reason)


def test_text_longer_than_the_database_holds(folder):
    """PostgreSQL refused such rows at commit, after the import had been accepted."""
    set_cell(folder, "enterprises.csv", 2, "name", "名" * 200)  # at the limit: fine
    set_cell(folder, "enterprises.csv", 3, "name", "名" * 201)
    set_cell(folder, "enterprises.csv", 4, "zones", "z" * 201)
    row = add_row(folder, "parcels.csv", 2, parcel_id="P" * 41)
    assert [(p.file, p.row, p.column, p.reason, p.kind) for p in problems(folder)] == [
        ("enterprises.csv", 3, "name", "201 characters long (expected at most 200)", "too_long"),
        ("enterprises.csv", 4, "zones", "201 characters long (expected at most 200)", "too_long"),
        ("parcels.csv", row, "parcel_id", "41 characters long (expected at most 40)", "too_long"),
    ]


def test_max_lengths_are_the_database_columns():
    """Each text column the web app stores has the contract's max_length as its own."""
    from mujun.dataset.schema import TABLE
    from mujun.web import models

    stored = {
        (models.Enterprise, "name"): ("enterprises", "name"),
        (models.Result, "name"): ("enterprises", "name"),
        (models.Enterprise, "zones"): ("enterprises", "zones"),
        (models.Parcel, "parcel_id"): ("parcels", "parcel_id"),
        (models.ParcelResult, "parcel_id"): ("parcels", "parcel_id"),
        (models.LandShare, "parcel_id"): ("parcels", "parcel_id"),
    }
    for (model, field), (table, column) in stored.items():
        limit = model._meta.get_field(field).max_length
        assert TABLE[table].column(column).max_length == limit, (model.__name__, field)


def test_bad_uscc_wrong_check_character(folder):
    bad = wrong_check(U3)
    set_cell(folder, "annual.csv", 5, "uscc", bad)
    p = only(folder)  # reported as invalid, not again as an unknown enterprise
    assert (p.kind, p.file, p.row, p.column) == ("bad_uscc", "annual.csv", 5, "uscc")
    assert p.reason == (
        f"invalid USCC '{bad}': check character is '{bad[17]}', GB 32100 gives '{U3[17]}'"
    )
    assert str(p) == f"annual.csv row 5, column uscc: {p.reason}"


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "why"),
    [
        ("annual.csv", 3, "uscc", U1.lower(), "characters 'ahm' are not allowed"),
        ("occupancy.csv", 4, "uscc", U2[:-1], "expected 18 characters, got 17"),
        ("parcels.csv", 3, "owner_uscc", U2[:3] + "X" + U2[4:], "positions 3-8 must be"),
        ("events.csv", 2, "uscc", U1[:10] + "O" + U1[11:], "characters 'O' are not allowed"),
    ],
)
def test_bad_uscc(folder, file, row, column, value, why):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("bad_uscc", file, row, column)
    assert p.reason.startswith(f"invalid USCC '{value}': {why}")


def test_a_bad_uscc_is_reported_wherever_it_appears(folder):
    bad = wrong_check(U3)
    for file, row, column in (
        ("enterprises.csv", 4, "uscc"),
        ("annual.csv", 5, "uscc"),
        ("occupancy.csv", 3, "uscc"),
        ("exemptions.csv", 2, "uscc"),
    ):
        set_cell(folder, file, row, column, bad)
    found = problems(folder)
    assert [(p.kind, p.file, p.row, p.column) for p in found] == [
        ("bad_uscc", "enterprises.csv", 4, "uscc"),
        ("bad_uscc", "annual.csv", 5, "uscc"),
        ("bad_uscc", "occupancy.csv", 3, "uscc"),
        ("bad_uscc", "exemptions.csv", 2, "uscc"),
    ]


@pytest.mark.parametrize("value", ["34", "345", "9999", "C3451", "34510"])
def test_bad_industry(folder, value):
    set_cell(folder, "enterprises.csv", 3, "industry_code", value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == (
        "bad_industry",
        "enterprises.csv",
        3,
        "industry_code",
    )
    assert p.reason == f"'{value}' is not a GB/T 4754-2017 class (4 digits, e.g. 2614)"


@pytest.mark.parametrize(
    ("file", "row", "value"),
    [
        ("enterprises.csv", 2, "33021"),
        ("enterprises.csv", 4, "3302110020"),
        ("parcels.csv", 3, "蛟川街道"),
        ("parcels.csv", 2, "330211-002"),
    ],
)
def test_bad_division(folder, file, row, value):
    set_cell(folder, file, row, "division_code", value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("bad_division", file, row, "division_code")
    assert p.reason == f"'{value}' is not a division code (6, 9 or 12 digits)"


@pytest.mark.parametrize("value", ["330211", "330211002", "330211002000"])
def test_division_codes_of_6_9_or_12_digits(folder, value):
    set_cell(folder, "parcels.csv", 2, "division_code", value)
    assert problems(folder) == []


def test_duplicate_key(folder):
    new = add_row(folder, "annual.csv", like=3, revenue="9000")
    assert new == 6
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("duplicate_key", "annual.csv", 6, "uscc, year")
    assert p.reason == f"duplicate key ({U1}, 2022): the same as row 3"


def test_duplicate_key_of_one_column(folder):
    add_row(folder, "enterprises.csv", like=2, name="另一家")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("duplicate_key", "enterprises.csv", 5, "uscc")
    assert p.reason == f"duplicate key ({U1}): the same as row 2"


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("occupancy.csv", 3, "parcel_id", "P9", "unknown parcel 'P9' (not in parcels)"),
        ("occupancy.csv", 4, "uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
        ("parcels.csv", 3, "owner_uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
        ("annual.csv", 4, "uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
        ("events.csv", 2, "uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
        ("qualifications.csv", 2, "uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
        ("exemptions.csv", 2, "uscc", U9, f"unknown enterprise '{U9}' (not in enterprises)"),
    ],
)
def test_unknown_reference(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("unknown_reference", file, row, column)
    assert p.reason == reason
    assert str(p) == f"{file} row {row}, column {column}: {reason}"


def test_unknown_parcel_is_named_with_file_row_and_column(folder):
    set_cell(folder, "occupancy.csv", 3, "parcel_id", "P9")
    assert str(only(folder)) == (
        "occupancy.csv row 3, column parcel_id: unknown parcel 'P9' (not in parcels)"
    )


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "reason"),
    [
        ("annual.csv", 2, "year", "1977", "year 1977 out of range (1978–2024)"),
        ("annual.csv", 5, "year", "2025", "year 2025 out of range (1978–2024)"),
        ("occupancy.csv", 4, "year_from", "1900", "year 1900 out of range (1978–2024)"),
        ("occupancy.csv", 3, "year_to", "20201231", "year 20201231 out of range (1978–2024)"),
        ("events.csv", 2, "year", "2030", "year 2030 out of range (1978–2024)"),
        ("enterprises.csv", 3, "established", "2024-07-01", "date 2024-07-01 out of range"),
        ("enterprises.csv", 2, "established", "1899-12-31", "date 1899-12-31 out of range"),
        ("exemptions.csv", 2, "approved_on", "2024-07-01", "date 2024-07-01 out of range"),
        ("exemptions.csv", 2, "year", "2025", "year 2025 out of range (1978–2024)"),
    ],
)
def test_year_range(folder, file, row, column, value, reason):
    set_cell(folder, file, row, column, value)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("year_range", file, row, column)
    assert p.reason.startswith(reason)


def test_year_range_of_a_qualification(folder):
    set_cell(folder, "qualifications.csv", 2, "valid_from", "2025-01-01")
    set_cell(folder, "qualifications.csv", 2, "valid_to", "")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == (
        "year_range",
        "qualifications.csv",
        2,
        "valid_from",
    )
    assert p.reason == "date 2025-01-01 out of range (1900 to today)"


def test_this_year_and_today_are_in_range(folder):
    set_cell(folder, "annual.csv", 5, "year", "2024")
    set_cell(folder, "enterprises.csv", 4, "established", "2024-06-30")
    assert problems(folder) == []


def test_impossible_value_added_above_output(folder):
    set_cell(folder, "annual.csv", 3, "value_added", "20000")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("impossible", "annual.csv", 3, "value_added")
    assert p.reason == (
        "value added 20000.0 exceeds output 10000.0 (value added is part of output)"
    )


def test_impossible_occupancy_ending_before_it_starts(folder):
    set_cell(folder, "occupancy.csv", 3, "year_to", "2017")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("impossible", "occupancy.csv", 3, "year_to")
    assert p.reason == "year_to 2017 is before year_from 2018"


def test_impossible_qualification_ending_before_it_starts(folder):
    set_cell(folder, "qualifications.csv", 2, "valid_to", "2019-12-31")
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("impossible", "qualifications.csv", 2, "valid_to")
    assert p.reason == "valid_to 2019-12-31 is before valid_from 2020-01-01"


def test_impossible_overlapping_occupancy_of_the_same_firm_and_parcel(folder):
    # U1 already uses P1 from 2015 on (row 2); a second period 2020-2021 overlaps it
    new = add_row(
        folder, "occupancy.csv", like=2, year_from="2020", year_to="2021", floor_area_m2="500"
    )
    assert new == 5
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("impossible", "occupancy.csv", 5, "year_from")
    assert p.reason == f"{U1} occupies parcel P1 twice in 2020–2021 (rows 2, 5)"


def test_consecutive_occupancy_periods_do_not_overlap(folder):
    set_cell(folder, "occupancy.csv", 2, "year_to", "2019")
    add_row(folder, "occupancy.csv", like=2, year_from="2020", year_to="")
    assert problems(folder) == []


def test_impossible_floor_area_beyond_the_parcel(folder):
    # P1 has 8000 m² of floor space: 5000 (row 2) + 3500 (row 3) in 2018-2020 is too much
    set_cell(folder, "occupancy.csv", 3, "floor_area_m2", "3500")
    found = problems(folder)
    assert [(p.kind, p.file, p.row, p.column) for p in found] == [
        ("impossible", "parcels.csv", 2, "floor_area_m2")
    ] * 3
    assert [p.reason for p in found] == [
        f"parcel P1: floor area occupied in {year} is 8,500.00 m² (occupancy rows 2, 3) "
        "but the parcel has 8,000.00 m²"
        for year in (2018, 2019, 2020)
    ]


def test_floor_area_exactly_used_up_is_fine(folder):
    set_cell(folder, "occupancy.csv", 3, "floor_area_m2", "3000")
    assert problems(folder) == []


def test_a_year_typed_as_a_date_does_not_blow_up_the_occupancy_check(folder):
    # 20221231 would expand an open period into twenty million years if not kept in range
    set_cell(folder, "occupancy.csv", 3, "year_to", "20221231")
    set_cell(folder, "occupancy.csv", 4, "year_from", "-20221231")
    found = problems(folder)
    assert [(p.kind, p.row, p.column) for p in found] == [
        ("year_range", 3, "year_to"),
        ("year_range", 4, "year_from"),
    ]


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ("POLYGON((121.7 29.95, 121.71 29.95))", "not valid JSON (expected a GeoJSON Polygon)"),
        (
            json.dumps({"type": "Point", "coordinates": [121.7, 29.95]}),
            "expected a GeoJSON object of type Polygon or MultiPolygon",
        ),
        (
            json.dumps({"type": "Polygon", "coordinates": [SQUARE[:-1]]}),
            "each ring needs at least 4 positions and must end where it starts",
        ),
        (
            json.dumps({"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in SQUARE]]}),
            "position (29.95, 121.7) is not WGS84 longitude/latitude",
        ),
        (
            json.dumps({"type": "Polygon", "coordinates": [[[121.7, 29.95]] * 3]}),
            "each ring needs at least 4 positions and must end where it starts",
        ),
        (
            json.dumps({"type": "Polygon", "coordinates": 5}),
            "coordinates are not lists of [longitude, latitude] positions",
        ),
        (
            json.dumps(
                {"type": "Polygon", "coordinates": [[["a", "b"], [3, 4], [5, 6], ["a", "b"]]]}
            ),
            "coordinates are not lists of [longitude, latitude] positions",
        ),
        (
            json.dumps(
                {"type": "Polygon", "coordinates": [[[x * 1e5, y * 1e5] for x, y in SQUARE]]}
            ),
            "is not WGS84 longitude/latitude",
        ),
    ],
)
def test_bad_geometry(folder, geometry, reason):
    set_cell(folder, "parcels.csv", 3, "geometry", geometry)
    p = only(folder)
    assert (p.kind, p.file, p.row, p.column) == ("bad_geometry", "parcels.csv", 3, "geometry")
    assert reason in p.reason


def test_multipolygon_geometry_is_fine(folder):
    multi = json.dumps({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]})
    set_cell(folder, "parcels.csv", 2, "geometry", multi)
    assert problems(folder) == []


# --- every problem, in one pass -----------------------------------------------------------------


def three_problems(folder: pathlib.Path) -> list[str]:
    """A broken USCC, a dangling occupancy row and a negative tax; returns the expected lines."""
    bad = wrong_check(U3)
    set_cell(folder, "annual.csv", 5, "uscc", bad)
    set_cell(folder, "occupancy.csv", 3, "parcel_id", "P9")
    set_cell(folder, "annual.csv", 3, "tax_paid", "-5")
    return [
        "annual.csv row 3, column tax_paid: negative amount -5.0 (expected ≥ 0)",
        f"annual.csv row 5, column uscc: invalid USCC '{bad}': check character is "
        f"'{bad[17]}', GB 32100 gives '{U3[17]}'",
        "occupancy.csv row 3, column parcel_id: unknown parcel 'P9' (not in parcels)",
    ]


def test_every_problem_is_reported_in_one_call(folder):
    expected = three_problems(folder)
    found = problems(folder)
    assert [str(p) for p in found] == expected
    assert [p.kind for p in found] == ["negative", "bad_uscc", "unknown_reference"]


def test_load_refuses_the_dataset_listing_every_problem(folder):
    expected = three_problems(folder)
    with pytest.raises(DatasetError) as caught:
        md.load(folder, today=TODAY)
    assert [str(p) for p in caught.value.problems] == expected
    message = str(caught.value)
    assert message.splitlines()[0] == f"{folder}: 3 problems"
    assert message.splitlines()[1:] == [f"  {line}" for line in expected]


def test_every_row_with_a_problem_is_reported(folder):
    for row in (2, 3, 5):
        set_cell(folder, "annual.csv", row, "tax_paid", "-1")
    found = problems(folder)
    assert [(p.kind, p.row, p.column) for p in found] == [
        ("negative", 2, "tax_paid"),
        ("negative", 3, "tax_paid"),
        ("negative", 5, "tax_paid"),
    ]


def test_problems_are_ordered_by_table_then_row(folder):
    set_cell(folder, "occupancy.csv", 2, "parcel_id", "P9")
    set_cell(folder, "annual.csv", 5, "scale", "big")
    set_cell(folder, "enterprises.csv", 4, "name", "")
    set_cell(folder, "annual.csv", 2, "tax_paid", "-1")
    found = problems(folder)
    assert [(p.file, p.row) for p in found] == [
        ("enterprises.csv", 4),
        ("annual.csv", 2),
        ("annual.csv", 5),
        ("occupancy.csv", 2),
    ]


def test_in_memory_frames_are_numbered_from_one():
    rows = [{"uscc": U1, "name": "甲", "industry_code": "3451", "division_code": "330211002"}]
    enterprises = frame("enterprises", [{**rows[0], "established": dt.date(2010, 1, 1)}])
    annual = base().annual.with_columns(pl.lit(-1.0).alias("tax_paid")).head(1)
    with pytest.raises(DatasetError) as caught:
        md.Dataset.from_frames(
            enterprises=enterprises,
            annual=annual,
            parcels=frame("parcels", []),
            occupancy=frame("occupancy", []),
        )
    assert [str(p) for p in caught.value.problems] == [
        "annual row 1, column tax_paid: negative amount -1.0 (expected ≥ 0)"
    ]


# --- mujun validate ------------------------------------------------------------------------------


def _cli():
    from mujun.cli import app

    return app


def test_cli_validate_accepts_a_valid_dataset(folder):
    result = CliRunner().invoke(_cli(), ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "valid" in text
    assert "3 enterprises, 4 enterprise-years (2021, 2022), 2 parcels" in text
    assert result.stderr == ""


def test_cli_validate_lists_every_problem_and_exits_1(folder):
    expected = three_problems(folder)
    result = CliRunner().invoke(_cli(), ["validate", str(folder)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    for line in expected:
        assert line in lines
    assert "3 problems; the dataset is refused" in result.stderr
    assert "valid —" not in result.stdout


def test_cli_validate_a_path_that_is_not_a_dataset(tmp_path):
    result = CliRunner().invoke(_cli(), ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "not a folder or an .xlsx workbook" in result.stderr


def test_cli_validate_without_a_path_is_a_usage_error():
    result = CliRunner().invoke(_cli(), ["validate"])
    assert result.exit_code == 2
