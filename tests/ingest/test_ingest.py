"""`mujun ingest` end to end: the bureaus' messy files (built in the test by messy.py) in, the
canonical dataset and ingest-report.xlsx out, every problem pointing at file, sheet, row and column.

The round trip: a synthetic district written out as its bureaus would export it, ingested, compared
with the original and evaluated. .xls is not written here (nothing installed can write it); the
reader's own tests cover it.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import messy
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from mujun.dataset import Dataset, load
from mujun.dataset.schema import TABLE
from mujun.ingest import IngestProblem, ingest
from mujun.ingest.profile import ProfileError, load_profiles
from mujun.ingest.units import known_units
from mujun.synth import synthesize

MUJUN = str(Path(sys.executable).with_name("mujun"))
YEARS = [2021, 2022]
F1, F2, F3 = messy.FIRMS
LAYOUTS = "electricity, environment, land, leases, qualifications, statistics, tax, violations"
REPORT_HEAD = ["文件 file", "工作表 sheet", "行 row", "列 column", "级别 severity", "说明 reason"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([MUJUN, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def cli(*args: object):
    from mujun.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def problems(result, kind: str) -> list[IngestProblem]:
    return [p for p in result.problems if p.kind == kind]


def where(p: IngestProblem) -> tuple:
    return (p.file, p.sheet, p.row, p.column, p.kind, p.severity)


def csv_sheet(result, file: str) -> str:
    """The sheet name the reader gives a CSV file."""
    return next(s.sheet for s in result.sheets if s.file == file)


# -- the round trip ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = tmp_path_factory.mktemp("district")
    tables = synthesize(60, YEARS, seed=3)
    Dataset.from_frames(**tables)  # the original is valid
    files = messy.bureau_files(tables, root / "bureaus")
    done = run("ingest", *(str(f.relative_to(root)) for f in files), "--out", "d", cwd=root)
    return root, tables, files, done


def test_round_trip_exits_0_and_names_each_files_layout(district):
    root, _tables, _files, done = district
    assert done.returncode == 0, done.stderr
    lines = " ".join(done.stdout.split())
    for text in (
        "统计局_工业企业年报.xlsx [2022年规上]: statistics, header row 4, 11 rows",
        "统计局_工业企业年报.xlsx [2022年规下]: statistics, header row 4, 46 rows",
        "统计局_工业企业年报.xlsx [2021年]: statistics, header row 2, 58 rows",
        ": tax, header row 2, 115 rows",
        ": electricity, header row 1, 60 rows",
        "生态环境_排放当量.xlsx [排放当量]: environment, header row 2, 115 rows",
        "自然资源_宗地.xlsx [宗地]: land, header row 3, 36 rows",
        ": leases, header row 2, 64 rows",
        "违法记录.xlsx [违法记录]: violations, header row 2, 5 rows",
        "资质认定.xlsx [资质认定]: qualifications, header row 1, 27 rows",
        "wrote d: 60 enterprises, 115 enterprise-years, 36 parcels, 64 leases; 0 errors",
    ):
        assert text in lines
    assert sorted(p.name for p in (root / "d").iterdir()) == sorted(
        [*(f"{t}.csv" for t in TABLE), "ingest-report.xlsx"]
    )


def _same(got: pl.DataFrame, expected: pl.DataFrame, table: str) -> None:
    key = list(TABLE[table].key)
    assert_frame_equal(
        got.sort(key),
        expected.select(got.columns).sort(key),
        check_exact=False,
        rel_tol=1e-6,
        abs_tol=1e-12,
        check_dtypes=False,
    )


def test_round_trip_gives_back_the_district(district):
    root, tables, _files, done = district
    assert done.returncode == 0, done.stderr
    got = load(root / "d")
    # same enterprises, names, codes (typed as C2614, by name, 蛟川街道 …) and founding dates
    _same(got.enterprises, tables["enterprises"], "enterprises")
    # same annual values, units converted back (元, 千元, 千克标煤, 万千瓦时, 千克 → the contract's);
    # the tax bureau writes '—' for no 留抵退税 / 免抵调库 / 一次性税收: empty, which the engine counts as 0
    optional = ["vat_refund", "export_vat_offset", "one_off_tax"]
    _same(got.annual.with_columns(pl.col(optional).fill_null(0.0)), tables["annual"], "annual")
    # same parcels (亩 → m², 已投产 → producing); 土地用途 is free text, kept as the bureau writes it
    _same(
        got.parcels,
        tables["parcels"].with_columns(pl.col("land_use").replace(messy.LAND_USE_NAMES)),
        "parcels",
    )
    # same occupancy, the owners' own use included (the lease file lists it as 自用)
    _same(got.occupancy, tables["occupancy"], "occupancy")
    _same(got.events, tables["events"], "events")
    _same(got.qualifications, tables["qualifications"], "qualifications")
    # no bureau file carries projects or talents
    assert got.projects.height == 0 and got.talents.height == 0


def test_round_trip_evaluates_as_the_original(district):
    root, tables, _files, done = district
    assert done.returncode == 0, done.stderr
    original = {k: v for k, v in tables.items() if k not in ("projects", "talents")}
    Dataset.from_frames(**original).write(root / "original")
    for folder, out in (("d", "r.csv"), ("original", "r0.csv")):
        evaluated = run("evaluate", folder, "--year", "2022", "--out", out, cwd=root)
        assert evaluated.returncode == 0, evaluated.stderr
    r = pl.read_csv(root / "r.csv", infer_schema_length=None).sort("uscc")
    r0 = pl.read_csv(root / "r0.csv", infer_schema_length=None).sort("uscc")
    assert r.height == tables["annual"].filter(pl.col("year") == 2022).height
    columns = ["uscc", "list", "status", "grade", "rank", "land_mu", "adjusted_tax", "total_score"]
    assert_frame_equal(r.select(columns), r0.select(columns), check_exact=False, rel_tol=1e-6)
    assert set(r.get_column("grade").drop_nulls()) == {"A", "B", "C", "D"}


def test_without_the_owners_own_use_the_evaluation_is_the_same(district):
    """Most lease registers list tenants only. The canonical occupancy has the owner's own use as a
    row too, which then no file gives; the engine counts the floor space no tenant rents as the
    owner's, so the evaluation does not change."""
    root, tables, files, done = district
    assert done.returncode == 0, done.stderr
    leases = next(f for f in files if f.name == "租赁登记.csv")
    with leases.open(encoding="gb18030", newline="") as f:
        rows = list(csv.reader(f))
    tenants = root / "tenants" / "租赁登记.csv"
    tenants.parent.mkdir()
    messy.write_csv(tenants, [r for r in rows if r[-1] != "自用"], "gbk")
    others = [str(f) for f in files if f != leases]
    assert run("ingest", *others, str(tenants), "--out", "t", cwd=root).returncode == 0
    owners = tables["parcels"].select("parcel_id", pl.col("owner_uscc").alias("uscc"))
    _same(
        load(root / "t").occupancy,
        tables["occupancy"].join(owners, on=["parcel_id", "uscc"], how="anti"),
        "occupancy",
    )
    assert run("evaluate", "t", "--year", "2022", "--out", "rt.csv", cwd=root).returncode == 0
    assert run("evaluate", "d", "--year", "2022", "--out", "rd.csv", cwd=root).returncode == 0
    columns = ["uscc", "list", "status", "grade", "rank", "land_mu", "total_score"]
    assert_frame_equal(
        pl.read_csv(root / "rt.csv", infer_schema_length=None).select(columns).sort("uscc"),
        pl.read_csv(root / "rd.csv", infer_schema_length=None).select(columns).sort("uscc"),
    )


