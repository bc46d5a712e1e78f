"""Indicators, benchmarks and scores (steps 5–6 of domain.md), for any unit: firms or parcels.

score_i = weight_i × value_i ÷ benchmark_i (黄岩's published formula), floored at 0 and capped at
cap × weight. A unit whose denominator is missing or zero gets no value; its score for that item is
the group's average score (黄岩's rule for firms without emissions data) or zero, as the preset says.
"""

from __future__ import annotations

import functools
import operator

import polars as pl

from mujun.engine.errors import EngineError
from mujun.engine.indicators import INDICATORS
from mujun.engine.methodology import IndicatorSpec, IndustryClasses, Scoring

BENCHMARK_SCHEMA = {
    "group": pl.String,
    "indicator": pl.String,
    "method": pl.String,
    "industry_division": pl.String,
    "benchmark": pl.Float64,
    "peers": pl.Int64,
}


def value_expr(indicator_id: str) -> pl.Expr:
    """The indicator's value: numerator ÷ denominator where the denominator is a positive number."""
    ind = INDICATORS[indicator_id]
    den = pl.col(ind.denominator)
    ratio = pl.col(ind.numerator) / den
    # a denominator so small that the ratio overflows is as good as zero
    return pl.when((den > 0) & ratio.is_finite()).then(ratio).otherwise(None)


def _group_benchmarks(
    frame: pl.DataFrame, specs: list[IndicatorSpec], method_of, year: int, group: str
) -> dict[str, tuple[str, float | None, int]]:
    """(method, benchmark, peers) per indicator over the scorable units of one group."""
    aggs = []
    for spec in specs:
        ind = INDICATORS[spec.id]
        ok = pl.col("_scorable") & pl.col(f"ind_{spec.id}").is_not_null()
        aggs += [
            pl.col(ind.numerator).filter(ok).sum().alias(f"{spec.id}__num"),
            pl.col(ind.denominator).filter(ok).sum().alias(f"{spec.id}__den"),
            pl.col(f"ind_{spec.id}").filter(ok).mean().alias(f"{spec.id}__mean"),
            pl.col(f"ind_{spec.id}").filter(ok).median().alias(f"{spec.id}__median"),
            ok.sum().alias(f"{spec.id}__n"),
        ]
    stats = frame.select(aggs).row(0, named=True)
    out = {}
    for spec in specs:
        method = method_of(spec)
        n = int(stats[f"{spec.id}__n"])
        if method == "fixed":
            if year not in spec.fixed:
                known = ", ".join(str(y) for y in sorted(spec.fixed))
                raise EngineError(
                    f"{group}.{spec.id}: the methodology has no fixed benchmark for {year} "
                    f"(it has {known})"
                )
            value = spec.fixed[year]
        elif method == "mean":
            value = stats[f"{spec.id}__mean"]
        elif method == "median":
            value = stats[f"{spec.id}__median"]
        else:  # aggregate, and the group-level fallback of industry_division
            den = stats[f"{spec.id}__den"]
            value = stats[f"{spec.id}__num"] / den if n and den else None
        out[spec.id] = (method, value, n)
    return out


def _division_benchmarks(frame: pl.DataFrame, spec: IndicatorSpec, min_peers: int) -> pl.DataFrame:
    ind = INDICATORS[spec.id]
    ok = pl.col("_scorable") & pl.col(f"ind_{spec.id}").is_not_null()
    return (
        frame.filter(ok)
        .group_by("industry_division", maintain_order=True)
        .agg(
            (pl.col(ind.numerator).sum() / pl.col(ind.denominator).sum()).alias("_div_bm"),
            pl.len().cast(pl.Int64).alias("_div_n"),
        )
        .filter(pl.col("_div_n") >= min_peers)
    )


def benchmark_class(classes: IndustryClasses) -> pl.Expr:
    """Each unit's industry class (分类分业): its division, its `merge` class, "pooled" for the
    small classes benchmarked together, or "group" for those that take the group's benchmark.
    Class sizes count the scorable units of the frame (one group); the others have no class."""
    division = pl.col("industry_division")
    merged = {d: name for name, codes in classes.merge.items() for d in codes}
    base = division.replace_strict(merged, default=division, return_dtype=pl.String)
    size = pl.col("_scorable").sum().over(base)
    small = base.is_null() | (size < classes.min_firms)
    if classes.small == "pooled":
        pooled = (pl.col("_scorable") & small).sum()
        fallback = (
            pl.when(pooled >= classes.min_firms).then(pl.lit("pooled")).otherwise(pl.lit("group"))
        )
    else:
        fallback = pl.lit("group")
    cls = pl.when(small).then(fallback).otherwise(base)
    return pl.when(pl.col("_scorable")).then(cls).alias("benchmark_class")


