"""Reading and writing the canonical dataset: csv / parquet folders and one .xlsx workbook."""

import datetime as dt
import json
import pathlib

import polars as pl
import pytest
import xlsxwriter
from factory import frame, uscc
from polars.testing import assert_frame_equal

import mujun.dataset as md
from mujun.dataset import Dataset, DatasetError
from mujun.dataset.io import write_tables
from mujun.dataset.schema import TABLES

TODAY = dt.date(2024, 6, 30)
U1, U2, U3 = uscc(1), uscc(2), uscc(3)
SQUARE = [[121.70, 29.95], [121.71, 29.95], [121.71, 29.96], [121.70, 29.96], [121.70, 29.95]]
POLYGON = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
ANNUAL = {
    "scale": "above",
    "revenue": 12345.67,
    "output": 11000.5,
    "value_added": 2300.25,
    "tax_paid": 456.78,
    "fixed_asset_vat_credit": 12.5,
    "vat_refund": None,
    "export_vat_offset": 3.0,
    "one_off_tax": 0.0,
    "energy_tce": 812.3,
    "emissions_eq": 1.75,
    "rd_expense": 345.6,
    "employees": 123.5,
    "electricity_kwh": 1_234_567.0,
}


def full() -> Dataset:
    """Every table with rows; every kind of cell (text, whole numbers, decimals, dates, empty)."""
    enterprises = [
        {"uscc": U1, "name": "宁波甲轴承有限公司", "zones": "chem;port"},
        {"uscc": U2, "name": 'Quote "and", comma'},
        {"uscc": U3, "name": "丙", "established": dt.date(2019, 12, 31)},
    ]
    enterprises = [
        {
            "industry_code": "3451",
            "division_code": "330211002",
            "established": dt.date(2010, 1, 1),
            **e,
        }
        for e in enterprises
    ]
    annual = [
        {**ANNUAL, "uscc": U1, "year": 2021},
        {**ANNUAL, "uscc": U1, "year": 2022, "value_added": -15.5},
        {**ANNUAL, "uscc": U2, "year": 2022, "scale": "below", "electricity_kwh": None},
        {**ANNUAL, "uscc": U3, "year": 2022, "rd_expense": 0.125},
    ]
    parcels = [
        {
            "parcel_id": "P1",
            "owner_uscc": U1,
            "area_m2": 10000.0,
            "floor_area_m2": 8000.0,
            "division_code": "330211002",
            "land_use": "industrial",
            "geometry": POLYGON,
            "status": "producing",
            "approved_on": dt.date(2008, 5, 6),
            "granted_on": dt.date(2008, 9, 1),
        },
        {
            "parcel_id": "P2",
            "owner_uscc": U2,
            "area_m2": 3333.33,
            "floor_area_m2": 2500.0,
            "division_code": "330211",
            "land_use": None,
        },
    ]
    occupancy = [
        {"parcel_id": "P1", "uscc": U1, "year_from": 2015, "floor_area_m2": 5000.0},
        {
            "parcel_id": "P1",
            "uscc": U3,
            "year_from": 2018,
            "year_to": 2020,
            "floor_area_m2": 2000.0,
        },
        {"parcel_id": "P2", "uscc": U2, "year_from": 2016, "floor_area_m2": 2500.0},
    ]
    events = [{"uscc": U1, "year": 2021, "kind": "safety_fatal", "note": "一人死亡, 停产整顿"}]
    qualifications = [
        {"uscc": U2, "kind": "high_tech", "level": "national", "valid_from": dt.date(2020, 1, 1)},
        {
            "uscc": U3,
            "kind": "srdi",
            "level": "province",
            "valid_from": dt.date(2021, 3, 15),
            "valid_to": dt.date(2024, 3, 14),
        },
    ]
    projects = [
        {
            "project_id": "X1",
            "name": "新建轴承项目",
            "applicant_uscc": None,
            "industry_code": "3451",
            "parcel_id": "P2",
            "land_area_m2": 20000.0,
            "floor_area_m2": 30000.0,
            "investment": 50000.0,
            "promised_tax_per_mu": 30.0,
            "promised_va_per_mu": 150.0,
            "promised_va_per_energy": 2.5,
            "promised_va_per_emission": 80.0,
            "promised_rd_intensity": 0.03,
            "signed_on": dt.date(2023, 4, 1),
            "production_due": dt.date(2025, 12, 31),
        }
    ]
    talents = [{"uscc": U1, "year": 2022, "level": "A", "count": 2}]
    return Dataset.from_frames(
        today=TODAY,
        enterprises=frame("enterprises", enterprises),
        annual=frame("annual", annual),
        parcels=frame("parcels", parcels),
        occupancy=frame("occupancy", occupancy),
        events=frame("events", events),
        qualifications=frame("qualifications", qualifications),
        projects=frame("projects", projects),
        talents=frame("talents", talents),
    )


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return full()