def test_round_trip_report_lists_the_warnings(district):
    root, _tables, _files, done = district
    assert done.returncode == 0, done.stderr
    book = CalamineWorkbook.from_path(str(root / "d" / "ingest-report.xlsx"))
    assert book.sheet_names == [
        "概要 summary",
        "name_mismatch",
        "skipped",
        "unrecognized",
        "unused_column",
    ]
    summary = book.get_sheet_by_name("概要 summary").to_python()
    assert summary[0][:3] == ["文件 file", "工作表 sheet", "识别为 layout"]
    assert ["结果 outcome", "已写入 written"] in [row[:2] for row in summary]
    unrecognized = book.get_sheet_by_name("unrecognized").to_python()
    assert unrecognized[0] == REPORT_HEAD
    assert unrecognized[1][:5] == ["bureaus/自然资源_宗地.xlsx", "说明", "", "", "warning"]
    skipped = book.get_sheet_by_name("skipped").to_python()
    assert [
        "bureaus/统计局_工业企业年报.xlsx",
        "2022年规上",
        16.0,
        "",
        "warning",
        "totals: 合计",
    ] in skipped
    mismatch = book.get_sheet_by_name("name_mismatch").to_python()
    assert len(mismatch) == 1 + 7
    assert all(
        "（镇海）' (bureaus/生态环境_排放当量.xlsx sheet 排放当量 row" in r[5] for r in mismatch[1:]
    )


