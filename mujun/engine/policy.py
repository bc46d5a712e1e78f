"""Separate tests and policy consequences (steps 8–9 of domain.md), computed per enterprise.

- Zhenhai's R&D test for 规上 firms: R&D ≥ 100 万元 or ≥ 2 % of revenue, pass/fail beside the grade.
- Electricity surcharge (差别化电价, 海宁 2025 draft): 元/kWh on the surcharged grades, a higher rate
  after `repeat_years` such years in a row; amount in 万元 = rate × kWh ÷ 10,000.
- Land-use-tax relief (城镇土地使用税, 义乌 2013): by tax_per_mu against the industry division's
  aggregate tax_per_mu, a tiered share of the tax on the firm's own land.
- The preset's other levers (用能 quota cuts, priority land, …): an amount per firm by grade.
"""

from __future__ import annotations

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.methodology import ElectricitySurcharge, LandTaxRelief, Lever, RdTest


def rd_test(cfg: RdTest) -> pl.Expr:
    if not cfg.enabled:
        return pl.lit(None, pl.String).alias("rd_test")
    rd, revenue = pl.col("rd_expense"), pl.col("revenue")
    passes = (rd >= cfg.min_expense) | ((revenue > 0) & (rd >= cfg.min_intensity * revenue))
    return (
        pl.when((pl.col("group") == "above") & rd.is_not_null())
        .then(pl.when(passes).then(pl.lit("pass")).otherwise(pl.lit("fail")))
        .alias("rd_test")
    )


def _applies(vetoed: bool, tenants: bool) -> pl.Expr:
    """Whether a measure reaches the row, as the preset says of vetoed firms and tenants."""
    ok = pl.lit(True)
    if not vetoed:
        ok = ok & (pl.col("status") != "vetoed")
    if not tenants:
        ok = ok & (pl.col("list") != "tenant")
    return ok


def surcharge(
    frame: pl.DataFrame,
    cfg: ElectricitySurcharge,
    history: dict[int, pl.DataFrame],
    year: int,
    stacked: pl.Series | None = None,
) -> pl.DataFrame:
    """Add `surcharge_rate` (元/kWh), `surcharge` and `surcharge_refund` (万元). `history[y]` holds
    (uscc, grade) of earlier published years; a year missing from it breaks a run of surcharged
    years. `stacked`: the firms already under another punitive tariff this year (not charged)."""
    if not cfg.enabled:
        return frame.with_columns(
            pl.lit(None, pl.Float64).alias(c)
            for c in ("surcharge_rate", "surcharge", "surcharge_refund")
        )
    hit = pl.col("grade").is_in(cfg.grades) & _applies(cfg.vetoed, cfg.tenants)
    if stacked is not None and stacked.len():
        hit = hit & ~pl.col("uscc").is_in(stacked.implode())
    run = hit.cast(pl.Int64)
    chain = hit
    for back in range(1, cfg.repeat_years):
        past = history.get(year - back)
        name = f"_hit_{back}"
        if past is None:
            frame = frame.with_columns(pl.lit(False).alias(name))
        else:
            frame = frame.join(
                past.select("uscc", pl.col("grade").is_in(cfg.grades).alias(name)),
                on="uscc",
                how="left",
                maintain_order="left",
            ).with_columns(pl.col(name).fill_null(False))
        chain = chain & pl.col(name)
        run = run + chain.cast(pl.Int64)
    rate = (
        pl.when(hit & (run >= cfg.repeat_years))
        .then(pl.lit(cfg.repeat_rate))
        .when(hit)
        .then(pl.lit(cfg.rate))
        .when(pl.col("grade").is_not_null())
        .then(0.0)
    )
    frame = frame.with_columns(rate.alias("surcharge_rate"))
    frame = frame.with_columns(
        (pl.col("surcharge_rate") * pl.col("electricity_kwh") / 10_000).alias("surcharge")
    ).drop([f"_hit_{b}" for b in range(1, cfg.repeat_years)])
    # 慈溪 2024 返还奖励: surcharged last year, out of the surcharged grades now
    last = history.get(year - 1)
    if not cfg.refund_share or last is None:
        return frame.with_columns(pl.lit(None, pl.Float64).alias("surcharge_refund"))
    frame = frame.join(
        last.select("uscc", pl.col("grade").is_in(cfg.grades).alias("_was_hit")),
        on="uscc",
        how="left",
        maintain_order="left",
    )
    improved = pl.col("_was_hit").fill_null(False) & pl.col("grade").is_not_null() & ~hit
    refund = cfg.refund_share * cfg.rate * pl.col("electricity_kwh") / 10_000
    return frame.with_columns(
        pl.when(improved)
        .then(refund)
        .when(pl.col("grade").is_not_null())
        .then(0.0)
        .alias("surcharge_refund")
    ).drop("_was_hit")


def levers(frame: pl.DataFrame, cfg: list[Lever]) -> pl.DataFrame:
    """Add `lever_<id>` for each of the preset's other measures by grade: the grade's rate × the
    firm's own base amount (or the rate itself), 0 for a graded firm the measure does not reach."""
    out = []
    for lever in cfg:
        rate = pl.col("grade").replace_strict(lever.grades, default=0.0, return_dtype=pl.Float64)
        amount = rate if lever.base is None else rate * pl.col(lever.base)
        reached = _applies(lever.vetoed, lever.tenants)
        out.append(
            pl.when(pl.col("grade").is_null())
            .then(None)
            .when(reached)
            .then(amount)
            .otherwise(0.0)
            .alias(f"lever_{lever.id}")
        )
    return frame.with_columns(out) if out else frame


def land_tax_relief(frame: pl.DataFrame, cfg: LandTaxRelief) -> pl.DataFrame:
    """Add `industry_tax_per_mu`, `land_tax_relief_share` and `land_tax_relief` (万元)."""
    if not cfg.enabled:
        return frame.with_columns(
            pl.lit(None, pl.Float64).alias(c)
            for c in ("industry_tax_per_mu", "land_tax_relief_share", "land_tax_relief")
        )
    ok = pl.col("_scorable")
    average = (pl.col("adjusted_tax").filter(ok).sum() / pl.col("land_mu").filter(ok).sum()).over(
        "industry_division"
    )
    frame = frame.with_columns(average.alias("industry_tax_per_mu"))
    ratio = (pl.col("adjusted_tax") / pl.col("land_mu")) / pl.col("industry_tax_per_mu")
    share = pl.lit(0.0)
    for threshold, relief in cfg.tiers:
        share = pl.when(ratio >= threshold).then(pl.lit(relief)).otherwise(share)
    graded = (
        (pl.col("status") == "evaluated")
        & pl.col("grade").is_not_null()
        & (pl.col("industry_tax_per_mu") > 0)
    )
    frame = frame.with_columns(pl.when(graded).then(share).alias("land_tax_relief_share"))
    amount = (
        pl.col("land_tax_relief_share")
        * pl.col("own_land_mu")
        * M2_PER_MU
        * cfg.tax_yuan_per_m2
        / 10_000
    )
    return frame.with_columns(amount.alias("land_tax_relief"))
