"""Low-efficiency land (低效用地, 腾笼换鸟): which parcels to upgrade or re-allocate, and how much.

domain.md, "Around the evaluation", and methodology-sources.md §9. Each parcel is checked at the end
of year Y against the preset's rules (`Methodology.lowland`) and listed once, in the first category
it meets in `categories` order (`rules` names every one it meets):
- `approved_not_supplied` (湖州 批而未供): approved by Y's end (or undated) but not granted by then.
- `built_not_producing` (湖州 建而未投): granted, floor space built, nobody occupying it in Y; or
  still under construction past its production_due.
- `idle_past_start` (东阳 闲置): granted, nobody in it, more than `idle_years` past its start_due.
- `supplied_not_used` (湖州 供而未用): granted, nobody in it (not yet past its start date).
- `partly_used` (湖州 用而未尽): producing, with less than `partly_used_below` of its floor space in use.
- `rented_low_tax` (东阳, 闽侯): tenants occupy it and pay less than `rented_tax_per_mu_below` per 亩
  of the land they use; the owner (landlord) answers for it.
- `producing_below_standard` (湖州 投而未达标, 东阳's test): a graded parcel whose 亩均税收 is below
  `tax_per_mu_below` or below `industry_share_below` × its industry's level (the aggregate 亩均税收
  of the graded parcels whose owners share its GB/T 4754 division).
A parcel without a `status` is taken as producing when someone occupies it, else idle. `status` and
the built floor area are the dataset's snapshot: for an earlier year only the dates, the occupancy
and the annual data change what a parcel is.

Freeable area: the whole parcel when it is unused or unsupplied; the vacant share when partly used;
for tax shortfalls, the part of the land its tax does not justify at the standard,
area × (1 − tax_per_mu ÷ standard) (tenants' land only for `rented_low_tax`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.errors import EngineError
from mujun.engine.evaluate import Evaluation
from mujun.engine.methodology import Lowland
from mujun.engine.streaks import consecutive_years, years_in_a_row

COLUMNS = (
    "year",
    "parcel_id",
    "category",
    "rules",
    "division_code",
    "owner_uscc",
    "owner_name",
    "status",
    "area_mu",
    "occupants",
    "occupant_usccs",
    "occupied_share",
    "tax_per_mu",
    "standard_tax_per_mu",
    "industry_tax_per_mu",
    "tenant_land_mu",
    "tenant_tax_per_mu",
    "years_below_standard",
    "freeable_mu",
    "reason",
)

TAX_BASED = frozenset({"rented_low_tax", "producing_below_standard"})
"""Categories set by a parcel's tax: their freeable land is its area × (1 − 亩均税收 ÷ standard)."""
STATUS_DATES = ("status", "approved_on", "granted_on", "start_due", "production_due")
"""The parcels' optional supply columns (a Dataset always has them, empty when not supplied)."""


@dataclass(frozen=True)
class LandInventory:
    """The year's low-efficiency land: the parcels, totals and the supply of approved land."""

    year: int
    parcels: pl.DataFrame
    """One row per flagged parcel (COLUMNS), in parcel_id order."""
    totals: pl.DataFrame
    """Per division_code and category: parcels, area_mu, freeable_mu."""
    supply: pl.DataFrame
    """批而未供: the stock of approved-not-supplied land and how fast it is granted (one row)."""
    change: pl.DataFrame | None
    """Against last year (when evaluated): parcels and 亩 revitalized, newly flagged, still flagged."""