def target(tmp_path: pathlib.Path, fmt: str) -> pathlib.Path:
    return tmp_path / "dataset.xlsx" if fmt == "xlsx" else tmp_path / fmt


def assert_same(a: Dataset, b: Dataset) -> None:
    for name, table in a.tables().items():
        assert_frame_equal(table, b.tables()[name], check_exact=True)
    assert a.fingerprint() == b.fingerprint()


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_write_and_load_give_the_same_dataset(dataset, tmp_path, fmt):
    path = target(tmp_path, fmt)
    dataset.write(path, fmt)
    loaded = md.load(path, today=TODAY)
    assert_same(dataset, loaded)
    assert loaded.enterprises.get_column("name").to_list() == [
        "宁波甲轴承有限公司",
        'Quote "and", comma',
        "丙",
    ]
    assert loaded.enterprises.get_column("established").to_list() == [
        dt.date(2010, 1, 1),
        dt.date(2010, 1, 1),
        dt.date(2019, 12, 31),
    ]
    assert loaded.annual.get_column("value_added").to_list() == [2300.25, -15.5, 2300.25, 2300.25]
    assert loaded.annual.get_column("vat_refund").to_list() == [None] * 4
    assert loaded.parcels.get_column("geometry").to_list() == [POLYGON, None]
    assert loaded.qualifications.get_column("valid_to").to_list() == [None, dt.date(2024, 3, 14)]
    assert loaded.projects.get_column("applicant_uscc").to_list() == [None]
    assert loaded.talents.get_column("count").to_list() == [2]


def test_written_files(dataset, tmp_path):
    dataset.write(tmp_path / "csv")
    dataset.write(tmp_path / "parquet", "parquet")
    dataset.write(tmp_path / "dataset.xlsx")
    names = sorted(t.name for t in TABLES)
    assert sorted(p.stem for p in (tmp_path / "csv").iterdir()) == names
    assert {p.suffix for p in (tmp_path / "csv").iterdir()} == {".csv"}
    assert {p.suffix for p in (tmp_path / "parquet").iterdir()} == {".parquet"}
    lines = (tmp_path / "csv" / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "uscc,name,industry_code,division_code,established,zones"
    assert lines[1] == f"{U1},宁波甲轴承有限公司,3451,330211002,2010-01-01,chem;port"
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(tmp_path / "dataset.xlsx"))
    assert workbook.sheet_names == [t.name for t in TABLES]


def test_rewriting_in_another_format_replaces_the_old_files(dataset, tmp_path):
    dataset.write(tmp_path, "csv")
    dataset.write(tmp_path, "parquet")
    assert {p.suffix for p in tmp_path.iterdir()} == {".parquet"}
    assert_same(dataset, md.load(tmp_path, today=TODAY))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_the_same_dataset_written_twice_gives_identical_bytes(dataset, tmp_path, fmt):
    first, second = target(tmp_path / "a", fmt), target(tmp_path / "b", fmt)
    first.parent.mkdir()
    second.parent.mkdir()
    dataset.write(first, fmt)
    full().write(second, fmt)  # rebuilt from scratch, written later
    if fmt == "xlsx":
        assert first.read_bytes() == second.read_bytes()
    else:
        files = sorted(p.name for p in first.iterdir())
        assert files == sorted(p.name for p in second.iterdir())
        assert len(files) == len(TABLES)
        for name in files:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


# --- fingerprint --------------------------------------------------------------------------------


