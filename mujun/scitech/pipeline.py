"""The qualification pipeline and R&D of the district and its zones, year by year.

A qualification (资质) counts for a year when it is valid on 31 December of that year: `valid_from` on
or before that day and `valid_to` empty or on or after it. A zone is one of the `;`-separated tags of
`enterprises.zones`; an enterprise may sit in several (甬江芯谷 lies inside 甬江科创区).
The ladder (梯度培育) and each rung's thresholds are data (`ladder.toml`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mujun.dataset import Dataset
from mujun.dataset.schema import QUALIFICATION_KINDS

KIND_LABELS = {
    "tech_sme": "科技型中小企业",
    "high_tech": "高新技术企业",
    "srdi": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”",
    "hidden_champion": "隐形冠军",
    "champion": "单项冠军",
    "listed": "上市企业",
    "unicorn": "独角兽",
    "rd_centre": "省级研发中心",
    "digital_workshop": "数字化车间",
    "smart_factory": "智能工厂",
    "green_factory": "绿色工厂",
}
LADDER_FILE = Path(__file__).with_name("ladder.toml")

By = Literal["district", "division_code", "zone"]


# -- rules -------------------------------------------------------------------------------------


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revenue_from: float = Field(ge=0)
    min: float = Field(ge=0, le=1)


class Rung(BaseModel):
    """One rung of the ladder and the thresholds (from `source`) a candidate for it must meet."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    source: str
    min_years_registered: int = Field(0, ge=0)
    min_revenue: float | None = Field(None, ge=0)
    max_revenue: float | None = Field(None, ge=0)
    max_employees: float | None = Field(None, ge=0)
    min_rd_expense: float | None = Field(None, ge=0)
    rd_intensity: list[Tier] = Field(min_length=1)
    unchecked: str = ""

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in QUALIFICATION_KINDS:
            raise ValueError(f"unknown qualification kind {kind!r}")
        return kind

    @field_validator("rd_intensity")
    @classmethod
    def _ascending(cls, tiers: list[Tier]) -> list[Tier]:
        starts = [t.revenue_from for t in tiers]
        if starts != sorted(set(starts)):
            raise ValueError("tiers must have strictly increasing revenue_from")
        return tiers


class Ladder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rung: list[Rung] = Field(min_length=1)

    @property
    def kinds(self) -> list[str]:
        return [r.kind for r in self.rung]


def load_ladder(path: str | Path = LADDER_FILE) -> Ladder:
    with open(path, "rb") as fh:
        return Ladder.model_validate(tomllib.load(fh))


# -- who holds what ----------------------------------------------------------------------------


