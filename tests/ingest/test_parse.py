"""Headers, units and cell values as people write them (mujun.ingest.headers, units, values), and
the table found in a sheet (mujun.ingest.table) — in memory, no files."""

from __future__ import annotations

import datetime as dt

import pytest

from mujun.ingest.fields import FIELDS
from mujun.ingest.headers import normalize, parse_header, unit_note, year_note
from mujun.ingest.profile import load_profiles
from mujun.ingest.read import Sheet
from mujun.ingest.table import locate, records
from mujun.ingest.units import M2_PER_MU, factor
from mujun.ingest.values import (
    check_text,
    parse_date,
    parse_division,
    parse_event,
    parse_industry,
    parse_level,
    parse_number,
    parse_parcel_status,
    parse_qualification,
    parse_scale,
    parse_uscc,
    parse_year,
)

USCC = "91330211MA2X7Q034R"  # a valid code (GB 32100 check character R)


# -- headers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "unit", "year"),
    [
        ("实缴税金（万元）", "实缴税金", "万元", None),
        ("实缴税金(万元)", "实缴税金", "万元", None),
        (" 实缴税金\n(万元) ", "实缴税金", "万元", None),
        ("实缴税金【万元】", "实缴税金", "万元", None),
        ("实缴税金/万元", "实缴税金", "万元", None),
        ("2022年实缴税金（万元）", "实缴税金", "万元", 2022),
        ("2021年度用电量(万千瓦时)", "用电量", "万千瓦时", 2021),
        ("用地面积(亩)", "用地面积", "亩", None),
        ("用地面积（m²）", "用地面积", "m2", None),
        ("用地面积(m^2)", "用地面积", "m^2", None),
        ("租赁面积(㎡)", "租赁面积", "m2", None),
        ("建筑面积（平方米）", "建筑面积", "平方米", None),
        ("综合能耗(吨标准煤)", "综合能耗", "吨标准煤", None),
        ("年末从业人员", "年末从业人员", None, None),
        ("R&D经费支出（千元）", "r&d经费支出", "千元", None),
        ("ＵＳＣＣ", "uscc", None, None),
        # an unknown unit is still a unit: refused later, not mistaken for a qualifier
        ("实缴税金（万美元）", "实缴税金", "万美元", None),
        ("用地面积(英亩)", "用地面积", "英亩", None),
    ],
)
def test_header_name_unit_year(text, name, unit, year):
    h = parse_header(text)
    assert (h.names[0], h.unit, h.year) == (name, unit, year)
    assert h.text == text.strip()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("工业总产值（当年价）", ("工业总产值(当年价)", "工业总产值")),
        ("综合能耗（等价值）", ("综合能耗(等价值)", "综合能耗")),
        ("企业(单位)名称", ("企业(单位)名称",)),
    ],
)
def test_a_bracketed_qualifier_is_not_a_unit(text, names):
    h = parse_header(text)
    assert h.names == names and h.unit is None


def test_sheet_level_unit_and_year_notes():
    assert unit_note("单位：万元") == "万元"
    assert unit_note("金额单位:元") == "元"
    assert unit_note("（单位：万元，人）") == "万元"
    assert unit_note("2022年度规上工业企业主要指标") is None
    assert year_note("2022年度规上工业企业主要指标") == 2022
    assert year_note("２０２１年企业纳税情况") == 2021
    assert year_note("企业纳税情况") is None


@pytest.mark.parametrize(
    ("field", "header"),
    [
        ("tax_paid", "实缴税金"),
        ("tax_paid", "入库税收"),
        ("uscc", "纳税人识别号"),
        ("uscc", "统一社会信用代码"),
        ("name", "单位详细名称"),
        ("employees", "年末从业人员"),
        ("employees", "从业人员平均人数"),
        ("energy_tce", "综合能源消费量"),
        ("output", "工业总产值(当年价)"),
        ("rd_expense", "R&D经费支出"),
        ("area_m2", "用地面积"),
        ("floor_area_m2", "建筑面积"),
        ("electricity_kwh", "用电量"),
        ("leased_floor_m2", "租赁面积"),
        ("tenant_uscc", "承租方统一社会信用代码"),
    ],
)
def test_synonyms_in_the_catalog(field, header):
    assert normalize(header) in {normalize(h) for h in FIELDS[field].headers}