def _class_benchmarks(frame: pl.DataFrame, spec: IndicatorSpec, method: str) -> pl.DataFrame:
    """(benchmark_class, _cls_bm, _cls_n) for one indicator, by the group's statistic, sorted."""
    ind = INDICATORS[spec.id]
    value = pl.col(f"ind_{spec.id}")
    ok = pl.col("_scorable") & value.is_not_null() & (pl.col("benchmark_class") != "group")
    if method == "mean":
        stat = value.mean()
    elif method == "median":
        stat = value.median()
    else:
        den = pl.col(ind.denominator).sum()
        stat = pl.when(den > 0).then(pl.col(ind.numerator).sum() / den)
    return (
        frame.filter(ok)
        .group_by("benchmark_class")
        .agg(stat.cast(pl.Float64).alias("_cls_bm"), pl.len().cast(pl.Int64).alias("_cls_n"))
        .sort("benchmark_class")
    )


def _given_group(
    given: pl.DataFrame, specs: list[IndicatorSpec], group: str
) -> dict[str, tuple[str, float | None, int]]:
    """(method, benchmark, peers) per indicator of one group, read from a benchmark table."""
    rows = given.filter((pl.col("group") == group) & pl.col("industry_division").is_null())
    out = {}
    for spec in specs:
        row = rows.filter(pl.col("indicator") == spec.id)
        if row.height != 1:
            raise EngineError(f"{group}.{spec.id}: no benchmark in the given table")
        r = row.row(0, named=True)
        out[spec.id] = (r["method"], r["benchmark"], r["peers"])
    return out


def _given_keys(
    given: pl.DataFrame, group: str, spec: IndicatorSpec, key: str, prefix: str
) -> pl.DataFrame:
    """The per-class (or per-division) benchmarks of one indicator, read from a benchmark table."""
    return (
        given.filter(
            (pl.col("group") == group)
            & (pl.col("indicator") == spec.id)
            & pl.col("industry_division").is_not_null()
        )
        .select(
            pl.col("industry_division").alias(key),
            pl.col("benchmark").alias(f"{prefix}_bm"),
            pl.col("peers").alias(f"{prefix}_n"),
        )
        .sort(key)
    )