# -- one problem at a time --------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _in_tmp_path(request, tmp_path, monkeypatch):
    """Files are named as the user types them, relative to where mujun runs."""
    if "district" not in request.fixturenames:
        monkeypatch.chdir(tmp_path)


@pytest.fixture
def stats() -> Path:
    return messy.statistics_file(Path("统计.xlsx"))


def test_small_files_assemble(stats):
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"))])
    assert result.errors == []
    annual = result.dataset.annual.sort("uscc")
    assert annual.get_column("uscc").to_list() == [f.uscc for f in messy.FIRMS]
    assert annual.get_column("tax_paid").to_list() == [f.tax_paid for f in messy.FIRMS]
    # no scale column: 规上 from revenue of 2000 万元 or more
    assert annual.get_column("scale").to_list() == ["above", "below", "above"]
    assert annual.get_column("year").to_list() == [2022] * 3  # from the title row
    assert result.dataset.enterprises.get_column("division_code").unique().to_list() == [
        "330211002"
    ]


def test_a_header_without_a_unit_is_an_error_asking_for_it(stats):
    header = ["纳税人识别号", "纳税人名称", "所属年度", "实缴税金", "固定资产进项税抵扣（万元）"]
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"), header=header)])
    [p] = result.errors
    assert where(p) == ("税务.xlsx", "纳税情况", 1, "实缴税金", "unit_missing", "error")
    assert p.reason == (
        "column '实缴税金' gives no unit: write it in the header, e.g. '实缴税金（万元）', "
        "or set it in a profile"
    )
    assert result.dataset is None


def test_a_sheet_unit_note_gives_the_unit(stats):
    header = ["纳税人识别号", "纳税人名称", "所属年度", "实缴税金", "固定资产进项税抵扣"]
    rows = [[f.uscc, f.name, 2022, f"{f.tax_paid * 1e4:,.2f}", "—"] for f in messy.FIRMS]
    path = messy.write_xlsx(
        Path("税务.xlsx"), {"纳税": [["企业纳税情况表"], ["金额单位：元"], header, *rows]}
    )
    result = ingest([stats, path])
    assert result.errors == []
    assert sorted(result.dataset.annual.get_column("tax_paid").to_list()) == pytest.approx(
        sorted(f.tax_paid for f in messy.FIRMS)
    )


def test_an_unknown_unit_is_an_error_naming_the_known_ones(stats):
    header = [
        "纳税人识别号",
        "纳税人名称",
        "所属年度",
        "实缴税金（万美元）",
        "固定资产进项税抵扣（万元）",
    ]
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"), header=header)])
    [p] = result.errors
    assert where(p) == ("税务.xlsx", "纳税情况", 1, "实缴税金（万美元）", "unit_unknown", "error")
    assert p.reason == (
        "unit '万美元' of column '实缴税金（万美元）' is not one mujun knows for this quantity; "
        f"use one of {known_units('money')}"
    )


def test_uscc_in_lower_case_with_spaces_is_normalized():
    rows = [messy.statistics_row(f) for f in messy.FIRMS]
    rows[0][0] = messy.spaced_uscc(F1.uscc)
    rows[2][0] = F3.uscc.lower() + "  "
    stats = messy.statistics_file(Path("统计.xlsx"), rows=rows)
    tax = messy.tax_rows()
    tax[0][0] = F1.uscc.lower()
    result = ingest([stats, messy.tax_file(Path("税务.csv"), tax)])
    assert result.problems == []
    assert sorted(result.dataset.enterprises.get_column("uscc")) == [f.uscc for f in messy.FIRMS]
    first = result.dataset.annual.filter(pl.col("uscc") == F1.uscc).row(0, named=True)
    assert first["tax_paid"] == F1.tax_paid