# -- units ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("quantity", "unit", "expected"),
    [
        ("money", "元", 1e-4),
        ("money", "万元", 1.0),
        ("money", "亿元", 1e4),
        ("money", "千元", 0.1),
        ("area", "m²", 1.0),
        ("area", "㎡", 1.0),
        ("area", "m2", 1.0),
        ("area", "平方米", 1.0),
        ("area", "亩", M2_PER_MU),
        ("area", "公顷", 1e4),
        ("energy", "tce", 1.0),
        ("energy", "吨标准煤", 1.0),
        ("energy", "千克标煤", 1e-3),
        ("energy", "万吨标准煤", 1e4),
        ("electricity", "kWh", 1.0),
        ("electricity", "千瓦时", 1.0),
        ("electricity", "万千瓦时", 1e4),
        ("electricity", "万kWh", 1e4),
        ("persons", "人", 1.0),
        ("emissions", "千克", 1e-3),
    ],
)
def test_unit_factors_to_the_contract(quantity, unit, expected):
    assert factor(quantity, unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("quantity", "unit"), [("money", "万美元"), ("money", "亩"), ("area", "英亩"), ("energy", "度")]
)
def test_an_unknown_unit_has_no_factor(quantity, unit):
    assert factor(quantity, unit) is None


def test_one_mu_is_a_fifteenth_of_a_hectare():
    assert pytest.approx(1e4) == M2_PER_MU * 15


# -- values -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("1,234.50", 1234.5),
        ("１２３４．５", 1234.5),
        ("１，２３４．５０", 1234.5),
        (" 12 ", 12.0),
        ("12  ", 12.0),
        ("1，234", 1234.0),
        ("(12.5)", -12.5),
        ("3e2", 300.0),
        (1234.5, 1234.5),
        (7, 7.0),
        ("—", None),
        ("——", None),
        ("-", None),
        ("", None),
        ("  ", None),
        (None, None),
        ("无", None),
    ],
)
def test_numbers_as_typed(cell, value):
    assert parse_number(cell) == (value, None)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("abc", "expected a number, got 'abc'"),
        ("12%", "expected an amount, got the percentage '12%'"),
        (dt.date(2021, 3, 1), "expected a number, got the date 2021-03-01"),
        (True, "expected a number, got True"),
        (float("nan"), "not a finite number"),
    ],
)
def test_numbers_refused(cell, reason):
    assert parse_number(cell) == (None, reason)


def test_a_percentage_where_a_share_is_expected():
    assert parse_number("12.5%", percent_ok=True) == (0.125, None)


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(2021, 3, 1),
        dt.datetime(2021, 3, 1, 0, 0),
        44256,  # the Excel serial number of 2021-03-01
        44256.0,
        "2021/3/1",
        "2021年3月1日",
        "２０２１年３月１日",
        "2021.03.01",
        "2021-03-01",
        "2021-03-01 00:00:00",
        "20210301",
        20210301,
        "2021-03",
        "2021年3月",
    ],
)
def test_dates_as_typed(cell):
    assert parse_date(cell) == (dt.date(2021, 3, 1), None)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2021/13/1", "expected a date such as 2021-03-01, got '2021/13/1'"),
        ("三月一日", "expected a date such as 2021-03-01, got '三月一日'"),
        (12, "expected a date, got 12"),
    ],
)
def test_dates_refused(cell, reason):
    assert parse_date(cell) == (None, reason)


@pytest.mark.parametrize(
    ("cell", "year"), [("2022", 2022), ("2022年", 2022), ("2022年度", 2022), (2022.0, 2022)]
)
def test_years(cell, year):
    assert parse_year(cell) == (year, None)


def test_a_two_digit_year_is_refused():
    assert parse_year("22") == (None, "expected a year such as 2022, got '22'")


@pytest.mark.parametrize(
    "cell",
    [
        USCC,
        USCC.lower(),
        " 91330211MA2X7Q034R ",
        "913302 11ma2x 7q034r",
        "91330211-MA2X7Q034R",
        "９１３３０２１１ＭＡ２Ｘ７Ｑ０３４Ｒ",
    ],
)
def test_uscc_normalized(cell):
    assert parse_uscc(cell) == (USCC, None)


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("91330211MA2X7Q034X", "check character is 'X', GB 32100 gives 'R'"),
        ("9133021", "expected 18 characters, got 7"),
    ],
)
def test_invalid_uscc(cell, why):
    assert parse_uscc(cell) == (None, f"invalid USCC '{cell}': {why}")


@pytest.mark.parametrize(
    "cell", ["2614", "C2614", "c2614", "有机化学原料制造", "2614 有机化学原料制造", "2614.0"]
)
def test_industry_by_code_or_name(cell):
    assert parse_industry(cell) == ("2614", None)


def test_an_unknown_industry_is_refused():
    assert parse_industry("C26") == (
        None,
        "'C26' is not a GB/T 4754-2017 class (4 digits, e.g. 2614, or its name)",
    )


@pytest.mark.parametrize("cell", ["蛟川街道", "蛟川", "330211002", "330211002000", " 蛟川街道 "])
def test_division_by_code_or_name(cell):
    assert parse_division(cell) == ("330211002", None)


