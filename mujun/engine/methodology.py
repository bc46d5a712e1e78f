"""A methodology: every choice a county makes in its 亩均效益 evaluation, as validated data.

The model mirrors domain.md's "The evaluation, step by step"; each section names the step it
configures. Presets are TOML files under `mujun/methodologies/` loaded by `mujun.methodologies`.
Nothing county-specific lives in engine code: weights, benchmarks, caps, cuts, vetoes, bonuses and
policy amounts all come from here. Every number says where it comes from (`Methodology.provenance`,
docs/methodology.md "Sources"): a preset gives it a `source` or marks it `illustrative`.
"""

from __future__ import annotations

import hashlib
import json
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mujun.dataset.schema import EVENT_KINDS, QUALIFICATION_KINDS
from mujun.engine.indicators import INDICATORS

Grade = Literal["A", "B", "C", "D"]
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
BenchmarkMethod = Literal["aggregate", "mean", "median", "fixed", "industry_division"]
ListName = Literal["above", "below", "below_small", "tenant"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Model):
    """Where one number of a methodology comes from (issue 13): a `source`, or `illustrative`
    when no source gives it (mujun's or the county's choice; `source` then says what it rests on)."""

    source: str = ""
    illustrative: bool = False

    def toml(self) -> dict[str, Any]:
        """The keys a preset writes beside the value."""
        keys: dict[str, Any] = {"source": self.source} if self.source else {}
        return keys | ({"illustrative": True} if self.illustrative else {})


AROUND_THE_EVALUATION = ("access", "commitments", "lowland")
"""Settings of 产业准入, 达产复核 and 低效用地: the methodology's, but no evaluation run uses them."""
UNSOURCED = Provenance(illustrative=True)
"""A number given without a source: set in code (a preset's TOML cannot)."""
DEFAULT = Provenance(illustrative=True, source="mujun's default: the preset does not set it")
"""A number the methodology leaves at the model's default: no source either."""
ANNOTATIONS = ("source", "illustrative")


def _event_kind(v: str) -> str:
    """An event kind the contract knows (mujun.dataset.schema.EVENT_KINDS): a typo is an error, not
    a rule that hits nobody."""
    if v not in EVENT_KINDS:
        raise ValueError(
            f"unknown event kind {v!r}; the contract's kinds: {', '.join(EVENT_KINDS)}"
        )
    return v


EventKind = Annotated[str, AfterValidator(_event_kind)]


def _code_prefix(v: str) -> str:
    if not (v.isdigit() and 2 <= len(v) <= 4):
        raise ValueError(f"{v!r}: a GB/T 4754 code prefix has 2 (division), 3 or 4 digits")
    return v


CodePrefix = Annotated[str, AfterValidator(_code_prefix)]
"""A GB/T 4754 code prefix: a division (2 digits), group (3) or class (4)."""


class IndicatorSpec(_Model):
    """One scored indicator (step 5–6): its weight, and optionally its own benchmark method."""

    id: str
    weight: float = Field(gt=0)
    benchmark: BenchmarkMethod | None = None
    """Overrides the group's method for this indicator."""
    fixed: dict[int, float] = {}
    """Fixed benchmark values by evaluation year (method `fixed`)."""

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in INDICATORS:
            raise ValueError(f"unknown indicator {v!r}; known: {', '.join(INDICATORS)}")
        return v

    @field_validator("fixed")
    @classmethod
    def _positive(cls, v: dict[int, float]) -> dict[int, float]:
        for year, value in v.items():
            if not value > 0:
                raise ValueError(f"fixed benchmark for {year} must be > 0, got {value}")
        return v