def test_an_invalid_uscc_is_an_error_on_its_row(stats):
    tax = messy.tax_rows()
    bad = F2.uscc[:-1] + "X"
    tax[1][0] = bad
    result = ingest([stats, messy.tax_file(Path("税务.csv"), tax)])
    [p] = result.errors
    assert csv_sheet(result, "税务.csv") == ""  # a CSV's one sheet has no name
    assert where(p) == ("税务.csv", "", 3, "纳税人识别号", "bad_value", "error")
    assert (
        p.reason == f"invalid USCC '{bad}': check character is 'X', GB 32100 gives '{F2.uscc[-1]}'"
    )
    assert result.dataset is None


def test_numbers_as_people_type_them():
    rows = [messy.statistics_row(f) for f in messy.FIRMS]
    rows[0][5:9] = ["3,000.00", "３０６０．５", " 800 ", "—"]
    rows[1][5:9] = ["1,200.50 ", "1224", "３００", ""]
    stats = messy.statistics_file(Path("统计.xlsx"), rows=rows)
    result = ingest([stats])
    assert result.errors == []
    annual = result.dataset.annual.sort("uscc")
    assert annual.get_column("revenue").to_list()[:2] == [3000.0, 1200.5]
    assert annual.get_column("output").to_list()[:2] == [3060.5, 1224.0]
    assert annual.get_column("value_added").to_list()[:2] == [800.0, 300.0]
    assert annual.get_column("rd_expense").to_list()[:2] == [None, None]


def test_a_cell_that_is_not_a_number_is_an_error_on_its_cell():
    rows = [messy.statistics_row(f) for f in messy.FIRMS]
    rows[1][7] = "约300"
    result = ingest([messy.statistics_file(Path("统计.xlsx"), rows=rows)])
    [p] = result.errors
    assert where(p) == ("统计.xlsx", "规上工业", 4, "工业增加值（万元）", "bad_value", "error")
    assert p.reason == "expected a number, got '约300'"


def test_dates_as_people_type_them():
    firms = [*messy.FIRMS, messy.Firm(4)]
    rows = [messy.statistics_row(f) for f in firms]
    rows[0][4] = messy.dt.date(2021, 3, 1)  # a date cell
    rows[1][4] = messy.excel_serial(messy.dt.date(2021, 3, 1))  # its number, no date format
    rows[2][4] = "2021/3/1"
    rows[3][4] = "2021年3月1日"
    result = ingest([messy.statistics_file(Path("统计.xlsx"), firms, rows=rows)])
    assert result.errors == []
    assert (
        result.dataset.enterprises.get_column("established").to_list()
        == [messy.dt.date(2021, 3, 1)] * 4
    )


def test_a_conflict_between_two_tax_files_names_both_rows(stats):
    a = messy.tax_file(Path("税务A.xlsx"))
    other = messy.tax_rows()
    other[0][3] = 120.0
    b = messy.tax_file(Path("税务B.xlsx"), other)
    result = ingest([stats, a, b])
    conflicts = problems(result, "conflict")
    assert [where(p) for p in conflicts] == [
        ("税务A.xlsx", "纳税情况", 2, "实缴税金（万元）", "conflict", "error"),
        ("税务B.xlsx", "纳税情况", 2, "实缴税金（万元）", "conflict", "error"),
    ]
    assert [p.reason for p in conflicts] == [
        f"{F1.uscc} 2022 tax_paid: 150.0 here but 120.0 in 税务B.xlsx sheet 纳税情况 row 2",
        f"{F1.uscc} 2022 tax_paid: 120.0 here but 150.0 in 税务A.xlsx sheet 纳税情况 row 2",
    ]
    assert result.errors == conflicts and result.dataset is None


def test_the_same_amount_in_two_units_is_no_conflict(stats):
    a = messy.tax_file(Path("税务A.xlsx"))
    header = ["纳税人识别号", "纳税人名称", "所属年度", "实缴税金(元)", "固定资产进项税抵扣(元)"]
    rows = [[f.uscc, f.name, 2022, f"{f.tax_paid * 1e4:,.2f}", "0"] for f in messy.FIRMS]
    b = messy.tax_file(Path("税务B.csv"), rows, header=header)
    result = ingest([stats, a, b])
    assert result.errors == []


