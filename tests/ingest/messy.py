"""Build the files a district's bureaus hand over, as messy as they come — inside the tests, no
committed binaries.

`write_xlsx` and `write_csv` write any grid of cells (title and note rows, two-row headers with merged
group cells, totals rows, several sheets; CSV in UTF-8, UTF-8 with BOM, GBK or GB18030). The cell
helpers type values as people do (thousands separators, full-width digits, USCC in lower case with
spaces, dates in the common formats). `bureau_files(tables, folder)` writes a whole synthetic
district the way its bureaus would export it: 统计局, 税务, 电力, 生态环境, 自然资源, 租赁, 违法记录
and 资质 files. .xls cannot be written by anything installed here (xlsxwriter writes .xlsx only), so
the .xls path is left to the reader's own tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import xlsxwriter

from mujun.dataset.reference import divisions, industry_name
from mujun.dataset.uscc import check_character, org_check_character

M2_PER_MU = 10000 / 15
EXCEL_EPOCH = dt.date(1899, 12, 30)
_FULL = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


# -- cells as people type them ----------------------------------------------------------------------
def fullwidth(text: object) -> str:
    """'1234.5' → '１２３４．５'."""
    return str(text).translate(_FULL)


def thousands(x: float, decimals: int = 2) -> str:
    """1234.5 → '1,234.50'."""
    return f"{x:,.{decimals}f}"


def spaced_uscc(code: str) -> str:
    """'91330211MA2X7Q034R' → '913302 11ma2x 7q034r' (lower case, with spaces)."""
    code = code.lower()
    return f"{code[:6]} {code[6:12]} {code[12:]}"


def excel_serial(day: dt.date) -> int:
    """The number Excel stores for a date."""
    return (day - EXCEL_EPOCH).days


def date_as_typed(day: dt.date, style: int) -> object:
    """One of the ways a date arrives: a real date, '2021/3/1', '2021年3月1日', '2021.03.01',
    '20210301', an Excel serial number without a date format, '2021-03-01'."""
    return [
        day,
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        day.strftime("%Y%m%d"),
        excel_serial(day),
        day.isoformat(),
    ][style % 7]


def amount_as_typed(x: float, style: int, decimals: int = 2) -> object:
    """One of the ways an amount arrives: a number, '1,234.50', full-width digits, a number stored as
    text with trailing spaces."""
    return [
        x,
        thousands(x, decimals),
        fullwidth(f"{x:.{decimals}f}"),
        f"{x:.{decimals}f}  ",
        f" {thousands(x, decimals)} ",
    ][style % 5]


# -- writers ----------------------------------------------------------------------------------------
@dataclass
class Grid:
    """A sheet's cells, row by row (None = empty), and merged ranges (first_row, first_col,
    last_row, last_col), 0-based, whose value is the cell at their top left."""

    rows: list[list[object]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    date_format: str = "yyyy-mm-dd"


def write_xlsx(path: Path, sheets: dict[str, Grid | list[list[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    merged_fmt = book.add_format({"align": "center", "valign": "vcenter", "bold": True})
    for name, grid in sheets.items():
        grid = grid if isinstance(grid, Grid) else Grid(grid)
        date_fmt = book.add_format({"num_format": grid.date_format})
        ws = book.add_worksheet(name)
        covered = set()
        for r1, c1, r2, c2 in grid.merges:
            value = grid.rows[r1][c1]
            ws.merge_range(r1, c1, r2, c2, "" if value is None else value, merged_fmt)
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(grid.rows):
            for c, value in enumerate(row):
                if value is None or (r, c) in covered:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))
    book.close()
    return path


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    """A CSV as exported by the bureau's system: CRLF lines, in `encoding` ('utf-8', 'utf-8-sig',
    'gbk', 'gb18030')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# -- a whole district, as its bureaus export it -----------------------------------------------------
INDUSTRY_STYLES = 4
DIVISION_NAMES = divisions()