class IndustryClasses(_Model):
    """分类分业: each indicator benchmarked within the unit's industry class, by the group's
    statistic (aggregate, mean or median) over the class's scorable units.

    A class is a GB/T 4754 division (the first 2 digits of industry_code), or a named set of
    divisions in `merge`. A class with fewer than `min_firms` scorable units is small: `small =
    "pooled"` benchmarks all small classes together as one class ("pooled"), itself using the
    group's benchmark when it is still under `min_firms`; `small = "group"` gives them the group's.
    """

    min_firms: int = Field(10, ge=1)
    small: Literal["pooled", "group"] = "pooled"
    merge: dict[str, list[str]] = {}
    """Class name → the divisions benchmarked together (e.g. 石化 = 25, 26, 28)."""
    source: str = ""

    @field_validator("merge")
    @classmethod
    def _divisions(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: set[str] = set()
        for name, codes in v.items():
            if name in ("pooled", "group") or not name:
                raise ValueError(f"class name {name!r} is reserved")
            if not codes:
                raise ValueError(f"class {name!r} lists no division")
            for code in codes:
                if not (code.isdigit() and len(code) == 2):
                    raise ValueError(
                        f"class {name!r}: {code!r} is not a 2-digit GB/T 4754 division"
                    )
                if code in seen:
                    raise ValueError(f"division {code} is in two classes")
                seen.add(code)
        return v


class GroupSpec(_Model):
    """The indicators of a scale group (`above` or `below`) and how their benchmarks are set (step 6)."""

    indicators: list[IndicatorSpec] = Field(min_length=1)
    benchmark: BenchmarkMethod = "aggregate"
    min_peers: int = Field(5, ge=1)
    """industry_division: a division with fewer evaluated firms uses the group benchmark instead."""
    classes: IndustryClasses | None = None
    """分类分业 benchmarks (with benchmark aggregate, mean or median); None = one per group."""

    @model_validator(mode="after")
    def _unique(self) -> GroupSpec:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError(f"indicator listed twice: {ids}")
        for spec in self.indicators:
            method = spec.benchmark or self.benchmark
            if method == "fixed" and not spec.fixed:
                raise ValueError(f"{spec.id}: benchmark 'fixed' needs fixed values by year")
            if self.classes is not None and method in ("fixed", "industry_division"):
                raise ValueError(
                    f"{spec.id}: industry classes take benchmark aggregate, mean or median, "
                    f"not {method!r}"
                )
        return self

    def method(self, spec: IndicatorSpec) -> str:
        return spec.benchmark or self.benchmark

    def unused_fields(self) -> set[str]:
        """Settings its benchmark methods leave unused (their numbers are not counted as used)."""
        by_division = any(self.method(s) == "industry_division" for s in self.indicators)
        return set() if by_division else {"min_peers"}


class Population(_Model):
    """Step 1: which list a 规下 firm falls in."""

    min_own_land_mu: float = Field(3.0, ge=0)


class Exemptions(_Model):
    """Step 2: firms evaluated but not graded (免评), each with its reason."""

    min_years_registered: int = Field(2, ge=0)
    """Registered fewer than this many years before the evaluation year."""
    new_land_years: int = Field(3, ge=0)
    """All its own land granted fewer than this many years before (needs parcels.granted_on)."""
    industry_divisions: list[str] = ["44", "45", "46"]
    """GB/T 4754 divisions exempt as utilities."""
    events: list[EventKind] = ["relocation"]
    """Event kinds in the year that exempt (e.g. listed policy relocation cases)."""
    on_application: bool = False
    """An approved application in the `exemptions` table exempts the firm in its year, with the
    application's reason (江山 2023 draft: exemptions are applied for)."""
    past_due_evaluated: bool = True
    """A firm past its contractual production date (its projects' or own parcels' production_due
    on or before 31 December of the year) is evaluated, not exempt as new (遂昌 2022): this lifts
    the registration-age and new-land exemptions and applications on ground new_firm / new_land."""


class Tax(_Model):
    """Step 4, refined tax (税费精细化): which terms adjust tax_paid."""

    fixed_asset_vat_credit: bool = True
    vat_refund: bool = True
    export_vat_offset: bool = True
    one_off_tax: bool = True
    export_refund: bool = False
    """出口退税 received, counted back in (慈溪/宁波 report 税费实际贡献 含出口退税)."""


class Scoring(_Model):
    """Step 6: floor, cap and the missing-denominator rule."""

    cap: float | None = Field(None, gt=0)
    """A score is capped at cap × weight; None = no cap (黄岩)."""
    cap_source: str = ""
    """Where the cap comes from (a cap is a choice with consequences: say whose)."""
    missing_denominator: Literal["group_average", "zero", "no_data"] = "group_average"
    """A firm without a denominator (no emissions data, or zero) gets the group's average score
    for that item (黄岩), or zero, or is not scored (`no_data`, the missing item in its reason)."""
    group_average_for: list[str] = []
    """Indicators that take the group's average score whatever `missing_denominator` says (黄岩:
    va_per_emission, for a firm without emissions data)."""

    @field_validator("group_average_for")
    @classmethod
    def _indicators(cls, v: list[str]) -> list[str]:
        for i in v:
            if i not in INDICATORS:
                raise ValueError(f"unknown indicator {i!r}; known: {', '.join(INDICATORS)}")
        return v

    def missing_rule(self, indicator_id: str) -> str:
        """The rule for a unit without this indicator's denominator."""
        if indicator_id in self.group_average_for:
            return "group_average"
        return self.missing_denominator


class GradeRule(_Model):
    """Step 7 for one list: grades by rank shares, by score thresholds, or by both.

    `both`: a unit gets the best grade whose every rule it meets — its rank within the cumulative
    share, and its score at or above the grade's threshold and those of the grades below it (a
    grade without a threshold has none of its own). So shares A 0.25, B 0.45, C 0.30, D 0 with
    thresholds {C = 50} grade the top quarter A, the next 45 % B, and D only below 50 points: D
    is a floor, not a quota.
    """

    method: Literal["shares", "thresholds", "both"] = "shares"
    shares: dict[Grade, float] = {"A": 0.25, "B": 0.45, "C": 0.25, "D": 0.05}
    thresholds: dict[Literal["A", "B", "C"], float] = {"A": 120.0, "B": 90.0, "C": 60.0}
    """Lowest total score for each grade; below C's is D. With `both`, any of A, B, C."""
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> GradeRule:
        if set(self.shares) != set(GRADES):
            raise ValueError("shares must give A, B, C and D")
        if any(v < 0 for v in self.shares.values()) or abs(sum(self.shares.values()) - 1) > 1e-9:
            raise ValueError(f"shares must be ≥ 0 and add up to 1, got {self.shares}")
        t = self.thresholds
        if self.method == "thresholds" and set(t) != {"A", "B", "C"}:
            raise ValueError(f"thresholds need A, B and C, got {t}")
        if self.method == "both" and "thresholds" not in self.model_fields_set:
            raise ValueError("method 'both' needs thresholds for at least one grade")
        given = [t[g] for g in ("A", "B", "C") if g in t]
        if given != sorted(given, reverse=True):
            raise ValueError(f"thresholds need A ≥ B ≥ C, got {t}")
        return self

    def floors(self) -> dict[str, float]:
        """The lowest score for each grade A, B, C, counting the thresholds of the grades below it
        (a better grade never asks less); grades with no threshold at all are left out."""
        if self.method == "shares":
            return {}
        out: dict[str, float] = {}
        floor = None
        for g in ("C", "B", "A"):
            if g in self.thresholds:
                floor = self.thresholds[g] if floor is None else max(floor, self.thresholds[g])
            if floor is not None:
                out[g] = floor
        return out

    def unused_fields(self) -> set[str]:
        return {"shares": {"thresholds"}, "thresholds": {"shares"}}.get(self.method, set())


class Grading(GradeRule):
    """Step 7: the grade rule of every list, unless `lists` gives a list its own."""

    lists: dict[ListName, GradeRule] = {}

    def rule(self, list_name: str) -> GradeRule:
        return self.lists.get(list_name, self)


class Bonus(_Model):
    """Points added for a qualification valid in the year (e.g. 高新技术企业)."""

    qualification: str
    points: float = Field(gt=0)

    @field_validator("qualification")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in QUALIFICATION_KINDS:
            raise ValueError(
                f"unknown qualification {v!r}; the contract's kinds: {', '.join(QUALIFICATION_KINDS)}"
            )
        return v


class Deduction(_Model):
    """Points taken off for an event in the year (e.g. a minor environmental violation)."""

    event: EventKind
    points: float = Field(gt=0)


class IndustryVeto(_Model):
    """An industry vetoed as 淘汰类 (产业结构调整指导目录): a firm whose industry_code starts with
    `code` is D whatever its score. The 目录 names processes, equipment and products, not GB/T 4754
    classes: list a code only where the whole class is 淘汰类, and say which entry."""

    code: CodePrefix
    item: str
    """The 目录 entry (e.g. 淘汰类 一、(三) 3)."""
    source: str


class EnergyQuota(_Model):
    """The energy-quota veto (用能超限额): a firm whose energy_tce exceeds its annual
    energy_quota_tce × (1 + tolerance) is D whatever its score; a firm without a quota is not
    checked."""

    veto: bool = False
    tolerance: float = Field(0.0, ge=0)
    source: str = ""


class Land(_Model):
    """Step 3, 地企双评: tenants, landlords and the parcel view."""

    tenant_policy: Literal["separate", "inherit", "merged"] = "separate"
    landlords_answer: bool = True
    """A landlord's published grade is the lower of its own and its parcels'."""
    parcel_benchmark: BenchmarkMethod = "aggregate"
    """How parcel benchmarks are set (industry_division uses the owner's industry)."""
    parcel_indicators: list[IndicatorSpec] = [
        IndicatorSpec(id="tax_per_mu", weight=60),
        IndicatorSpec(id="va_per_mu", weight=40),
    ]

    @field_validator("parcel_indicators")
    @classmethod
    def _land_based(cls, v: list[IndicatorSpec]) -> list[IndicatorSpec]:
        for spec in v:
            if INDICATORS[spec.id].denominator != "land_mu":
                raise ValueError(f"parcel indicators must be per mu of land, not {spec.id}")
        return v


class RdTest(_Model):
    """Step 8, Zhenhai's separate R&D test for 规上 firms: pass when either bar is met."""

    enabled: bool = True
    min_expense: float = 100.0
    """万元 of R&D expense."""
    min_intensity: float = 0.02
    """R&D expense ÷ revenue."""


class ElectricitySurcharge(_Model):
    """Step 9: 差别化电价 for low grades (海宁 2025 draft: +0.3 元/kWh, +0.4 after 3 D years)."""

    enabled: bool = True
    grades: list[Grade] = ["D"]
    rate: float = Field(0.3, ge=0)
    """元 per kWh."""
    repeat_rate: float = Field(0.4, ge=0)
    repeat_years: int = Field(3, ge=2)
    """Consecutive years in a surcharged grade (this year included) that trigger repeat_rate."""
    refund_share: float = Field(0.0, ge=0, le=1)
    """慈溪 2024 "差别化电价征收及返还奖励": a firm surcharged last year that leaves the surcharged
    grades gets this share of a year's surcharge at `rate` on its electricity back (0: none)."""
    vetoed: bool = True
    """Whether vetoed firms (graded D by the veto) pay it."""
    tenants: bool = True
    """Whether the tenant list (firms with no industrial land of their own) pays it."""
    not_with_events: list[EventKind] = []
    """Event kinds marking a firm already under another punitive tariff in the year (阶梯电价 for
    高耗能 industries, say): it is not surcharged twice (山东 2022: no stacking)."""


class LandTaxRelief(_Model):
    """Step 9: 城镇土地使用税 relief by tax_per_mu against the industry average (义乌 2013)."""

    enabled: bool = True
    tiers: list[tuple[float, float]] = [(1.0, 0.6), (2.0, 0.9), (3.0, 1.0)]
    """(ratio to the industry division's tax_per_mu, share of the tax relieved), ascending."""
    tax_yuan_per_m2: float = Field(6.0, ge=0)
    """The land-use tax per m² of own land a year (a county setting; rates vary by land grade)."""

    @field_validator("tiers")
    @classmethod
    def _ascending(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        ratios = [r for r, _ in v]
        if ratios != sorted(ratios) or any(not 0 <= s <= 1 for _, s in v):
            raise ValueError("tiers must ascend by ratio with shares between 0 and 1")
        return v


LeverBase = Literal["energy_tce", "electricity_kwh", "emissions_eq", "own_land_mu"]


class Lever(_Model):
    """One differentiated measure by grade (资源要素差别化配置: 用能, 排污权, land, credit …): a firm's
    amount is its grade's rate × its own `base` (a share of its energy use cut, say), or the rate
    itself where there is no base (1 = eligible, for a priority)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    """What the reader sees (Chinese)."""
    unit: str
    grades: dict[Grade, float]
    """The rate per grade; a grade not listed gets nothing."""
    base: LeverBase | None = None
    vetoed: bool = True
    """Whether a vetoed firm gets its D's measure."""
    tenants: bool = True
    """Whether the tenant list gets it."""
    source: str


class Policy(_Model):
    electricity_surcharge: ElectricitySurcharge = ElectricitySurcharge()
    land_tax_relief: LandTaxRelief = LandTaxRelief()
    levers: list[Lever] = []

    @field_validator("levers")
    @classmethod
    def _unique(cls, v: list[Lever]) -> list[Lever]:
        ids = [lever.id for lever in v]
        if len(set(ids)) != len(ids):
            raise ValueError("a lever id is listed twice")
        return v


Verdict = Literal["admitted", "conditional", "refused"]
VERDICTS: tuple[str, ...] = Verdict.__args__
"""From best to worst: a project's verdict is the worst its industry and conditions give."""
IndustryCategory = Literal["encouraged", "controlled", "prohibited"]
AccessCondition = Literal[
    "investment_per_mu",
    "plot_ratio",
    "tax_per_mu",
    "va_per_mu",
    "va_per_energy",
    "va_per_emission",
    "rd_intensity",
]
ACCESS_CONDITIONS: tuple[str, ...] = AccessCondition.__args__
"""The 标准地 conditions a project is screened on, each a minimum (inclusive)."""


class Threshold(_Model):
    """One 标准地 condition: the minimum a project must promise, what failing it costs, and why."""

    min: float = Field(ge=0)
    fails_as: Literal["conditional", "refused"] = "refused"
    """The verdict a project gets when it promises less (or nothing)."""
    source: str


class IndustryStandard(_Model):
    """Thresholds that differ for an industry (GB/T 4754 prefix); the most specific prefix wins."""

    code: CodePrefix
    thresholds: dict[AccessCondition, Threshold]
    source: str = ""


class IndustryRule(_Model):
    """An entry of the industry list (鼓励 / 控制 / 禁止): the most specific prefix wins."""

    code: CodePrefix
    category: IndustryCategory
    source: str


class Access(_Model):
    """产业准入: how a new project is screened (domain.md, "Around the evaluation").

    The verdict is the worst of the industry's (by `category_verdict`, `unlisted` for an industry
    on no list) and of every failed condition's `fails_as`.
    """

    thresholds: dict[AccessCondition, Threshold] = {}
    by_industry: list[IndustryStandard] = []
    industries: list[IndustryRule] = []
    category_verdict: dict[IndustryCategory, Verdict] = {
        "encouraged": "admitted",
        "controlled": "conditional",
        "prohibited": "refused",
    }
    unlisted: Verdict = "admitted"
    """The verdict an industry on no list gets from the list (its conditions still apply)."""
    rank_min_peers: int = Field(5, ge=1)
    """The rank is among the project's class (4 digits) if it has this many evaluated firms, else
    its group (3), else its division (2), else the whole district."""

    @model_validator(mode="after")
    def _unique_codes(self) -> Access:
        for name, entries in (("industries", self.industries), ("by_industry", self.by_industry)):
            codes = [e.code for e in entries]
            twice = sorted({c for c in codes if codes.count(c) > 1})
            if twice:
                raise ValueError(f"{name}: code {twice[0]} listed twice")
        if set(self.category_verdict) != {"encouraged", "controlled", "prohibited"}:
            raise ValueError("category_verdict must give encouraged, controlled and prohibited")
        return self


class Clawback(_Model):
    """What a project behind its promises pays back. No law fixes these: every default is mujun's
    illustration of a county's choice, to be set from the county's own investment agreement."""

    tax_shortfall_rate: float = Field(1.0, ge=0)
    """Share of the tax shortfall (promised − actual 亩均税收, × the project's 亩) paid back."""
    after_years_behind: int = Field(1, ge=1)
    """Consecutive years behind (this year included) before the clawback applies."""
    overdue_per_mu: float = Field(1.0, ge=0)
    """万元 per 亩 a year charged while a project is overdue (no production data)."""


class Commitments(_Model):
    """达产复核: checking a project's promises against its enterprise's annual data."""

    grace_years: int = Field(1, ge=0)
    """The first year checked is the production_due year + grace_years (1: the first full year)."""
    tolerance: float = Field(0.0, ge=0, lt=1)
    """An indicator is met when actual ≥ promised × (1 − tolerance)."""
    clawback: Clawback = Clawback()


LowlandCategory = Literal[
    "approved_not_supplied",
    "built_not_producing",
    "idle_past_start",
    "supplied_not_used",
    "partly_used",
    "rented_low_tax",
    "producing_below_standard",
]
LOWLAND_CATEGORIES: tuple[str, ...] = LowlandCategory.__args__


class Lowland(_Model):
    """低效用地 (腾笼换鸟): which parcels are flagged and in what category (see lowland.py)."""

    categories: list[LowlandCategory] = list(LOWLAND_CATEGORIES)
    """Rules applied, in precedence order: a parcel is listed once, in its first category."""
    tax_per_mu_below: float = Field(5.0, ge=0)
    """东阳: 亩均税收 below this (万元/亩) is below standard."""
    industry_share_below: float = Field(0.5, ge=0)
    """东阳: below this share of its industry division's 亩均税收 is below standard."""
    idle_years: float = Field(1.0, ge=0)
    """东阳: idle more than this many years past its start date."""
    partly_used_below: float = Field(0.5, gt=0, le=1)
    """湖州 用而未尽: a producing parcel whose occupied floor share is below this."""
    rented_tax_per_mu_below: float = Field(5.0, ge=0)
    """东阳/闽侯: tenants paying less than this per 亩 of the land they use; the owner answers."""
    min_area_mu: float = Field(0.0, ge=0)
    """镇海: a parcel is below standard only from this many 亩 ("占地3亩以上的亩均税收4万元以下低效企业",
    浙江日报 2022-12-21); 0 for every parcel (东阳)."""

    @field_validator("categories")
    @classmethod
    def _once(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a category is listed twice")
        return v


class Publication(_Model):
    """公示: how the list is published and how long a firm may object to it."""

    objection_days: int = Field(5, ge=0)
    """Working days after publication during which a firm may object; afterwards the list is final
    (逾期视为无异议). 黄岩 gave 3–4 days, 景宁 2023 and 海曙 2025 seven, 巢湖 five working days."""
    ranked: bool = True
    """False: the list is published 排名不分先后 (海曙 2025), grades without each firm's rank."""


class Methodology(_Model):
    """A complete evaluation method. `digest()` is its stable hash, recorded with every result."""

    name: str
    title: str
    description: str = ""
    sources: list[str] = []
    population: Population = Population()
    exemptions: Exemptions = Exemptions()
    tax: Tax = Tax()
    groups: dict[Literal["above", "below"], GroupSpec]
    scoring: Scoring = Scoring()
    grading: Grading = Grading()
    vetoes: list[EventKind] = ["safety_fatal", "env_major", "tax_dishonest"]
    """Event kinds in the year that force D (一票否决)."""
    industry_vetoes: list[IndustryVeto] = []
    energy_quota: EnergyQuota = EnergyQuota()
    bonuses: list[Bonus] = []
    deductions: list[Deduction] = []
    land: Land = Land()
    rd_test: RdTest = RdTest()
    policy: Policy = Policy()
    access: Access = Access()
    commitments: Commitments = Commitments()
    lowland: Lowland = Lowland()
    publication: Publication = Publication()
    provenance: dict[str, Provenance] = {}
    """Every number's provenance by dotted path (`groups.above.indicators.0.weight`), from the
    preset's `source` / `illustrative` keys; a number left at its default is DEFAULT."""

    @model_validator(mode="before")
    @classmethod
    def _sources(cls, data: Any, info: ValidationInfo) -> Any:
        """Take the preset's provenance keys off its values. With context `require_sources` (a
        preset's TOML) a number with neither `source` nor `illustrative = true` is refused."""
        if not isinstance(data, dict):
            return data
        found: dict[str, Provenance] = {}
        bare: list[str] = []
        given = data.get("provenance") or {}
        rest = {k: v for k, v in data.items() if k != "provenance"}
        clean = _unwrap(rest, cls, "", None, found, bare)
        if bare and info.context and info.context.get("require_sources"):
            raise PydanticCustomError(
                "unsourced",
                'a number needs source = "…" or illustrative = true, on the value '
                '({ value = …, source = "…" }) or on its table; none for: {paths}',
                {"paths": ", ".join(bare)},
            )
        # a dump's provenance (`provenance` given) is the whole record; else the data's own keys
        return clean | {"provenance": dict.fromkeys(bare, UNSOURCED) | found | given}

    @model_validator(mode="after")
    def _every_number(self) -> Methodology:
        # exactly the numbers the model holds, in its order: defaults in, stale paths out
        complete = {path: self.provenance.get(path, DEFAULT) for path, _ in _numbers(self)}
        object.__setattr__(self, "provenance", complete)
        return self

    @model_validator(mode="after")
    def _both_groups(self) -> Methodology:
        missing = {"above", "below"} - set(self.groups)
        if missing:
            raise ValueError(f"groups.{sorted(missing)[0]} is missing")
        return self

    def indicator_ids(self) -> list[str]:
        """Every scored indicator, above's first, in the preset's order."""
        ids: list[str] = []
        for group in ("above", "below"):
            ids += [s.id for s in self.groups[group].indicators if s.id not in ids]
        return ids

    def illustrative(self, evaluation: bool = False) -> list[tuple[str, float, str]]:
        """Every illustrative number the methodology uses — (dotted path, value, what it rests on)
        in the model's order. Not used: a section switched off (`enabled = false`), the settings
        its other settings leave aside (grade thresholds when grading by shares). `evaluation`:
        only what an evaluation run uses, not the settings AROUND_THE_EVALUATION."""
        return [
            (path, value, self.provenance[path].source)
            for path, value in _numbers(self, used_only=True)
            if self.provenance[path].illustrative
            and not (evaluation and path.split(".")[0] in AROUND_THE_EVALUATION)
        ]

    def preset_data(self) -> dict[str, Any]:
        """The methodology as a preset's TOML data, every number as `{ value, source | illustrative }`
        (what `mujun.methodologies.parse_methodology` reads back to the same digest)."""
        raw = self.model_dump(mode="json", exclude_none=True, exclude={"provenance"})

        def wrap(node: Any, path: str) -> Any:
            if isinstance(node, dict):
                return {k: wrap(v, _join(path, k)) for k, v in node.items()}
            if isinstance(node, list):
                return [wrap(v, _join(path, i)) for i, v in enumerate(node)]
            if _is_number(node):
                return {"value": node, **self.provenance.get(path, DEFAULT).toml()}
            return node

        return wrap(raw, "")

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the validated model: comments and key order don't matter.
        Provenance is part of it: the run summary and the published cover say how many numbers
        are illustrative, so a methodology that says so differently is a different methodology."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _child(tp: Any, key: object) -> Any:
    """The declared type of `key` inside a value of type `tp` (None when unknown)."""
    if get_origin(tp) in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        tp = options[0] if len(options) == 1 else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(key))
        return field.annotation if field else None
    args = get_args(tp)
    if get_origin(tp) is dict:
        return args[1]
    if get_origin(tp) is list:
        return args[0]
    if get_origin(tp) is tuple and args:
        return (
            args[0]
            if len(args) == 2 and args[1] is Ellipsis
            else args[min(int(key), len(args) - 1)]
        )
    return None


def _declares(tp: Any, name: str) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel) and name in tp.model_fields


def _provenance(table: dict) -> Provenance | None:
    source, illustrative = table.get("source"), table.get("illustrative")
    has_source = isinstance(source, str) and bool(source.strip())
    if illustrative is True or has_source:
        return Provenance(source=source if has_source else "", illustrative=illustrative is True)
    return None


def _unwrap(
    node: Any,
    tp: Any,
    path: str,
    inherited: Provenance | None,
    found: dict[str, Provenance],
    bare: list[str],
) -> Any:
    """A preset's raw value without its provenance keys. A table's `source` / `illustrative`
    covers every number inside it that has none of its own (the nearest wins); `{ value = …,
    source = … }` annotates one value; a model with a `source` field of its own keeps it."""
    if isinstance(node, dict):
        wrapper = "value" in node and set(node) <= {"value", *ANNOTATIONS}
        if wrapper and not _declares(tp, "value"):
            covering = _provenance(node) or inherited
            return _unwrap(node["value"], tp, path, covering, found, bare)
        covering = _provenance(node) or inherited
        return {
            k: _unwrap(v, _child(tp, k), _join(path, k), covering, found, bare)
            for k, v in node.items()
            if k not in ANNOTATIONS or _declares(tp, k)
        }
    if isinstance(node, list | tuple):
        return [
            _unwrap(v, _child(tp, i), _join(path, i), inherited, found, bare)
            for i, v in enumerate(node)
        ]
    if _is_number(node):
        if inherited is None:
            bare.append(path)
        else:
            found[path] = inherited
    return node


def sourced_numbers(data: dict[str, Any]) -> dict[str, Any]:
    """A preset's raw data with each table's `source` / `illustrative` pushed down onto the numbers
    it covers, each written `{ value, source | illustrative }` (a bare number stays bare): laid over
    another preset, a number then brings its own provenance and takes none from the other's tables."""
    found: dict[str, Provenance] = {}
    clean = _unwrap(data, Methodology, "", None, found, [])

    def wrap(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            return {k: wrap(v, _join(path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [wrap(v, _join(path, i)) for i, v in enumerate(node)]
        if _is_number(node) and path in found:
            return {"value": node, **found[path].toml()}
        return node

    return wrap(clean, "")


def _numbers(node: Any, path: str = "", used_only: bool = False) -> Iterator[tuple[str, float]]:
    """Every number of a validated model by dotted path, in the model's field order; `used_only`
    leaves out a section switched off (`enabled = false`) and what its `unused_fields()` names."""
    if isinstance(node, BaseModel):
        if used_only and getattr(node, "enabled", True) is False:
            return
        unused = node.unused_fields() if used_only and hasattr(node, "unused_fields") else set()
        for name in type(node).model_fields:
            if name != "provenance" and name not in unused:
                yield from _numbers(getattr(node, name), _join(path, name), used_only)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _numbers(v, _join(path, k), used_only)
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _numbers(v, _join(path, i), used_only)
    elif _is_number(node):
        yield path, node