def test_fingerprint_is_independent_of_row_order(dataset):
    reversed_ = Dataset.from_frames(
        today=TODAY, **{name: table.reverse() for name, table in dataset.tables().items()}
    )
    assert reversed_.annual.get_column("uscc").to_list()[0] == U3
    assert reversed_.fingerprint() == dataset.fingerprint()


def test_fingerprint_is_independent_of_format(dataset, tmp_path):
    prints = set()
    for fmt in ("csv", "parquet", "xlsx"):
        path = target(tmp_path, fmt)
        dataset.write(path, fmt)
        prints.add(md.load(path, today=TODAY).fingerprint())
    assert prints == {dataset.fingerprint()}
    assert len(dataset.fingerprint()) == 64


def test_fingerprint_changes_with_the_content(dataset):
    tables = dataset.tables()
    changed = {
        **tables,
        "annual": tables["annual"].with_columns(
            pl.when(pl.col("year") == 2021)
            .then(pl.col("tax_paid") + 0.01)
            .otherwise(pl.col("tax_paid"))
            .alias("tax_paid")
        ),
    }
    assert Dataset.from_frames(today=TODAY, **changed).fingerprint() != dataset.fingerprint()
    fewer = {**tables, "events": tables["events"].head(0)}
    assert Dataset.from_frames(today=TODAY, **fewer).fingerprint() != dataset.fingerprint()


def test_data_without_the_contracts_later_additions_keeps_its_fingerprint():
    """export_refund, energy_quota_tce and the exemptions table joined the contract after runs were
    recorded with their input's fingerprint: data without them hashes as before (the value below
    is the hand district's fingerprint computed by mujun before they existed)."""
    from hand_district import district

    ds = district()
    assert ds.fingerprint() == "160a32c8889996e23196fa63a43fea79f98e5e5f9773bdcc28794cf5f550d190"
    tables = ds.tables()
    refund = tables["annual"].with_columns(pl.lit(1.0).alias("export_refund"))
    assert Dataset.from_frames(**{**tables, "annual": refund}).fingerprint() != ds.fingerprint()
    applied = frame(
        "exemptions",
        [{"uscc": uscc(1), "year": 2022, "reason": "x", "approved_on": dt.date(2023, 1, 5)}],
    )
    assert (
        Dataset.from_frames(**{**tables, "exemptions": applied}).fingerprint() != ds.fingerprint()
    )


def test_floats_beyond_what_a_workbook_keeps_still_round_trip_the_fingerprint(dataset, tmp_path):
    # 0.1 + 0.2 = 0.30000000000000004 needs 17 digits; a workbook keeps 15-16
    tables = dataset.tables()
    noisy = {
        **tables,
        "annual": tables["annual"].with_columns(pl.col("rd_expense") * 3 + (0.1 + 0.2)),
    }
    ds = Dataset.from_frames(today=TODAY, **noisy)
    ds.write(tmp_path / "noisy.xlsx")
    ds.write(tmp_path / "noisy")
    from_xlsx = md.load(tmp_path / "noisy.xlsx", today=TODAY)
    from_csv = md.load(tmp_path / "noisy", today=TODAY)
    assert_frame_equal(from_csv.annual, ds.annual, check_exact=True)
    assert from_xlsx.fingerprint() == from_csv.fingerprint() == ds.fingerprint()


# --- folders and workbooks that cannot be read ----------------------------------------------------


def test_a_folder_with_both_csv_and_parquet_of_a_table_is_refused(dataset, tmp_path):
    dataset.write(tmp_path)
    dataset.annual.write_parquet(tmp_path / "annual.parquet")
    with pytest.raises(DatasetError) as caught:
        md.load(tmp_path, today=TODAY)
    [problem] = caught.value.problems
    assert (problem.kind, problem.table) == ("ambiguous", "annual")
    assert problem.reason == "both .csv and .parquet present: keep one"
    assert md.check(tmp_path, today=TODAY) == [problem]