def test_the_same_firm_under_two_names_is_a_warning(stats):
    tax = messy.tax_rows()
    tax[0][1] = "宁波镇海测试1号机械有限公司（镇海）"
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"), tax)])
    [p] = result.problems
    assert where(p) == ("统计.xlsx", "规上工业", 3, "单位详细名称", "name_mismatch", "warning")
    assert p.reason == (
        f"{F1.uscc} appears under 2 names: '{F1.name}' (统计.xlsx sheet 规上工业 row 3); "
        f"'{F1.name}（镇海）' (税务.xlsx sheet 纳税情况 row 2)"
    )
    # the statistics bureau's name is kept
    assert F1.name in result.dataset.enterprises.get_column("name").to_list()


def test_a_firm_missing_from_a_source_is_a_warning(stats):
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"), messy.tax_rows()[:2])])
    [p] = result.problems
    assert where(p) == (
        "统计.xlsx",
        "规上工业",
        5,
        "统一社会信用代码",
        "missing_in_source",
        "warning",
    )
    assert p.reason == f"{F3.uscc} 2022 is in statistics but missing from tax"
    assert result.dataset.annual.height == 3


def test_a_firm_only_the_tax_bureau_knows_cannot_be_assembled(stats):
    stranger = messy.Firm(9)
    rows = messy.tax_rows([*messy.FIRMS, stranger])
    result = ingest([stats, messy.tax_file(Path("税务.xlsx"), rows)])
    assert (
        "税务.xlsx",
        "纳税情况",
        5,
        "统一社会信用代码",
        "missing_in_source",
        "warning",
    ) in [where(p) for p in result.problems]
    assert {where(p) for p in result.errors} == {
        ("税务.xlsx", "纳税情况", 5, column, kind, "error")
        for column, kind in [
            ("规模", "missing_value"),
            ("scale", "invalid"),
            ("industry_code", "invalid"),
            ("division_code", "invalid"),
            ("established", "invalid"),
            ("纳税人名称", "missing_in_source"),
        ]
    }
    [plain] = [p for p in result.errors if p.kind == "missing_in_source"]
    assert (
        "is in no statistics file: its industry, subdistrict and founding date are unknown"
        in plain.reason
    )