def _tenants(ev: Evaluation) -> pl.DataFrame:
    """Per parcel: the land its tenants use and the tax attributed to them there."""
    owners = ev.dataset.parcels.select("parcel_id", "owner_uscc")
    firms = ev.detail.select("uscc", "adjusted_tax", pl.col("land_mu").alias("_firm_mu"))
    return (
        ev.allocation.filter(pl.col("role") == "occupant")
        .join(owners, on="parcel_id", how="left", maintain_order="left")
        .filter(pl.col("uscc") != pl.col("owner_uscc"))
        .join(firms, on="uscc", how="left", maintain_order="left")
        .with_columns((pl.col("land_m2") / M2_PER_MU).alias("_mu"))
        .group_by("parcel_id", maintain_order=True)
        .agg(
            pl.col("_mu").sum().alias("tenant_land_mu"),
            (pl.col("adjusted_tax").fill_null(0.0) * pl.col("_mu") / pl.col("_firm_mu"))
            .sum()
            .alias("_tenant_tax"),
        )
        .with_columns((pl.col("_tenant_tax") / pl.col("tenant_land_mu")).alias("tenant_tax_per_mu"))
    )


def flag_parcels(ev: Evaluation, settings: Lowland) -> pl.DataFrame:
    """Every parcel existing at the end of `ev.year`, with its category (null when not flagged)."""
    year, s = ev.year, settings
    end = dt.date(year, 12, 31)
    parcels = ev.dataset.parcels
    view = ev.parcels.select(
        "parcel_id",
        "occupants",
        "occupant_usccs",
        "occupied_share",
        "vacant_share",
        "tax_per_mu",
        "adjusted_tax",
        pl.col("status").alias("_view"),
    )
    owners = ev.dataset.enterprises.select(
        pl.col("uscc").alias("owner_uscc"),
        pl.col("name").alias("owner_name"),
        pl.col("industry_code").str.slice(0, 2).alias("_industry"),
    )
    frame = (
        parcels.select(
            "parcel_id", "owner_uscc", "area_m2", "floor_area_m2", "division_code", *STATUS_DATES
        )
        .filter(pl.col("approved_on").is_null() | (pl.col("approved_on") <= end))
        .join(view, on="parcel_id", how="left", maintain_order="left")
        .join(owners, on="owner_uscc", how="left", maintain_order="left")
        .join(_tenants(ev), on="parcel_id", how="left", maintain_order="left")
        .with_columns(
            (pl.col("area_m2") / M2_PER_MU).alias("area_mu"),
            pl.col("occupants").fill_null(0),
            pl.col("occupant_usccs").fill_null(""),
            pl.col("occupied_share").fill_null(0.0),
            pl.col("vacant_share").fill_null(1.0),
            pl.col("tenant_land_mu").fill_null(0.0),
        )
        .with_columns(
            pl.when(pl.col("status").is_not_null())
            .then(pl.col("status"))
            .when(pl.col("occupants") > 0)
            .then(pl.lit("producing"))
            .otherwise(pl.lit("idle"))
            .alias("status")
        )
    )
    graded = pl.col("_view") == "graded"
    industry = (
        frame.filter(graded)
        .group_by("_industry")
        .agg((pl.col("adjusted_tax").sum() / pl.col("area_mu").sum()).alias("industry_tax_per_mu"))
    )
    frame = frame.join(industry, on="_industry", how="left", maintain_order="left").with_columns(
        pl.max_horizontal(
            pl.lit(s.tax_per_mu_below),
            pl.col("industry_tax_per_mu") * s.industry_share_below,
        ).alias("standard_tax_per_mu")
    )
    supplied = pl.col("granted_on").is_not_null() & (pl.col("granted_on") <= end) | (
        pl.col("granted_on").is_null() & (pl.col("status") != "approved")
    )
    empty = pl.col("occupants") == 0
    idle_days = s.idle_years * 365.25
    rules = {
        "approved_not_supplied": ~supplied,
        "built_not_producing": supplied
        & (
            (empty & (pl.col("floor_area_m2") > 0) & (pl.col("status") != "granted"))
            | (
                (pl.col("status") == "under_construction")
                & (pl.col("production_due") < pl.lit(end))
            )
        ),
        "idle_past_start": supplied
        & empty
        & ((pl.lit(end) - pl.col("start_due")).dt.total_days() > idle_days),
        "supplied_not_used": supplied & empty,
        "partly_used": supplied
        & ~empty
        & (pl.col("status") == "producing")
        & (pl.col("occupied_share") < s.partly_used_below),
        "rented_low_tax": supplied
        & (pl.col("tenant_land_mu") > 0)
        & (pl.col("tenant_tax_per_mu") < s.rented_tax_per_mu_below),
        "producing_below_standard": supplied
        & graded
        & (pl.col("area_mu") >= s.min_area_mu)
        & (pl.col("tax_per_mu") < pl.col("standard_tax_per_mu")),
    }
    order = [c for c in s.categories]
    matched = {c: rules[c].fill_null(False) for c in order}
    category = pl.lit(None, pl.String)
    for c in reversed(order):
        category = pl.when(matched[c]).then(pl.lit(c)).otherwise(category)
    frame = frame.with_columns(
        category.alias("category"),
        pl.concat_str(
            [pl.when(matched[c]).then(pl.lit(c)) for c in order], separator=";", ignore_nulls=True
        ).alias("rules"),
    )
    c = pl.col("category")
    shortfall = (1 - pl.col("tax_per_mu") / pl.col("standard_tax_per_mu")).clip(0.0, 1.0)
    tenant_short = (1 - pl.col("tenant_tax_per_mu") / s.rented_tax_per_mu_below).clip(0.0, 1.0)
    whole = c.is_in(
        ["approved_not_supplied", "built_not_producing", "idle_past_start", "supplied_not_used"]
    )
    freeable = (
        pl.when(whole)
        .then(pl.col("area_mu"))
        .when(c == "partly_used")
        .then(pl.col("area_mu") * pl.col("vacant_share"))
        .when(c == "rented_low_tax")
        .then(pl.col("tenant_land_mu") * tenant_short)
        .when(c == "producing_below_standard")
        .then(pl.col("area_mu") * shortfall)
    )

    def num(col: str, digits: int = 4) -> pl.Expr:
        return pl.col(col).round_sig_figs(digits).cast(pl.String)

    reason = (
        pl.when(c == "approved_not_supplied")
        .then(pl.format("approved {} but not granted by {}", pl.col("approved_on"), pl.lit(end)))
        .when(c == "built_not_producing")
        .then(
            pl.format(
                "built ({} m² floor), status {}, no producer in {}",
                num("floor_area_m2"),
                pl.col("status"),
                pl.lit(year),
            )
        )
        .when(c == "idle_past_start")
        .then(
            pl.format(
                "nobody in it; start due {}, more than {} year(s) ago",
                pl.col("start_due"),
                pl.lit(s.idle_years),
            )
        )
        .when(c == "supplied_not_used")
        .then(pl.format("granted {}, not in use", pl.col("granted_on")))
        .when(c == "partly_used")
        .then(
            pl.format(
                "{}% of its floor space in use (< {}%)",
                (pl.col("occupied_share") * 100).round(1).cast(pl.String),
                pl.lit(s.partly_used_below * 100),
            )
        )
        .when(c == "rented_low_tax")
        .then(
            pl.format(
                "tenants pay {} 万元/亩 on {} 亩 (< {}); the owner answers",
                num("tenant_tax_per_mu"),
                num("tenant_land_mu"),
                pl.lit(s.rented_tax_per_mu_below),
            )
        )
        .when(c == "producing_below_standard")
        .then(
            pl.format(
                "亩均税收 {} < standard {} (max of {} and {} × industry {})",
                num("tax_per_mu"),
                num("standard_tax_per_mu"),
                pl.lit(s.tax_per_mu_below),
                pl.lit(s.industry_share_below),
                num("industry_tax_per_mu"),
            )
        )
    )
    return frame.with_columns(
        freeable.alias("freeable_mu"), reason.alias("reason"), pl.lit(year, pl.Int64).alias("year")
    ).sort("parcel_id")