def test_an_unknown_division_is_refused():
    assert parse_division("浦东新区") == (
        None,
        "'浦东新区' is not a division code nor a known subdistrict or town",
    )


def test_kinds_in_words():
    assert parse_scale("是") == ("above", None)
    assert parse_scale("规模以下") == ("below", None)
    assert parse_event("重大环境违法") == ("env_major", None)
    assert parse_event("生产安全死亡事故") == ("safety_fatal", None)
    assert parse_qualification("国家高新技术企业") == ("high_tech", None)
    assert parse_qualification("专精特新小巨人") == ("little_giant", None)
    assert parse_level("省级") == ("provincial", None)
    assert parse_parcel_status("已投产") == ("producing", None)
    assert parse_parcel_status("闲置") == ("idle", None)
    assert parse_scale("也许")[1] == "unknown scale '也许' (expected one of above, below)"


def test_text_with_a_control_character_is_refused():
    assert check_text(" 宁波某某有限公司 ") == ("宁波某某有限公司", None)
    assert check_text("宁波\x07公司") == (None, "control character '\\x07' in '宁波\x07公司'")


# -- the table in a sheet ---------------------------------------------------------------------------
def sheet(rows: list[list[object]], name: str = "Sheet1") -> Sheet:
    return Sheet("纳税.xlsx", name, rows, None)


def test_title_note_two_row_header_and_totals():
    rows = [
        ["2022年度企业纳税情况表", None, None, None],
        ["单位：万元", None, None, None],
        ["纳税人识别号", "纳税人名称", "税收指标", None],
        [None, None, "实缴税金", "固定资产进项税抵扣"],
        [USCC.lower(), "宁波甲公司 ", "1,234.50", "—"],
        ["合计", None, "1,234.50", None],
        ["注：数据来源金税三期", None, None, None],
    ]
    loc = locate(sheet(rows), load_profiles())
    assert loc.profile.name == "tax"
    assert loc.header_rows == (3, 4)
    assert loc.year == 2022
    assert [c.header for c in loc.columns] == [
        "纳税人识别号",
        "纳税人名称",
        "税收指标/实缴税金",
        "税收指标/固定资产进项税抵扣",
    ]
    assert loc.skipped == [(6, "totals", "合计"), (7, "note", "注：数据来源金税三期")]
    recs, problems = records(loc)
    assert problems == []
    [rec] = recs
    assert rec["uscc"] == USCC and rec["name"] == "宁波甲公司" and rec["year"] == 2022
    assert rec["tax_paid"] == 1234.5 and rec["fixed_asset_vat_credit"] is None


def test_a_unit_on_the_group_header_applies_to_its_columns():
    rows = [
        ["统一社会信用代码", "企业名称", "行业代码", "主要指标（亿元）", None],
        [None, None, None, "营业收入", "工业增加值"],
        [USCC, "甲", "2614", "1.5", "0.25"],
    ]
    loc = locate(sheet(rows), load_profiles())
    assert loc.profile.name == "statistics" and loc.problems == []
    [rec], _ = records(loc)
    assert rec["revenue"] == pytest.approx(15000) and rec["value_added"] == pytest.approx(2500)


def test_units_converted():
    rows = [
        ["宗地编号", "权利人统一社会信用代码", "用地面积(公顷)", "建筑面积（㎡）"],
        ["P1", USCC, "1.5", "12,000"],
    ]
    loc = locate(sheet(rows), load_profiles())
    [rec], problems = records(loc)
    assert problems == []
    assert rec["area_m2"] == pytest.approx(15000) and rec["floor_area_m2"] == 12000


def test_a_header_without_unit_asks_for_it():
    rows = [["统一社会信用代码", "企业名称", "实缴税金"], [USCC, "甲", "100"]]
    loc = locate(sheet(rows, "2022年"), load_profiles())
    [p] = loc.problems
    assert (p.file, p.sheet, p.row, p.column, p.kind) == (
        "纳税.xlsx",
        "2022年",
        1,
        "实缴税金",
        "unit_missing",
    )
    assert p.reason == (
        "column '实缴税金' gives no unit: write it in the header, e.g. '实缴税金（万元）', "
        "or set it in a profile"
    )


def test_persons_need_no_unit():
    rows = [
        [
            "统一社会信用代码",
            "企业名称",
            "行业代码",
            "营业收入(万元)",
            "工业增加值(万元)",
            "年末从业人员",
        ],
        [USCC, "甲", "2614", "1", "1", "35"],
    ]
    loc = locate(sheet(rows), load_profiles())
    assert loc.problems == []
    [rec], _ = records(loc)
    assert rec["employees"] == 35