def test_an_unrecognizable_file_is_an_error_naming_the_layouts(stats):
    roster = messy.write_xlsx(
        Path("名单.xlsx"), {"Sheet1": [["姓名", "身份证号", "电话"], ["张三", "330", "138"]]}
    )
    result = ingest([stats, roster])
    [p] = result.errors
    assert where(p) == ("名单.xlsx", "Sheet1", None, "", "unrecognized", "error")
    assert p.reason == (
        "cannot tell which agency's file this is: no layout's required columns were found "
        f"({LAYOUTS}); name the columns as the bureau does or add a profile with --profile"
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(stats, encoding):
    rows = messy.tax_rows()
    if encoding == "gb18030":  # a name GBK cannot write
        rows[0][1] = "宁波䶮𠮷机械有限公司"
    path = messy.tax_file(Path("税务.csv"), [["2022年度纳税情况"], messy.TAX_HEADER, *rows],
                          header=None, encoding=encoding)  # fmt: skip
    result = ingest([stats, path])
    assert [(s.file, s.profile, s.header_rows) for s in result.sheets][-1] == (
        "税务.csv",
        "tax",
        (2,),
    )
    assert result.dataset is not None, result.errors
    assert sorted(result.dataset.annual.get_column("tax_paid")) == sorted(
        f.tax_paid for f in messy.FIRMS
    )


# -- the command ------------------------------------------------------------------------------------
def test_with_errors_nothing_but_the_report_is_written_and_exit_1(stats):
    tax = messy.tax_rows()
    tax[1][0] = F2.uscc[:-1] + "X"
    out = Path("d")
    done = cli("ingest", stats, messy.tax_file(Path("税务.xlsx"), tax), "--out", out)
    assert done.exit_code == 1
    assert [p.name for p in out.iterdir()] == ["ingest-report.xlsx"]
    err = " ".join(done.stderr.split())
    assert "税务.xlsx sheet 纳税情况 row 3, column 纳税人识别号: invalid USCC" in err
    assert "1 problem, 1 warnings: nothing written" in err
    book = CalamineWorkbook.from_path(str(out / "ingest-report.xlsx"))
    assert book.sheet_names == ["概要 summary", "bad_value", "missing_in_source"]
    rows = book.get_sheet_by_name("bad_value").to_python()
    assert rows[0] == REPORT_HEAD
    assert rows[1][:5] == ["税务.xlsx", "纳税情况", 3.0, "纳税人识别号", "error"]
    summary = book.get_sheet_by_name("概要 summary").to_python()
    assert ["结果 outcome", "未写入 nothing written"] in [r[:2] for r in summary]


def test_keep_going_writes_the_valid_rows_and_rejects_the_rest_unchanged():
    rows = [messy.statistics_row(f) for f in messy.FIRMS]
    rows[2][2] = "C99"  # no such industry: F3 is rejected, and with it its tax row
    stats = messy.statistics_file(Path("统计.xlsx"), rows=rows)
    tax = messy.tax_rows()
    tax[0][3] = "1,2x"
    tax[1][0] = F2.uscc.lower()[:-1] + "x"
    grid = [["2022年度企业纳税情况"], messy.TAX_HEADER, *tax, ["合计", None, None, "1,990.00"]]
    tax_path = messy.write_csv(Path("税务.csv"), grid, "gbk")
    out = Path("d")
    done = cli("ingest", stats, tax_path, "--out", out, "--keep-going")
    assert done.exit_code == 0, done.stderr
    ds = load(out)
    assert ds.enterprises.get_column("uscc").sort().to_list() == [F1.uscc, F2.uscc]
    annual = ds.annual.sort("uscc")
    assert annual.get_column("tax_paid").to_list() == [None, None]
    assert annual.get_column("revenue").to_list() == [F1.revenue, F2.revenue]
    rejects = sorted(p.name for p in (out / "rejects").iterdir())
    assert rejects == ["税务.csv", "统计 规上工业.csv"]

    with tax_path.open(encoding="gbk", newline="") as f:
        original = list(csv.reader(f))
    with (out / "rejects" / "税务.csv").open(encoding="utf-8-sig", newline="") as f:
        rejected = list(csv.reader(f))
    # the header, then the two bad rows and F3's row (whose statistics row was rejected), as typed
    assert rejected == [original[1], original[2], original[3], original[4]]
    with (out / "rejects" / "统计 规上工业.csv").open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [
            messy.STATISTICS_HEADER,
            [F3.uscc, F3.name, "C99", "蛟川街道", "2010-05-01", "25000", "25500", "5200", "750",
             "100", "2500"],
        ]  # fmt: skip
    book = CalamineWorkbook.from_path(str(out / "ingest-report.xlsx"))
    bad = book.get_sheet_by_name("bad_value").to_python()[1:]
    sheet = ""  # a CSV file has one sheet
    assert [r[:4] for r in bad] == [
        ["税务.csv", sheet, 3.0, "实缴税金（万元）"],
        ["税务.csv", sheet, 4.0, "纳税人识别号"],
        ["统计.xlsx", "规上工业", 5.0, "行业代码"],
    ]
    # 4 rows: 3 from the tax file, 1 from the statistics workbook
    assert "; 4 rejected rows in d/rejects" in " ".join(done.stdout.split())


def test_a_second_run_clears_stale_rejects(stats):
    out = Path("d")
    (out / "rejects").mkdir(parents=True)
    (out / "rejects" / "old.csv").write_text("x")
    done = cli("ingest", stats, messy.tax_file(Path("税务.xlsx")), "--out", out)
    assert done.exit_code == 0, done.stderr
    assert list((out / "rejects").iterdir()) == []


COUNTY = """
name = "county_tax"
title = "某县税务局 纳税情况（县里自己的导出格式）"
fields = ["uscc", "name", "year", "tax_paid"]
required = ["uscc", "tax_paid"]

[headers]
"纳税人代码" = "uscc"
"纳税金额合计" = "tax_paid"

[units]
tax_paid = "元"
"""


def test_a_countys_own_profile(stats):
    profile = Path("county.toml")
    profile.write_text(COUNTY, encoding="utf-8")
    header = ["纳税人代码", "纳税人名称", "年度", "纳税金额合计"]
    rows = [[f.uscc, f.name, 2022, f"{f.tax_paid * 1e4:,.0f}"] for f in messy.FIRMS]
    path = messy.tax_file(Path("县税务.csv"), rows, header=header)
    # without the profile the file is not recognized
    assert [p.kind for p in ingest([stats, path]).errors] == ["unrecognized"]
    out = Path("d")
    done = cli("ingest", stats, path, "--out", out, "--profile", profile)
    assert done.exit_code == 0, done.stderr
    assert "县税务.csv: county_tax, header row 1, 3 rows" in " ".join(done.stdout.split())
    annual = load(out).annual.sort("uscc")
    assert annual.get_column("tax_paid").to_list() == pytest.approx(
        [f.tax_paid for f in messy.FIRMS]
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('tax_paid = "元"', 'tax_paid = "万美元"'), "units.tax_paid: unknown unit '万美元'"),
        (('"uscc", "name", "year"', '"uscc", "nmae", "year"'), "fields: Value error, unknown fields ['nmae']"),
        (("[headers]", "[header]"), "header: Extra inputs are not permitted"),
        (('"纳税金额合计" = "tax_paid"', '"纳税金额合计" = "revenue"'),
         "headers.纳税金额合计: 'revenue' is not one of this profile's fields"),
        (("name = ", "name == "), "not valid TOML"),
        (("[units]", '[constants]\nscale = "也许"\n[units]'),
         "constants.scale: not one of this profile's fields without a unit"),
        (("[units]", '[constants]\nyear = "明年"\n[units]'),
         "constants.year: expected a year such as 2022, got '明年'"),
    ],
)  # fmt: skip
def test_an_invalid_profile_is_refused_with_the_key(change, words):
    profile = Path("county.toml")
    profile.write_text(COUNTY.replace(*change), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profiles([profile])
    assert words in str(caught.value)
    assert str(caught.value).startswith(str(profile))
    done = cli("ingest", profile, "--out", Path("d"), "--profile", profile)
    assert done.exit_code == 1
    assert words in " ".join(done.stderr.split())
    assert not (Path("d")).exists()


def test_a_profiles_constants_fill_what_the_file_does_not_say():
    """A county's 规下 survey file: no scale column, no year anywhere; the profile says both."""
    Path("county.toml").write_text(
        """
name = "county_below"
title = "某县 规下工业企业抽样调查"
fields = ["uscc", "name", "year", "scale", "industry_code", "division_code", "established",
          "revenue", "output", "value_added", "employees", "rd_expense", "energy_tce"]
required = ["uscc", "name", "industry_code", "revenue", "value_added"]

[constants]
scale = "规下"
year = "2022年"
""",
        encoding="utf-8",
    )
    path = messy.write_xlsx(
        Path("规下.xlsx"),
        {"Sheet1": [messy.STATISTICS_HEADER, *(messy.statistics_row(f) for f in messy.FIRMS)]},
    )
    result = ingest([path], load_profiles([Path("county.toml")]))
    assert result.errors == []
    annual = result.dataset.annual
    # revenue of 2000 万元 or more would say 规上; the file is the county's 规下 survey
    assert annual.get_column("scale").to_list() == ["below"] * 3
    assert annual.get_column("year").to_list() == [2022] * 3


def test_the_year_from_each_sheets_name(stats):
    sheets = {
        f"{year}年": [messy.TAX_HEADER[:2] + messy.TAX_HEADER[3:]]
        + [[f.uscc, f.name, f.tax_paid + year - 2022, 0] for f in messy.FIRMS]
        for year in (2021, 2022)
    }
    result = ingest([stats, messy.write_xlsx(Path("税务.xlsx"), sheets)])
    # 2021 is in the tax file only: each firm is missing from the statistics that year
    assert {p.kind for p in result.errors} == {"missing_value", "invalid"}
    taxed = {
        (p.sheet, p.row)
        for p in result.problems
        if p.kind == "missing_in_source" and p.reason.endswith("missing from statistics")
    }
    assert taxed == {("2021年", 2), ("2021年", 3), ("2021年", 4)}
    kept = ingest([stats, messy.write_xlsx(Path("税务.xlsx"), sheets)], keep_going=True)
    annual = kept.dataset.annual.sort("uscc")
    assert annual.get_column("year").to_list() == [2022] * 3
    assert annual.get_column("tax_paid").to_list() == [f.tax_paid for f in messy.FIRMS]
    assert {r for _, s, r in kept.rejected if s == "2021年"} == {2, 3, 4}


def test_usage_errors_exit_2():
    assert cli("ingest", "--out", Path("d")).exit_code == 2
    assert cli("ingest", Path("x.csv")).exit_code == 2


def test_a_file_that_does_not_exist_is_unreadable(stats):
    done = cli("ingest", stats, Path("没有.csv"), "--out", Path("d"))
    assert done.exit_code == 1
    assert "没有.csv" in done.stderr