def _supply(parcels: pl.DataFrame, year: int) -> pl.DataFrame:
    """批而未供 at the start and end of `year`, and how much of the opening stock was granted."""
    start, end = dt.date(year - 1, 12, 31), dt.date(year, 12, 31)

    def stock(day: dt.date) -> pl.Expr:
        approved = pl.col("approved_on").is_null() | (pl.col("approved_on") <= day)
        not_granted = (
            pl.when(pl.col("granted_on").is_not_null())
            .then(pl.col("granted_on") > day)
            .otherwise(pl.col("status") == "approved")
        )
        return (approved & not_granted).fill_null(False)

    mu = pl.col("area_m2") / M2_PER_MU
    granted_in_year = stock(start) & pl.col("granted_on").is_between(
        dt.date(year, 1, 1), end
    ).fill_null(False)
    new = pl.col("approved_on").is_between(dt.date(year, 1, 1), end).fill_null(False)
    out = parcels.select(
        pl.lit(year, pl.Int64).alias("year"),
        mu.filter(stock(start)).sum().alias("stock_start_mu"),
        mu.filter(new).sum().alias("approved_in_year_mu"),
        mu.filter(granted_in_year).sum().alias("granted_from_stock_mu"),
        mu.filter(stock(end)).sum().alias("stock_end_mu"),
        stock(end).sum().cast(pl.Int64).alias("stock_end_parcels"),
    )
    return out.with_columns(
        pl.when(pl.col("stock_start_mu") > 0)
        .then(pl.col("granted_from_stock_mu") / pl.col("stock_start_mu"))
        .alias("supply_rate"),
        pl.when(pl.col("granted_from_stock_mu") > 0)
        .then(pl.col("stock_end_mu") / pl.col("granted_from_stock_mu"))
        .alias("years_to_clear"),
    )


