"""The canonical dataset's tables and columns: the contract in design.md, written once as data.

Money is in 万元 (10,000 CNY), area in m² (1 亩 = 10000/15 m²), energy in tonnes of standard coal
equivalent (tce), employees as the annual average head count, electricity in kWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

M2_PER_MU = 10000 / 15
"""1 亩 in m²."""

Kind = Literal["str", "int", "float", "date"]

POLARS_TYPE: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.Date(),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    """The column must be present in the file (its cells may still be empty unless `nonnull`)."""
    nonnull: bool = False
    """Every row needs a value."""
    min_value: float | None = None
    """Smallest allowed value for numbers (inclusive)."""
    positive: bool = False
    """Numbers must be strictly greater than zero."""
    choices: tuple[str, ...] | None = None
    """Allowed values for a code column."""
    max_value: float | None = None
    """Largest plausible value for numbers (inclusive): far above any one firm, far below what
    only a typing slip or an attack gives (1e300)."""
    max_length: int | None = None
    """Longest allowed text, in characters: the web app's database column for it (mujun.web.models)
    holds no more. Code columns (USCC, industry, division) have their own exact shapes instead."""


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True
    """The table must be in the dataset (optional tables are empty when absent)."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: POLARS_TYPE[c.kind] for c in self.columns}

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Plausibility ceilings, each well above the largest single firm (China's whole electricity use
# is some 9e12 kWh a year, its energy use some 5.7e9 tce, its largest firm's tax some 1e7 万元).
MONEY_MAX = 1e9  # 万元: 10 万亿元
ENERGY_MAX = 1e9  # tce, and t of emissions
EMPLOYEES_MAX = 1e7
ELECTRICITY_MAX = 1e13  # kWh


def _money(name: str, required: bool = True) -> Column:
    return Column(name, "float", required=required, min_value=0.0, max_value=MONEY_MAX)


SCALES = ("above", "below")
QUALIFICATION_KINDS = (
    "tech_sme",  # 科技型中小企业
    "high_tech",  # 高新技术企业
    "srdi",  # 专精特新 (provincial)
    "little_giant",  # 国家专精特新"小巨人"
    "hidden_champion",  # 隐形冠军
    "champion",  # 单项冠军
    "listed",  # 上市企业
    "unicorn",  # 独角兽
    "rd_centre",  # 省级企业研发中心 / 技术中心
    "digital_workshop",  # 数字化车间
    "smart_factory",  # 智能工厂
    "green_factory",  # 绿色工厂
)
PARCEL_STATUSES = ("approved", "granted", "under_construction", "producing", "idle")
EVENT_KINDS = (
    "safety_fatal",  # 生产安全死亡事故
    "env_major",  # 重大环境违法
    "tax_dishonest",  # 重大税收违法失信
    "env_minor",  # 一般环境违法
    "safety_minor",  # 一般安全生产违法
    "relocation",  # 列入政策性搬迁
    "obsolete_capacity",  # 淘汰类落后产能（产业结构调整指导目录 淘汰类工艺、装备、产品），经认定
    "punitive_tariff",  # 已执行其他惩罚性电价（如高耗能行业阶梯电价）：差别电价不叠加
)
"""The kinds of event a record may hold: a preset's vetoes, deductions and exempting events name
only these, so a typo there is refused when the preset is loaded, not a rule that hits nobody."""
EXEMPTION_GROUNDS = (
    "new_firm",  # 新注册企业
    "new_land",  # 新供地项目（建设期）
    "utility",  # 公用工程
    "relocation",  # 政策性搬迁
    "other",
)
"""Grounds of an approved exemption application (江山 2023 draft lists the first four)."""

ENTERPRISES = Table(
    "enterprises",
    ("uscc",),
    (
        Column("uscc", "str", nonnull=True),
        Column("name", "str", nonnull=True, max_length=200),
        Column("industry_code", "str", nonnull=True),
        Column("division_code", "str", nonnull=True),
        Column("established", "date", nonnull=True),
        Column("zones", "str", required=False, max_length=200),
    ),
)

ANNUAL = Table(
    "annual",
    ("uscc", "year"),
    (
        Column("uscc", "str", nonnull=True),
        Column("year", "int", nonnull=True),
        Column("scale", "str", nonnull=True, choices=SCALES),
        _money("revenue"),
        _money("output"),
        # Industrial value added can be negative for a loss-making year: not an impossible amount.
        Column("value_added", "float", max_value=MONEY_MAX),
        _money("tax_paid"),
        _money("fixed_asset_vat_credit"),
        _money("vat_refund", required=False),
        _money("export_vat_offset", required=False),
        _money("one_off_tax", required=False),
        # 出口退税: export tax refunds received in the year (慈溪/宁波 count 税费实际贡献 with them)
        _money("export_refund", required=False),
        Column("energy_tce", "float", min_value=0.0, max_value=ENERGY_MAX),
        Column("emissions_eq", "float", min_value=0.0, max_value=ENERGY_MAX),
        _money("rd_expense"),
        Column("employees", "float", min_value=0.0, max_value=EMPLOYEES_MAX),
        Column(
            "electricity_kwh", "float", required=False, min_value=0.0, max_value=ELECTRICITY_MAX
        ),
        # 用能限额: the firm's annual energy-use quota (用能权 / 能耗总量控制), tce
        Column("energy_quota_tce", "float", required=False, min_value=0.0, max_value=ENERGY_MAX),
    ),
)

PARCELS = Table(
    "parcels",
    ("parcel_id",),
    (
        Column("parcel_id", "str", nonnull=True, max_length=40),
        Column("owner_uscc", "str", nonnull=True),
        Column("area_m2", "float", nonnull=True, positive=True),
        Column("floor_area_m2", "float", nonnull=True, min_value=0.0),
        Column("division_code", "str", nonnull=True),
        Column("land_use", "str"),
        Column("geometry", "str", required=False),
        Column("status", "str", required=False, choices=PARCEL_STATUSES),
        Column("approved_on", "date", required=False),
        Column("granted_on", "date", required=False),
        Column("start_due", "date", required=False),
        Column("production_due", "date", required=False),
    ),
)

OCCUPANCY = Table(
    "occupancy",
    ("parcel_id", "uscc", "year_from"),
    (
        Column("parcel_id", "str", nonnull=True),
        Column("uscc", "str", nonnull=True),
        Column("year_from", "int", nonnull=True),
        Column("year_to", "int"),
        Column("floor_area_m2", "float", nonnull=True, positive=True),
    ),
)

EVENTS = Table(
    "events",
    ("uscc", "year", "kind"),
    (
        Column("uscc", "str", nonnull=True),
        Column("year", "int", nonnull=True),
        Column("kind", "str", nonnull=True, choices=EVENT_KINDS),
        Column("note", "str", required=False),
    ),
    required=False,
)

EXEMPTIONS = Table(
    "exemptions",
    ("uscc", "year"),
    (
        Column("uscc", "str", nonnull=True),
        Column("year", "int", nonnull=True),
        Column("reason", "str", nonnull=True, max_length=500),
        Column("approved_on", "date", nonnull=True),
        Column("ground", "str", required=False, choices=EXEMPTION_GROUNDS),
    ),
    required=False,
)
"""免评 on application: an approved application exempts the firm in `year`, with its reason."""

LAND_CONFIRMATIONS = Table(
    "land_confirmations",
    ("uscc", "year"),
    (
        Column("uscc", "str", nonnull=True),
        Column("year", "int", nonnull=True),
        Column("land_mu", "float", nonnull=True, positive=True, max_value=1e6),
        Column("confirmed_on", "date", nonnull=True),
        Column("note", "str", required=False, max_length=500),
    ),
    required=False,
)
"""用地面积确认 (遂昌, 海曙 "一企一单"): the land a firm is evaluated on in `year`, as confirmed
(by the firm, or on its objection), in place of the area the parcels and leases allocate it."""

QUALIFICATIONS = Table(
    "qualifications",
    ("uscc", "kind", "valid_from"),
    (
        Column("uscc", "str", nonnull=True),
        Column("kind", "str", nonnull=True, choices=QUALIFICATION_KINDS),
        Column("level", "str", required=False),
        Column("valid_from", "date", nonnull=True),
        Column("valid_to", "date"),
    ),
    required=False,
)

PROJECTS = Table(
    "projects",
    ("project_id",),
    (
        Column("project_id", "str", nonnull=True),
        Column("name", "str", nonnull=True),
        Column("applicant_uscc", "str"),
        Column("industry_code", "str", nonnull=True),
        Column("parcel_id", "str", required=False),
        Column("land_area_m2", "float", min_value=0.0),
        Column("floor_area_m2", "float", min_value=0.0),
        _money("investment"),
        Column("promised_tax_per_mu", "float", min_value=0.0),
        Column("promised_va_per_mu", "float", min_value=0.0),
        Column("promised_va_per_energy", "float", min_value=0.0),
        Column("promised_va_per_emission", "float", min_value=0.0),
        Column("promised_rd_intensity", "float", min_value=0.0),
        Column("signed_on", "date"),
        Column("production_due", "date"),
    ),
    required=False,
)

TALENTS = Table(
    "talents",
    ("uscc", "year", "level"),
    (
        Column("uscc", "str", nonnull=True),
        Column("year", "int", nonnull=True),
        Column("level", "str", nonnull=True),
        Column("count", "int", nonnull=True, min_value=0),
    ),
    required=False,
)

TABLES: tuple[Table, ...] = (
    ENTERPRISES,
    ANNUAL,
    PARCELS,
    OCCUPANCY,
    EVENTS,
    QUALIFICATIONS,
    PROJECTS,
    TALENTS,
    EXEMPTIONS,
    LAND_CONFIRMATIONS,
)
TABLE = {t.name: t for t in TABLES}

# Which uscc / parcel columns must point at a row of another table: (table, column) -> target table.
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("annual", "uscc", "enterprises"),
    ("parcels", "owner_uscc", "enterprises"),
    ("occupancy", "parcel_id", "parcels"),
    ("occupancy", "uscc", "enterprises"),
    ("events", "uscc", "enterprises"),
    ("qualifications", "uscc", "enterprises"),
    ("projects", "applicant_uscc", "enterprises"),
    ("projects", "parcel_id", "parcels"),
    ("talents", "uscc", "enterprises"),
    ("exemptions", "uscc", "enterprises"),
    ("land_confirmations", "uscc", "enterprises"),
)

YEAR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("annual", "year"),
    ("occupancy", "year_from"),
    ("occupancy", "year_to"),
    ("events", "year"),
    ("talents", "year"),
    ("exemptions", "year"),
    ("land_confirmations", "year"),
)
ADDED_LATER: frozenset[tuple[str, str]] = frozenset(
    {
        ("annual", "export_refund"),
        ("annual", "energy_quota_tce"),
        ("exemptions", "*"),
        ("land_confirmations", "*"),
    }
)
"""Optional columns and tables (`*`) added to the contract after datasets were first fingerprinted:
they enter a dataset's fingerprint only when they hold a value, so data without them keeps the
fingerprint it had (runs recorded before still match their input)."""
MIN_YEAR = 1978
"""No 亩均 data predates the reform era; an earlier year is a typing error."""