def test_a_path_that_is_neither_a_folder_nor_a_workbook(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    for path in (tmp_path / "nowhere", tmp_path / "notes.txt", tmp_path / "missing.xlsx"):
        [problem] = md.check(path)
        assert (problem.kind, problem.reason) == ("missing", "not a folder or an .xlsx workbook")
        assert problem.file == str(path)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 this is not a zip archive", b"\x00" * 64])
def test_a_corrupt_workbook_is_a_dataset_error(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        md.load(path)
    [problem] = caught.value.problems
    assert problem.kind == "unreadable"
    assert problem.file == "broken.xlsx"
    assert problem.reason.startswith("cannot read workbook: ")
    assert str(caught.value).startswith(f"{path}: 1 problem\n  broken.xlsx: cannot read workbook")
    assert md.check(path) == [problem]


def test_a_corrupt_parquet_file_is_a_dataset_error(dataset, tmp_path):
    dataset.write(tmp_path, "parquet")
    (tmp_path / "occupancy.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(DatasetError) as caught:
        md.load(tmp_path)
    [problem] = caught.value.problems
    assert (problem.kind, problem.table, problem.file) == (
        "unreadable",
        "occupancy",
        "occupancy.parquet",
    )
    assert problem.reason.startswith("cannot read Parquet: ")


def test_a_csv_that_is_not_utf8_is_a_dataset_error(dataset, tmp_path):
    dataset.write(tmp_path)
    text = (tmp_path / "enterprises.csv").read_text(encoding="utf-8")
    (tmp_path / "enterprises.csv").write_bytes(text.encode("gbk"))
    [problem] = md.check(tmp_path, today=TODAY)
    assert (problem.kind, problem.table, problem.file) == (
        "unreadable",
        "enterprises",
        "enterprises.csv",
    )
    assert problem.reason.startswith("cannot read CSV: ")


# --- cells as bureaus write them ----------------------------------------------------------------


def write_workbook(path: pathlib.Path, tables: dict[str, pl.DataFrame], native: bool = True):
    """A workbook as a spreadsheet user would make it: codes typed as numbers, real Excel dates."""
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for name, table in tables.items():
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, table.columns)
        for r, row in enumerate(table.iter_rows(), start=1):
            for c, value in enumerate(row):
                column = table.columns[c]
                if value is None:
                    continue
                if native and column in ("industry_code", "division_code"):
                    sheet.write_number(r, c, float(value))
                elif isinstance(value, dt.date):
                    if native:
                        sheet.write_datetime(r, c, value, date_format)
                    else:
                        sheet.write_string(r, c, value.isoformat())
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, value)
    workbook.close()


def test_numbers_in_text_columns_and_excel_dates_read_as_text_and_dates(dataset, tmp_path):
    path = tmp_path / "bureau.xlsx"
    write_workbook(path, dataset.tables())
    loaded = md.load(path, today=TODAY)
    assert loaded.enterprises.get_column("industry_code").to_list() == ["3451"] * 3
    assert loaded.enterprises.get_column("division_code").to_list() == ["330211002"] * 3
    assert loaded.parcels.get_column("division_code").to_list() == ["330211002", "330211"]
    assert loaded.projects.get_column("industry_code").to_list() == ["3451"]
    assert loaded.enterprises.get_column("established").to_list() == [
        dt.date(2010, 1, 1),
        dt.date(2010, 1, 1),
        dt.date(2019, 12, 31),
    ]
    assert loaded.parcels.get_column("approved_on").to_list() == [dt.date(2008, 5, 6), None]
    assert_same(dataset, loaded)


def test_a_date_with_a_time_of_day_keeps_its_date(tmp_path):
    path = tmp_path / "times.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("enterprises")
    sheet.write_row(0, 0, ["uscc", "name", "industry_code", "division_code", "established"])
    sheet.write_row(1, 0, [U1, "甲", "3451", "330211002"])
    sheet.write_datetime(
        1, 4, dt.datetime(2010, 1, 1, 9, 30), workbook.add_format({"num_format": 22})
    )
    for name in ("annual", "parcels", "occupancy"):
        workbook.add_worksheet(name).write_row(0, 0, frame(name, []).columns)
    workbook.close()
    loaded = md.load(path, today=TODAY)
    assert loaded.enterprises.get_column("established").to_list() == [dt.date(2010, 1, 1)]


def test_problems_in_a_workbook_name_the_sheet_and_row(dataset, tmp_path):
    tables = dataset.tables()
    tables["annual"] = tables["annual"].with_columns(
        pl.when(pl.col("uscc") == U2).then(-5.0).otherwise(pl.col("tax_paid")).alias("tax_paid")
    )
    path = tmp_path / "dataset.xlsx"
    write_workbook(path, tables, native=False)
    [problem] = md.check(path, today=TODAY)
    assert str(problem) == (
        "dataset.xlsx sheet annual row 4, column tax_paid: negative amount -5.0 (expected ≥ 0)"
    )


def gappy_workbook(path: pathlib.Path, tables: dict[str, pl.DataFrame], annual_rows: list[int]):
    """A workbook whose annual rows sit on the given sheet rows (1-based), blank rows between."""
    workbook = xlsxwriter.Workbook(str(path))
    for name, table in tables.items():
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, table.columns)
        at = annual_rows if name == "annual" else range(2, table.height + 2)
        cells = table.with_columns(pl.col(pl.Date).cast(pl.String))
        for r, row in zip(at, cells.iter_rows(), strict=True):
            sheet.write_row(r - 1, 0, ["" if v is None else v for v in row])
        if name == "annual":
            sheet.write_string(max(at) + 3, 0, " ")  # a stray blank cell below the data
    workbook.close()