def score_group(
    frame: pl.DataFrame,
    specs: list[IndicatorSpec],
    method_of,
    scoring: Scoring,
    year: int,
    group: str,
    min_peers: int = 5,
    classes: IndustryClasses | None = None,
    given: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add `ind_<id>`, `bm_<id>` and `score_<id>` columns for one group's units, and `score_sum`.

    `frame` carries the numerator and denominator columns, `industry_division` (2-digit GB/T 4754)
    and `_scorable` (the unit takes part in benchmarks and is scored). With `classes` each unit is
    benchmarked within its industry class (`benchmark_class`). Returns the frame and a benchmark
    table (one row per indicator, plus one per industry division or class where used; a class's
    name is in the `industry_division` column). `given`, a benchmark table of an earlier
    evaluation (the published one), is used instead of computing the benchmarks from `frame`.
    """
    frame = frame.with_columns(
        [pl.when(pl.col("_scorable")).then(value_expr(s.id)).alias(f"ind_{s.id}") for s in specs]
    )
    if classes is not None:
        frame = frame.with_columns(benchmark_class(classes))
    group_bm = (
        _group_benchmarks(frame, specs, method_of, year, group)
        if given is None
        else _given_group(given, specs, group)
    )
    rows = []
    score_cols = []
    for spec in specs:
        method, bm, n = group_bm[spec.id]
        rows.append((group, spec.id, method, None, bm, n))
        bm_expr = pl.lit(bm, pl.Float64)
        if classes is not None:
            by_class = (
                _class_benchmarks(frame, spec, method)
                if given is None
                else _given_keys(given, group, spec, "benchmark_class", "_cls")
            )
            rows += [
                (group, spec.id, method, c, b, k)
                for c, b, k in by_class.select("benchmark_class", "_cls_bm", "_cls_n").iter_rows()
            ]
            frame = frame.join(by_class, on="benchmark_class", how="left", maintain_order="left")
            frame = frame.with_columns(
                pl.coalesce(pl.col("_cls_bm"), bm_expr).alias(f"bm_{spec.id}")
            ).drop("_cls_bm", "_cls_n")
        elif method == "industry_division":
            divisions = (
                _division_benchmarks(frame, spec, min_peers)
                if given is None
                else _given_keys(given, group, spec, "industry_division", "_div")
            )
            rows += [
                (group, spec.id, method, d, b, k)
                for d, b, k in divisions.select(
                    "industry_division", "_div_bm", "_div_n"
                ).iter_rows()
            ]
            frame = frame.join(divisions, on="industry_division", how="left", maintain_order="left")
            bm_expr = pl.coalesce(pl.col("_div_bm"), bm_expr)
            frame = frame.with_columns(bm_expr.alias(f"bm_{spec.id}")).drop("_div_bm", "_div_n")
        else:
            frame = frame.with_columns(bm_expr.alias(f"bm_{spec.id}"))
        raw = pl.lit(spec.weight) * pl.col(f"ind_{spec.id}") / pl.col(f"bm_{spec.id}")
        bm_ok = (pl.col(f"bm_{spec.id}") > 0) & pl.col(f"bm_{spec.id}").is_finite()
        raw = pl.when(bm_ok).then(raw).otherwise(0.0)
        upper = spec.weight * scoring.cap if scoring.cap is not None else None
        frame = frame.with_columns(raw.clip(0.0, upper).alias(f"score_{spec.id}"))
        score_cols.append(f"score_{spec.id}")
    # missing or zero denominators: the group's average score for that item, or zero (a unit
    # under `no_data` is not scorable: the caller has taken it out)
    fills = []
    for spec in specs:
        col = pl.col(f"score_{spec.id}")
        if scoring.missing_rule(spec.id) == "group_average":
            average = col.filter(pl.col("_scorable") & col.is_not_null()).mean().fill_null(0.0)
        else:
            average = pl.lit(0.0)
        fills.append(
            pl.when(pl.col("_scorable") & col.is_null())
            .then(average)
            .otherwise(col)
            .alias(col.meta.output_name())
        )
    frame = frame.with_columns(fills)
    frame = frame.with_columns(
        # added left to right: a horizontal sum's order may depend on the number of threads
        pl.when(pl.col("_scorable"))
        .then(functools.reduce(operator.add, [pl.col(c) for c in score_cols]))
        .alias("score_sum")
    )
    benchmarks = pl.DataFrame(rows, schema=BENCHMARK_SCHEMA, orient="row")
    return frame, benchmarks


def cap_shares(enterprises: pl.DataFrame, specs: dict[str, list[IndicatorSpec]], cap: float | None):
    """Per list and indicator: the evaluated firms scored, how many sit at the cap, and their
    share (empty without a cap). `specs` maps each group to its indicators."""
    schema = {
        "list": pl.String,
        "indicator": pl.String,
        "cap_points": pl.Float64,
        "firms": pl.Int64,
        "at_cap": pl.Int64,
        "share": pl.Float64,
    }
    if cap is None:
        return pl.DataFrame(schema=schema)
    parts = []
    evaluated = enterprises.filter(pl.col("status") == "evaluated")
    for group, group_specs in specs.items():
        part = evaluated.filter(pl.col("group") == group)
        for spec in group_specs:
            score, points = pl.col(f"score_{spec.id}"), spec.weight * cap
            parts.append(
                part.group_by("list")
                .agg(
                    score.is_not_null().sum().cast(pl.Int64).alias("firms"),
                    (score >= points * (1 - 1e-12)).sum().cast(pl.Int64).alias("at_cap"),
                )
                .with_columns(
                    pl.lit(spec.id).alias("indicator"),
                    pl.lit(points, pl.Float64).alias("cap_points"),
                    (pl.col("at_cap") / pl.col("firms")).alias("share"),
                )
                .select(list(schema))
            )
    if not parts:
        return pl.DataFrame(schema=schema)
    order = {"above": 0, "below": 1, "below_small": 2, "tenant": 3}
    return (
        pl.concat(parts)
        .cast(schema)
        .sort(
            pl.col("list").replace_strict(order, default=9, return_dtype=pl.Int64),
            maintain_order=True,
        )
    )