QUALIFICATION_NAMES = {
    "tech_sme": "科技型中小企业",
    "high_tech": "高新技术企业",
    "srdi": "专精特新中小企业",
    "little_giant": "专精特新小巨人",
    "hidden_champion": "隐形冠军",
    "champion": "制造业单项冠军",
    "listed": "上市企业",
    "unicorn": "独角兽企业",
    "rd_centre": "省级企业研发中心",
    "digital_workshop": "数字化车间",
    "smart_factory": "智能工厂",
    "green_factory": "绿色工厂",
}
LEVEL_NAMES = {"national": "国家级", "provincial": "省级", "municipal": "市级", "district": "区级"}
EVENT_NAMES = {
    "safety_fatal": "生产安全死亡事故",
    "env_major": "重大环境违法",
    "tax_dishonest": "重大税收违法",
    "env_minor": "一般环境违法",
    "safety_minor": "一般安全违法",
    "relocation": "政策性搬迁",
}
STATUS_NAMES = {
    "approved": "批而未供",
    "granted": "已供未建",
    "under_construction": "在建",
    "producing": "已投产",
    "idle": "闲置",
}
LAND_USE_NAMES = {"industrial": "工业用地"}


def industry_as_typed(code: str, style: int) -> str:
    """'2614', 'C2614', '有机化学原料制造' or '2614 有机化学原料制造'."""
    return [code, f"C{code}", industry_name(code), f"{code} {industry_name(code)}"][
        style % INDUSTRY_STYLES
    ]


def division_as_typed(code: str, style: int) -> str:
    """'蛟川街道', '蛟川' or '330211002'."""
    name = DIVISION_NAMES[code]
    short = name.removesuffix("街道").removesuffix("镇")
    return [name, name, short, code][style % 4]