def test_blank_rows_in_a_sheet_keep_the_row_numbers(dataset, tmp_path):
    path = tmp_path / "gaps.xlsx"
    gappy_workbook(path, dataset.tables(), annual_rows=[2, 5, 6, 7])
    assert md.check(path, today=TODAY) == []
    assert_same(dataset, md.load(path, today=TODAY))
    tables = dataset.tables()
    tables["annual"] = tables["annual"].with_columns(
        pl.when(pl.col("year") == 2021).then(pl.lit("big")).otherwise("scale").alias("scale"),
        pl.when(pl.col("uscc") == U3).then(-1.0).otherwise("revenue").alias("revenue"),
    )
    gappy_workbook(path, tables, annual_rows=[2, 5, 6, 7])
    found = md.check(path, today=TODAY)
    assert [(p.kind, p.row, p.column) for p in found] == [
        ("bad_choice", 2, "scale"),
        ("negative", 7, "revenue"),
    ]


def test_blank_lines_in_a_csv_are_not_rows(dataset, tmp_path):
    dataset.write(tmp_path)
    path = tmp_path / "annual.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = lines[3].replace(",below,", ",big,")
    assert bad != lines[3]
    text = "\n".join([*lines[:2], "", ",,,", lines[2], bad, lines[4]]) + "\n\n\n"
    path.write_text(text, encoding="utf-8")
    # header 1, data 2, blank 3-4, data 5-7: the bad row is row 6
    [problem] = md.check(tmp_path, today=TODAY)
    assert (problem.kind, problem.row, problem.column) == ("bad_choice", 6, "scale")


def test_a_non_numeric_cell_in_a_csv_number_column(dataset, tmp_path):
    dataset.write(tmp_path)
    path = tmp_path / "annual.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",456.78,", ",约450,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [problem] = md.check(tmp_path, today=TODAY)
    assert (problem.kind, problem.table, problem.row, problem.column) == (
        "bad_value",
        "annual",
        3,
        "tax_paid",
    )
    assert str(problem) == "annual.csv row 3, column tax_paid: expected a number, got '约450'"


def test_spaces_around_csv_cells_are_ignored(dataset, tmp_path):
    dataset.write(tmp_path)
    path = tmp_path / "enterprises.csv"
    text = (
        path.read_text(encoding="utf-8").replace(f"{U1},", f" {U1} ,").replace(",3451,", ", 3451,")
    )
    path.write_text(text, encoding="utf-8")
    assert md.check(tmp_path, today=TODAY) == []
    assert md.load(tmp_path, today=TODAY).fingerprint() == dataset.fingerprint()


def test_a_csv_saved_with_a_byte_order_mark_reads(dataset, tmp_path):
    dataset.write(tmp_path)
    path = tmp_path / "enterprises.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert md.check(tmp_path, today=TODAY) == []
    assert md.load(tmp_path, today=TODAY).fingerprint() == dataset.fingerprint()