def _dec31(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def valid_on(day: dt.date) -> pl.Expr:
    return (pl.col("valid_from") <= day) & (
        pl.col("valid_to").is_null() | (pl.col("valid_to") >= day)
    )


def zone_members(enterprises: pl.DataFrame) -> pl.DataFrame:
    """(uscc, zone): one row per enterprise and zone tag."""
    return (
        enterprises.select("uscc", pl.col("zones").str.split(";").alias("zone"))
        .explode("zone")
        .with_columns(pl.col("zone").str.strip_chars())
        .filter(pl.col("zone").is_not_null() & (pl.col("zone") != ""))
        .unique(maintain_order=True)
    )


def in_zone(ds: Dataset, zone: str | None) -> pl.DataFrame:
    """The enterprises (uscc) of a zone, or of the whole district when `zone` is None."""
    if zone is None:
        return ds.enterprises.select("uscc")
    return zone_members(ds.enterprises).filter(pl.col("zone") == zone).select("uscc")


def _areas(ds: Dataset, by: By) -> pl.DataFrame:
    """(uscc, <by>) for the grouping asked for."""
    if by == "district":
        return ds.enterprises.select("uscc", pl.lit("district").alias("district"))
    if by == "division_code":
        return ds.enterprises.select("uscc", "division_code")
    return zone_members(ds.enterprises)


def holders(ds: Dataset, year: int) -> pl.DataFrame:
    """(uscc, kind): each qualification held on 31 December of `year`, once per firm and kind."""
    return (
        ds.qualifications.filter(valid_on(_dec31(year)))
        .select("uscc", "kind")
        .unique()
        .sort("uscc", "kind")
    )


def qualification_counts(
    ds: Dataset, years: list[int], by: By = "district", kinds: list[str] | None = None
) -> pl.DataFrame:
    """Enterprises holding each kind on 31 December, per year and area (district, division or zone):
    columns `year, <by>, kind, enterprises`, every combination present (zeros included)."""
    kinds = list(QUALIFICATION_KINDS) if kinds is None else kinds
    areas = _areas(ds, by)
    held = pl.concat(
        [holders(ds, y).with_columns(pl.lit(y, pl.Int64).alias("year")) for y in years]
        or [pl.DataFrame(schema={"uscc": pl.String, "kind": pl.String, "year": pl.Int64})]
    ).filter(pl.col("kind").is_in(kinds))
    counts = (
        held.join(areas, on="uscc").group_by("year", by, "kind").agg(pl.len().alias("enterprises"))
    )
    grid = (
        pl.DataFrame({"year": years}, schema={"year": pl.Int64})
        .join(areas.select(by).unique(), how="cross")
        .join(pl.DataFrame({"kind": kinds}), how="cross")
    )
    return (
        grid.join(counts, on=["year", by, "kind"], how="left")
        .with_columns(pl.col("enterprises").fill_null(0).cast(pl.Int64))
        .with_columns(pl.col("kind").cast(pl.Enum(kinds)).alias("_order"))
        .sort("year", by, "_order")
        .drop("_order")
    )


def counts_wide(counts: pl.DataFrame, by: By = "district") -> pl.DataFrame:
    """`qualification_counts` as one row per year (and area), one column per kind."""
    index = ["year"] if by == "district" else ["year", by]
    kinds = counts.get_column("kind").unique(maintain_order=True).to_list()
    return counts.pivot("kind", index=index, values="enterprises").select(*index, *kinds)


def _with_names(ds: Dataset, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.join(
        ds.enterprises.select("uscc", "name", "division_code", "zones"), on="uscc", how="left"
    )


def expiring(ds: Dataset, year: int) -> pl.DataFrame:
    """Certificates whose `valid_to` falls in `year`, and whether the firm holds a later one of the
    same kind (`renewed`)."""
    start, end = dt.date(year, 1, 1), _dec31(year)
    q = ds.qualifications
    ending = q.filter(pl.col("valid_to").is_between(start, end))
    later = (
        ending.select("uscc", "kind", pl.col("valid_from").alias("_from"))
        .join(q.select("uscc", "kind", "valid_from"), on=["uscc", "kind"])
        .filter(pl.col("valid_from") > pl.col("_from"))
        .select("uscc", "kind", "_from", pl.lit(True).alias("renewed"))
        .unique()
    )
    out = (
        ending.join(
            later,
            left_on=["uscc", "kind", "valid_from"],
            right_on=["uscc", "kind", "_from"],
            how="left",
        )
        .with_columns(pl.col("renewed").fill_null(False))
        .sort("valid_to", "uscc", "kind")
    )
    return _with_names(ds, out).select(
        "uscc",
        "name",
        "kind",
        "level",
        "valid_from",
        "valid_to",
        "renewed",
        "division_code",
        "zones",
    )


def renewals_due(
    ds: Dataset, year: int, kind: str = "high_tech", validity_years: int = 3
) -> pl.DataFrame:
    """Certificates of `kind` in the last year of their validity (高新技术企业: three years, so a
    certificate from 2019 is up for re-certification in 2022). A missing `valid_to` is taken as
    `validity_years` after `valid_from`. `renewed`: a later certificate of that kind exists."""
    q = ds.qualifications.filter(pl.col("kind") == kind).with_columns(
        pl.coalesce(
            pl.col("valid_to"),
            pl.col("valid_from").dt.offset_by(f"{validity_years}y").dt.offset_by("-1d"),
        ).alias("valid_to")
    )
    due = q.filter(pl.col("valid_to").dt.year() == year)
    later = (
        due.select("uscc", pl.col("valid_from").alias("_from"))
        .join(q.select("uscc", "valid_from"), on="uscc")
        .filter(pl.col("valid_from") > pl.col("_from"))
        .select("uscc", "_from", pl.lit(True).alias("renewed"))
        .unique()
    )
    out = (
        due.join(later, left_on=["uscc", "valid_from"], right_on=["uscc", "_from"], how="left")
        .with_columns(pl.col("renewed").fill_null(False))
        .sort("valid_to", "uscc")
    )
    return _with_names(ds, out).select(
        "uscc", "name", "valid_from", "valid_to", "renewed", "division_code", "zones"
    )


# -- the ladder --------------------------------------------------------------------------------


def _rung_rank(ladder: Ladder) -> dict[str, int]:
    return {kind: i + 1 for i, kind in enumerate(ladder.kinds)}


def current_rung(ds: Dataset, year: int, ladder: Ladder) -> pl.DataFrame:
    """(uscc, rung, rung_kind): the highest rung each enterprise holds on 31 December; 0 and null
    for an enterprise on no rung."""
    rank = _rung_rank(ladder)
    top = (
        holders(ds, year)
        .filter(pl.col("kind").is_in(ladder.kinds))
        .group_by("uscc")
        .agg(pl.col("kind").replace_strict(rank, return_dtype=pl.Int64).max().alias("rung"))
    )
    return (
        ds.enterprises.select("uscc")
        .join(top, on="uscc", how="left")
        .with_columns(pl.col("rung").fill_null(0))
        .with_columns(
            pl.col("rung")
            .replace_strict({v: k for k, v in rank.items()}, default=None, return_dtype=pl.String)
            .alias("rung_kind")
        )
    )


def _meets(rung: Rung) -> pl.Expr:
    revenue, rd = pl.col("revenue"), pl.col("rd_expense")
    ok = (revenue > 0) & pl.col("years_registered").ge(rung.min_years_registered)
    if rung.min_revenue is not None:
        ok &= revenue >= rung.min_revenue
    if rung.max_revenue is not None:
        ok &= revenue <= rung.max_revenue
    if rung.max_employees is not None:
        ok &= pl.col("employees") <= rung.max_employees
    if rung.min_rd_expense is not None:
        ok &= rd >= rung.min_rd_expense
    needed = pl.lit(None, pl.Float64)
    for tier in rung.rd_intensity:  # later tiers override earlier ones from their revenue up
        needed = pl.when(revenue >= tier.revenue_from).then(pl.lit(tier.min)).otherwise(needed)
    return ok & needed.is_not_null() & (pl.col("rd_intensity") >= needed)


def candidates(ds: Dataset, year: int, ladder: Ladder | None = None) -> pl.DataFrame:
    """Enterprises whose `year` figures meet the thresholds of the rung above the one they hold
    (an enterprise on no rung is a candidate for the first). Columns: uscc, name, rung_kind (held),
    next_kind, revenue, rd_expense, rd_intensity, employees, division_code, zones."""
    ladder = ladder or load_ladder()
    annual = ds.annual.filter(pl.col("year") == year).select(
        "uscc", "revenue", "rd_expense", "employees"
    )
    base = (
        annual.join(current_rung(ds, year, ladder), on="uscc")
        .join(ds.enterprises.select("uscc", "established"), on="uscc")
        .with_columns(
            pl.when(pl.col("revenue") > 0)
            .then(pl.col("rd_expense") / pl.col("revenue"))
            .alias("rd_intensity"),
            (pl.lit(year) - pl.col("established").dt.year()).alias("years_registered"),
        )
    )
    parts = []
    for i, rung in enumerate(ladder.rung):
        parts.append(
            base.filter((pl.col("rung") == i) & _meets(rung)).with_columns(
                pl.lit(rung.kind).alias("next_kind")
            )
        )
    out = pl.concat(parts).sort("rung", "uscc")
    return _with_names(ds, out).select(
        "uscc",
        "name",
        "rung_kind",
        "next_kind",
        "revenue",
        "rd_expense",
        "rd_intensity",
        "employees",
        "division_code",
        "zones",
    )


def ladder_moves(ds: Dataset, ladder: Ladder | None = None) -> pl.DataFrame:
    """Every move up the ladder: an enterprise first obtains rung `to_kind` in `year` while already
    holding a lower rung obtained earlier or the same year; `from_kind` is the highest such rung and
    `years_taken` the years between obtaining it and obtaining `to_kind`. A first rung obtained with
    nothing below it is an entry, not a move. Columns: uscc, year, from_kind, to_kind, years_taken."""
    ladder = ladder or load_ladder()
    rank = _rung_rank(ladder)
    first = (
        ds.qualifications.filter(pl.col("kind").is_in(ladder.kinds))
        .group_by("uscc", "kind")
        .agg(pl.col("valid_from").min().dt.year().cast(pl.Int64).alias("year"))
        .with_columns(pl.col("kind").replace_strict(rank, return_dtype=pl.Int64).alias("rung"))
    )
    pairs = (
        first.join(first, on="uscc", suffix="_from")
        .filter((pl.col("rung_from") < pl.col("rung")) & (pl.col("year_from") <= pl.col("year")))
        .sort("uscc", "rung", "rung_from")
        .group_by("uscc", "rung", maintain_order=True)
        .agg(pl.all().last())
    )
    return pairs.select(
        "uscc",
        "year",
        pl.col("kind_from").alias("from_kind"),
        pl.col("kind").alias("to_kind"),
        (pl.col("year") - pl.col("year_from")).alias("years_taken"),
    ).sort("year", "uscc", "to_kind")


def ladder_summary(moves: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """Per year and rung reached: `moved` (enterprises) and `median_years` taken (float64)."""
    return (
        moves.filter(pl.col("year").is_in(years))
        .group_by("year", "to_kind")
        .agg(
            pl.len().cast(pl.Int64).alias("moved"),
            pl.col("years_taken").cast(pl.Float64).median().alias("median_years"),
        )
        .sort("year", "to_kind")
    )


# -- R&D ---------------------------------------------------------------------------------------


def rd_intensity(
    ds: Dataset, years: list[int], by: By = "district", scale: str | None = "above"
) -> pl.DataFrame:
    """Aggregate R&D intensity Σ rd_expense ÷ Σ revenue per year and area, over the firms of `scale`
    (规上 by default, as the statistics publish it; None = every firm). Columns: year, <by>, firms,
    rd_expense, revenue, rd_intensity."""
    annual = ds.annual.filter(pl.col("year").is_in(years))
    if scale is not None:
        annual = annual.filter(pl.col("scale") == scale)
    return (
        annual.join(_areas(ds, by), on="uscc")
        .group_by("year", by)
        .agg(
            pl.len().cast(pl.Int64).alias("firms"),
            pl.col("rd_expense").sum(),
            pl.col("revenue").sum(),
        )
        .with_columns(
            pl.when(pl.col("revenue") > 0)
            .then(pl.col("rd_expense") / pl.col("revenue"))
            .alias("rd_intensity")
        )
        .sort("year", by)
    )


def rd_test_results(enterprises: pl.DataFrame, members: pl.DataFrame | None = None) -> pl.DataFrame:
    """Zhenhai's R&D test from evaluated enterprise frames (`Evaluation.enterprises`, any years):
    per year, how many 规上 firms passed and failed and the pass share. `members` (uscc) restricts
    the count to a zone's firms."""
    frame = enterprises if members is None else enterprises.join(members, on="uscc", how="semi")
    return (
        frame.filter(pl.col("rd_test").is_not_null())
        .group_by("year")
        .agg(
            (pl.col("rd_test") == "pass").sum().cast(pl.Int64).alias("passed"),
            (pl.col("rd_test") == "fail").sum().cast(pl.Int64).alias("failed"),
        )
        .with_columns(
            (pl.col("passed") / (pl.col("passed") + pl.col("failed"))).alias("pass_share")
        )
        .sort("year")
    )


def rd_by_grade(
    ds: Dataset, enterprises: pl.DataFrame, members: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Aggregate R&D intensity of the graded firms per year and grade (`enterprises` as in
    `rd_test_results`): year, grade, firms, rd_intensity."""
    frame = enterprises.filter(pl.col("grade").is_not_null()).select("uscc", "year", "grade")
    if members is not None:
        frame = frame.join(members, on="uscc", how="semi")
    return (
        frame.join(ds.annual.select("uscc", "year", "rd_expense", "revenue"), on=["uscc", "year"])
        .group_by("year", "grade")
        .agg(
            pl.len().cast(pl.Int64).alias("firms"),
            (pl.col("rd_expense").sum() / pl.col("revenue").sum()).alias("rd_intensity"),
        )
        .sort("year", "grade")
    )