def land_inventory(
    evaluations: Mapping[int, Evaluation], year: int, settings: Lowland
) -> LandInventory:
    """The inventory of `year`; earlier consecutive years in `evaluations` give the years each
    parcel has been flagged and the change since last year."""
    if year not in evaluations:
        raise EngineError(f"no evaluation of {year} to build the land inventory from")
    flags = {
        y: flag_parcels(evaluations[y], settings) for y in consecutive_years(evaluations, year)
    }
    now = flags[year]
    history = pl.concat([f.select("parcel_id", "year", "category") for f in flags.values()])
    streak = years_in_a_row(
        history, "parcel_id", pl.col("category").is_not_null(), "years_below_standard"
    )
    flagged = (
        now.filter(pl.col("category").is_not_null())
        .join(streak, on="parcel_id", how="left", maintain_order="left")
        .select(COLUMNS)
    )
    totals = (
        flagged.group_by("division_code", "category")
        .agg(
            pl.len().cast(pl.Int64).alias("parcels"),
            pl.col("area_mu").sum(),
            pl.col("freeable_mu").sum(),
        )
        .sort("division_code", "category")
    )
    change = None
    if year - 1 in flags:
        before = flags[year - 1].filter(pl.col("category").is_not_null()).select("parcel_id")
        after = flagged.select("parcel_id")
        mu = now.select("parcel_id", "area_mu")
        area = {
            "revitalized": before.join(after, on="parcel_id", how="anti"),
            "newly_flagged": after.join(before, on="parcel_id", how="anti"),
            "still_flagged": after.join(before, on="parcel_id", how="semi"),
        }
        rows = []
        for measure, ids in area.items():
            part = ids.join(mu, on="parcel_id", how="left")
            rows.append(
                {
                    "measure": measure,
                    "parcels": part.height,
                    "area_mu": float(part.get_column("area_mu").fill_null(0.0).sum()),
                }
            )
        change = pl.DataFrame(
            rows, schema={"measure": pl.String, "parcels": pl.Int64, "area_mu": pl.Float64}
        )
    return LandInventory(
        year=year,
        parcels=flagged,
        totals=totals,
        supply=_supply(evaluations[year].dataset.parcels, year),
        change=change,
    )