def _rows(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def statistics_workbook(enterprises: pl.DataFrame, annual: pl.DataFrame, path: Path) -> Path:
    """统计局 工业企业年报: the latest year as two sheets, 规上 and 规下 (title row, '单位：万元' note,
    two-row header with merged group cells, totals row and notes below; no scale column, so the
    scale follows from revenue), every earlier year as one sheet with a 是否规上 column and units in
    the headers (千元 for R&D, 千克标煤 for energy)."""
    firms = {r["uscc"]: r for r in _rows(enterprises)}
    years = sorted(annual.get_column("year").unique().to_list())
    latest = years[-1]
    sheets: dict[str, Grid] = {}
    style = 0
    for year in reversed(years):
        rows_of_year = _rows(annual.filter(pl.col("year") == year).sort("uscc"))
        if year == latest:
            for scale, label in (("above", "规上"), ("below", "规下")):
                chosen = [r for r in rows_of_year if r["scale"] == scale]
                sheets[f"{year}年{label}"] = _grouped_sheet(year, label, chosen, firms, style)
                style += len(chosen)
        else:
            sheets[f"{year}年"] = _flat_sheet(year, rows_of_year, firms, style)
            style += len(rows_of_year)
    return write_xlsx(path, sheets)


def _firm_cells(firm: dict, i: int) -> list[object]:
    uscc = firm["uscc"].lower() if i % 6 == 1 else firm["uscc"]
    name = firm["name"] + (" " if i % 5 == 2 else "")
    return [
        uscc,
        name,
        industry_as_typed(firm["industry_code"], i),
        division_as_typed(firm["division_code"], i),
        date_as_typed(firm["established"], i),
        firm["zones"],
    ]


def _grouped_sheet(year: int, label: str, rows: list[dict], firms: dict, style: int) -> Grid:
    width = 12
    title = [f"{year}年度{label}工业企业主要指标"] + [None] * (width - 1)
    note = ["单位：万元"] + [None] * (width - 1)
    top = [
        "统一社会信用代码", "单位详细名称", "基本情况", None, None, None,
        "主要经济指标", None, None, None, "其他", None,
    ]  # fmt: skip
    bottom = [
        None, None, "行业代码", "所属镇街", "成立日期", "所属园区",
        "营业收入", "工业总产值（当年价）", "工业增加值", "研发费用", "年末从业人员", "综合能耗(吨标准煤)",
    ]  # fmt: skip
    grid_rows = [title, note, top, bottom]
    totals = [0.0] * 4
    for k, r in enumerate(rows):
        i = style + k
        money = [r["revenue"], r["output"], r["value_added"], r["rd_expense"]]
        totals = [t + m for t, m in zip(totals, money, strict=True)]
        grid_rows.append(
            [
                *_firm_cells(firms[r["uscc"]], i),
                *(amount_as_typed(m, i + j) for j, m in enumerate(money)),
                int(r["employees"]) if i % 2 else f"{int(r['employees'])}",
                amount_as_typed(r["energy_tce"], i, 2),
            ]
        )
    grid_rows.append(["合计", None, None, None, None, None, *(round(t, 2) for t in totals)])
    grid_rows.append(["注：本表数据来源于统计联网直报平台。"])
    grid_rows.append(["统计负责人：王某某", None, None, "填表人：李某某"])
    merges = [
        (0, 0, 0, width - 1),
        (2, 0, 3, 0),
        (2, 1, 3, 1),
        (2, 2, 2, 5),
        (2, 6, 2, 9),
        (2, 10, 2, 11),
    ]
    return Grid(grid_rows, merges)


def _flat_sheet(year: int, rows: list[dict], firms: dict, style: int) -> Grid:
    header = [
        "统一社会信用代码", "企业名称", "国民经济行业代码", "所属镇街", "成立日期", "所属园区",
        "是否规上", "营业收入（万元）", "工业总产值(万元)", "工业增加值 （万元）", "R&D经费支出（千元）",
        "年末从业人员（人）", "综合能源消费量（千克标煤）",
    ]  # fmt: skip
    grid_rows: list[list[object]] = [[f"{year}年度工业企业主要经济指标"], header]
    for k, r in enumerate(rows):
        i = style + k
        grid_rows.append(
            [
                *_firm_cells(firms[r["uscc"]], i),
                "是" if r["scale"] == "above" else "否",
                amount_as_typed(r["revenue"], i),
                amount_as_typed(r["output"], i + 1),
                amount_as_typed(r["value_added"], i + 2),
                amount_as_typed(r["rd_expense"] * 10, i + 3, 1),
                int(r["employees"]),
                amount_as_typed(r["energy_tce"] * 1000, i + 4, 0),
            ]
        )
    return Grid(grid_rows)


def tax_csv(enterprises: pl.DataFrame, annual: pl.DataFrame, path: Path) -> Path:
    """税务 企业纳税情况: GBK, amounts in 元 with thousands separators, '—' for none, a 税款所属年度
    column, a title line and a totals row."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    header = [
        "纳税人识别号", "纳税人名称", "税款所属年度", "实缴税金(元)", "固定资产进项税额抵扣（元）",
        "留抵退税(元)", "免抵调库(元)", "一次性税收(元)",
    ]  # fmt: skip
    rows: list[list[object]] = [["企业纳税情况表（2021-2022年度）"], header]
    total = 0.0
    for i, r in enumerate(_rows(annual.sort("year", "uscc"))):
        yuan = [
            r[c] * 1e4
            for c in (
                "tax_paid",
                "fixed_asset_vat_credit",
                "vat_refund",
                "export_vat_offset",
                "one_off_tax",
            )
        ]
        total += yuan[0]
        cells = [thousands(y) if i % 3 else f"{y:.2f}" for y in yuan[:2]]
        cells += ["—" if y == 0 else thousands(y) for y in yuan[2:]]
        rows.append([r["uscc"], names[r["uscc"]], r["year"], *cells])
    rows.append(["合计", None, None, thousands(total)])
    return write_csv(path, rows, "gbk")


def electricity_csv(enterprises: pl.DataFrame, annual: pl.DataFrame, path: Path) -> Path:
    """电力 企业年用电量: UTF-8 with BOM, one column per year ('2021年用电量（万千瓦时）'), a blank cell
    for a year the firm has none, a 户号 column nobody needs."""
    years = sorted(annual.get_column("year").unique().to_list())
    kwh = {(u, y): v for u, y, v in annual.select("uscc", "year", "electricity_kwh").iter_rows()}
    header = ["户号", "户名", "统一社会信用代码", *(f"{y}年用电量（万千瓦时）" for y in years)]
    rows: list[list[object]] = [header]
    for i, (uscc, name) in enumerate(enterprises.sort("uscc").select("uscc", "name").iter_rows()):
        if not any((uscc, y) in kwh for y in years):
            continue
        cells = [
            "" if (uscc, y) not in kwh else f"{kwh[(uscc, y)] / 1e4:.6f}".rstrip("0").rstrip(".")
            for y in years
        ]
        rows.append([f"330{i:07d}", name, uscc, *cells])
    return write_csv(path, rows, "utf-8-sig")


def environment_workbook(enterprises: pl.DataFrame, annual: pl.DataFrame, path: Path) -> Path:
    """生态环境 主要污染物排放当量: one row per firm and year, in 千克, a 序号 column, a few names
    written with the street in brackets (the same firm under two names)."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    header = ["序号", "统一社会信用代码", "企业名称", "年份", "主要污染物排放当量(千克)"]
    rows: list[list[object]] = [["重点排污单位主要污染物排放当量统计"], header]
    for i, r in enumerate(_rows(annual.sort("uscc", "year"))):
        name = names[r["uscc"]] + ("（镇海）" if i % 17 == 3 else "")
        rows.append([i + 1, r["uscc"], name, f"{r['year']}年", round(r["emissions_eq"] * 1000, 6)])
    return write_xlsx(path, {"排放当量": Grid(rows, [(0, 0, 0, 4)])})


def land_workbook(enterprises: pl.DataFrame, parcels: pl.DataFrame, path: Path) -> Path:
    """自然资源 工业用地宗地信息: 用地面积(亩), 建筑面积(平方米), the owner by USCC (for a few only by
    name), status and use in words, dates typed every way; a second sheet of notes."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    header = [
        "宗地编号", "权利人", "权利人统一社会信用代码", "所在镇街", "用地面积(亩)", "建筑面积(平方米)",
        "土地用途", "土地状态", "批准日期", "供地日期", "约定开工日期", "约定竣工日期", "宗地范围",
    ]  # fmt: skip
    rows: list[list[object]] = [["镇海区工业用地宗地信息表"], ["数据截至2022年12月31日"], header]
    for i, p in enumerate(_rows(parcels.sort("parcel_id"))):
        rows.append(
            [
                p["parcel_id"],
                names[p["owner_uscc"]],
                None if i % 7 == 4 else p["owner_uscc"],
                division_as_typed(p["division_code"], i),
                p["area_m2"] / M2_PER_MU,
                amount_as_typed(p["floor_area_m2"], i, 0),
                LAND_USE_NAMES.get(p["land_use"], p["land_use"]),
                STATUS_NAMES[p["status"]] if p["status"] else None,
                *(
                    date_as_typed(p[c], i + j) if p[c] else None
                    for j, c in enumerate(
                        ("approved_on", "granted_on", "start_due", "production_due")
                    )
                ),
                p["geometry"],
            ]
        )
    notes = [["序号", "说明"], [1, "用地面积以不动产登记为准。"], [2, "建筑面积含地下部分。"]]
    return write_xlsx(path, {"宗地": Grid(rows), "说明": Grid(notes)})


def leases_csv(
    enterprises: pl.DataFrame, parcels: pl.DataFrame, occupancy: pl.DataFrame, path: Path
) -> Path:
    """租赁 厂房租赁登记: GB18030, the tenant's USCC in lower case with spaces, 租赁面积(㎡),
    起始年度/截止年度 ('—' when open). The owners' own use is listed too (出租方 = 承租方, 自用), since
    the canonical occupancy has a row for it."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    owner = dict(parcels.select("parcel_id", "owner_uscc").iter_rows())
    header = [
        "宗地编号", "出租方", "承租方统一社会信用代码", "承租方名称", "租赁面积(㎡)", "起始年度",
        "截止年度", "备注",
    ]  # fmt: skip
    rows: list[list[object]] = [["厂房租赁登记表"], header]
    for i, o in enumerate(_rows(occupancy.sort("parcel_id", "uscc", "year_from"))):
        own = owner[o["parcel_id"]] == o["uscc"]
        rows.append(
            [
                o["parcel_id"],
                names[owner[o["parcel_id"]]],
                spaced_uscc(o["uscc"]) if i % 2 else o["uscc"].lower(),
                names[o["uscc"]],
                f"{o['floor_area_m2']:g}",
                f"{o['year_from']}年" if i % 3 == 1 else o["year_from"],
                "—" if o["year_to"] is None else o["year_to"],
                "自用" if own else "出租",
            ]
        )
    return write_csv(path, rows, "gb18030")


def violations_workbook(enterprises: pl.DataFrame, events: pl.DataFrame, path: Path) -> Path:
    """应急管理、生态环境 违法记录: the kind in words, the date as typed, the decision as note."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    header = ["统一社会信用代码", "企业名称", "违法类型", "处罚日期", "处罚内容"]
    rows: list[list[object]] = [["安全生产、生态环境违法记录"], header]
    for i, e in enumerate(_rows(events.sort("uscc", "year", "kind"))):
        rows.append(
            [
                e["uscc"],
                names[e["uscc"]],
                EVENT_NAMES[e["kind"]],
                date_as_typed(dt.date(e["year"], 6, 15), i + 1),
                e["note"],
            ]
        )
    return write_xlsx(path, {"违法记录": Grid(rows)})


def qualifications_workbook(
    enterprises: pl.DataFrame, qualifications: pl.DataFrame, path: Path
) -> Path:
    """科技局、经信局 资质认定: the kind and level in words, dates as typed."""
    names = dict(enterprises.select("uscc", "name").iter_rows())
    header = ["统一社会信用代码", "企业名称", "认定类型", "认定级别", "认定日期", "有效期至"]
    rows: list[list[object]] = [header]
    for i, q in enumerate(_rows(qualifications.sort("uscc", "kind", "valid_from"))):
        rows.append(
            [
                q["uscc"],
                names[q["uscc"]],
                QUALIFICATION_NAMES[q["kind"]],
                LEVEL_NAMES.get(q["level"], q["level"]),
                date_as_typed(q["valid_from"], i),
                date_as_typed(q["valid_to"], i + 3) if q["valid_to"] else None,
            ]
        )
    return write_xlsx(path, {"资质认定": Grid(rows)})


def bureau_files(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Every bureau's file for a district, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    e, a = tables["enterprises"], tables["annual"]
    return [
        statistics_workbook(e, a, folder / "统计局_工业企业年报.xlsx"),
        tax_csv(e, a, folder / "税务_企业纳税情况.csv"),
        electricity_csv(e, a, folder / "电力_年用电量.csv"),
        environment_workbook(e, a, folder / "生态环境_排放当量.xlsx"),
        land_workbook(e, tables["parcels"], folder / "自然资源_宗地.xlsx"),
        leases_csv(e, tables["parcels"], tables["occupancy"], folder / "租赁登记.csv"),
        violations_workbook(e, tables["events"], folder / "违法记录.xlsx"),
        qualifications_workbook(e, tables["qualifications"], folder / "资质认定.xlsx"),
    ]


# -- a few firms, for the tests of one problem each --------------------------------------------------
def uscc(n: int) -> str:
    """A valid 统一社会信用代码 for firm number `n` (a Zhenhai 企业法人)."""
    body = f"{n:08d}"
    first17 = f"91330211{body}{org_check_character(body)}"
    return first17 + check_character(first17)


@dataclass
class Firm:
    n: int
    revenue: float = 3000.0
    value_added: float = 800.0
    tax_paid: float = 150.0

    @property
    def uscc(self) -> str:
        return uscc(self.n)

    @property
    def name(self) -> str:
        return f"宁波镇海测试{self.n}号机械有限公司"


FIRMS = [Firm(1), Firm(2, 1200.0, 300.0, 40.0), Firm(3, 25000.0, 5200.0, 1800.0)]

STATISTICS_HEADER = [
    "统一社会信用代码", "单位详细名称", "行业代码", "所属镇街", "成立日期", "营业收入（万元）",
    "工业总产值（万元）", "工业增加值（万元）", "研发费用（万元）", "年末从业人员", "综合能耗(吨标准煤)",
]  # fmt: skip


def statistics_row(firm: Firm) -> list[object]:
    """The firm's row under STATISTICS_HEADER (a test then spoils the cell it is about)."""
    return [
        firm.uscc,
        firm.name,
        "3484",
        "蛟川街道",
        dt.date(2010, 5, 1),
        firm.revenue,
        firm.revenue * 1.02,
        firm.value_added,
        firm.revenue * 0.03,
        100,
        firm.revenue / 10,
    ]


def statistics_file(path: Path, firms: list[Firm] = FIRMS, year: int = 2022, rows=None) -> Path:
    """A plain 统计局 workbook: title row naming the year, one header row, one row per firm."""
    body = rows if rows is not None else [statistics_row(f) for f in firms]
    return write_xlsx(
        path, {"规上工业": [[f"{year}年度工业企业主要指标"], STATISTICS_HEADER, *body]}
    )


TAX_HEADER = [
    "纳税人识别号",
    "纳税人名称",
    "所属年度",
    "实缴税金（万元）",
    "固定资产进项税抵扣（万元）",
]


def tax_rows(firms: list[Firm] = FIRMS, year: int = 2022) -> list[list[object]]:
    return [[f.uscc, f.name, year, f.tax_paid, 0] for f in firms]


def tax_file(path: Path, rows=None, header=TAX_HEADER, encoding: str = "gbk") -> Path:
    """A 税务 export: .csv (in `encoding`) or .xlsx (sheet '纳税情况') by the path's suffix;
    `header=None` when `rows` bring their own title and header rows."""
    grid = [*([header] if header else []), *(rows if rows is not None else tax_rows())]
    if path.suffix == ".csv":
        return write_csv(path, grid, encoding)
    return write_xlsx(path, {"纳税情况": grid})