def test_parquet_rows_are_numbered_from_one(dataset, tmp_path):
    dataset.write(tmp_path, "parquet")
    dataset.annual.with_columns(pl.lit(-1.0).alias("rd_expense")).head(2).write_parquet(
        tmp_path / "annual.parquet"
    )
    found = md.check(tmp_path, today=TODAY)
    assert [str(p) for p in found] == [
        "annual.parquet row 1, column rd_expense: negative amount -1.0 (expected ≥ 0)",
        "annual.parquet row 2, column rd_expense: negative amount -1.0 (expected ≥ 0)",
    ]


def test_infinity_and_nan_in_parquet_are_not_numbers(dataset, tmp_path):
    """Parquet keeps floats as floats: an infinite tax_paid passed validation and made every firm
    an A; NaN in any float column is refused the same way."""
    dataset.write(tmp_path, "parquet")
    dataset.annual.with_columns(
        pl.Series("tax_paid", [1.0, float("inf"), 2.0, 3.0]),
        pl.Series("value_added", [float("nan"), 1.0, 1.0, float("-inf")]),
        pl.Series("employees", [None, 1.0, float("nan"), 1.0]),
    ).write_parquet(tmp_path / "annual.parquet")
    found = md.check(tmp_path, today=TODAY)
    assert [str(p) for p in found] == [
        "annual.parquet row 1, column value_added: expected a number, got 'NaN'",
        "annual.parquet row 2, column tax_paid: expected a number, got 'inf'",
        "annual.parquet row 3, column employees: expected a number, got 'NaN'",
        "annual.parquet row 4, column value_added: expected a number, got '-inf'",
    ]
    assert {(p.kind, p.table) for p in found} == {("bad_value", "annual")}
    with pytest.raises(DatasetError):
        Dataset.from_frames(
            **{**dataset.tables(), "annual": pl.read_parquet(tmp_path / "annual.parquet")}
        )


def test_a_parquet_column_of_lists_is_refused_by_its_name(dataset, tmp_path):
    dataset.write(tmp_path, "parquet")
    dataset.parcels.with_columns(
        pl.Series("area_m2", [[1.0, 2.0]] * dataset.parcels.height),
        pl.Series("extra", [[1]] * dataset.parcels.height),  # not in the contract: ignored
    ).write_parquet(tmp_path / "parcels.parquet")
    [problem] = md.check(tmp_path, today=TODAY)
    assert (problem.kind, problem.file, problem.column) == (
        "bad_type",
        "parcels.parquet",
        "area_m2",
    )
    assert problem.reason == "expected a number in each cell, got a column of type List(Float64)"


def test_a_workbook_without_a_required_sheet(dataset, tmp_path):
    tables = {k: v for k, v in dataset.tables().items() if k != "occupancy"}
    path = tmp_path / "partial.xlsx"
    write_tables({**tables, "notes": pl.DataFrame({"x": ["ignored"]})}, path)
    [problem] = md.check(path, today=TODAY)
    assert (problem.kind, problem.table, problem.row) == ("missing_table", "occupancy", None)
    assert problem.reason == "table occupancy is missing"


def test_a_hostile_workbook_is_a_dataset_error_naming_the_sheet(tmp_path):
    """A cell at XFD1048576 in a 2 KB workbook aborted the process when the sheet was parsed
    in-process; the guarded reader refuses the sheet by name."""
    from hostile import hostile_canonical_workbook

    path = tmp_path / "hostile.xlsx"
    path.write_bytes(hostile_canonical_workbook())
    with pytest.raises(DatasetError) as caught:
        md.load(path)
    [problem] = caught.value.problems
    assert (problem.kind, problem.table, problem.file) == (
        "unreadable",
        "enterprises",
        "hostile.xlsx sheet enterprises",
    )
    assert problem.reason == (
        "cannot read workbook: the sheet declares its size as A1:XFD1048576, 16,384 columns wide "
        "(to column XFD), over the limit of 1,000"
    )
    assert md.check(path) == [problem]
