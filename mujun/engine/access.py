"""Industry access (产业准入): screening new projects against the preset's 标准地 conditions.

domain.md, "Around the evaluation": a new project is screened against the 标准地 thresholds
(investment intensity, plot ratio, 亩均税收 at full production, energy and emission efficiency,
R&D share) and the industry list (鼓励 encouraged / 控制 controlled / 禁止 prohibited, keyed by a
GB/T 4754 code prefix); the verdict names every condition it failed.

How the verdict is made — all of it preset data (`Methodology.access`), none of it code:
- The industry list entry is the most specific prefix matching the project's `industry_code`
  (class 4 digits > group 3 > division 2): a 禁止 class inside an encouraged division is
  prohibited. The entry's category gives a verdict by `category_verdict` (default: encouraged →
  admitted, controlled → conditional, prohibited → refused); an industry on no list gets `unlisted`.
- Each condition is a minimum, inclusive (a promise exactly at the threshold meets it; unrounded
  floats are compared). Its threshold is the most specific `by_industry` entry that sets it, else
  the preset's default. A failed condition gives its `fails_as` verdict (zhenhai: the land-contract
  core — investment, plot ratio, 亩均税收 — is `refused`; efficiency and R&D are `conditional`).
  A promise left empty (or a project without land) fails as if it were zero: it cannot be checked.
- The verdict is the worst of the industry's and the failed conditions' (admitted < conditional <
  refused). Every project screened appears in the output.

The rank compares the promises with what the district's enterprises of the same industry actually
achieve in an `Evaluation` (evaluated firms only): the share whose 亩均税收 / 亩均增加值 is at most
the promise, among the project's class if it has `rank_min_peers` firms, else its group, division,
or the whole district.
"""

from __future__ import annotations

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.errors import EngineError
from mujun.engine.evaluate import Evaluation
from mujun.engine.methodology import ACCESS_CONDITIONS, VERDICTS, Access
from mujun.engine.scoring import value_expr

PROMISES = {
    "tax_per_mu": "promised_tax_per_mu",
    "va_per_mu": "promised_va_per_mu",
    "va_per_energy": "promised_va_per_energy",
    "va_per_emission": "promised_va_per_emission",
    "rd_intensity": "promised_rd_intensity",
}
CONDITION_STATUSES = ("met", "failed", "missing", "not_required")
HEAD = (
    "project_id",
    "name",
    "applicant_uscc",
    "industry_code",
    "verdict",
    "failed",
    "reason",
    "industry_rule",
    "industry_category",
    "cond_industry",
)
RANK = ("rank_level", "rank_peers", "tax_per_mu_percentile", "va_per_mu_percentile")
LEVELS = ((4, "class"), (3, "group"), (2, "division"))


def conditions(access: Access) -> list[str]:
    """The conditions the preset sets anywhere (default or for some industry), in fixed order."""
    used = set(access.thresholds)
    for std in access.by_industry:
        used |= set(std.thresholds)
    return [c for c in ACCESS_CONDITIONS if c in used]


def output_columns(access: Access) -> list[str]:
    per = [
        f"{suffix[0]}{c}{suffix[1]}"
        for c in conditions(access)
        for suffix in (("cond_", ""), ("", ""), ("", "_min"), ("", "_margin"), ("", "_source"))
    ]
    return [*HEAD, *per, *RANK]


def _most_specific(code: pl.Expr, table: dict[str, object], default: object, dtype) -> pl.Expr:
    """The value of the longest prefix of `code` found in `table`, else `default`."""
    exprs = []
    for length, _ in LEVELS:
        part = {k: v for k, v in table.items() if len(k) == length}
        if part:
            exprs.append(
                code.str.slice(0, length).replace_strict(part, default=None, return_dtype=dtype)
            )
    return pl.coalesce([*exprs, pl.lit(default, dtype)])


def _values() -> dict[str, pl.Expr]:
    land_mu = pl.col("land_area_m2") / M2_PER_MU
    land_ok = pl.col("land_area_m2") > 0
    return {
        "investment_per_mu": pl.when(land_ok).then(pl.col("investment") / land_mu),
        "plot_ratio": pl.when(land_ok).then(pl.col("floor_area_m2") / pl.col("land_area_m2")),
        **{c: pl.col(p) for c, p in PROMISES.items()},
    }


def _verdict_rank(expr: pl.Expr) -> pl.Expr:
    return expr.replace_strict({v: i for i, v in enumerate(VERDICTS)}, return_dtype=pl.Int64)


def screen(
    projects: pl.DataFrame, access: Access, evaluation: Evaluation | None = None
) -> pl.DataFrame:
    """One row per project (none dropped, in project_id order): the verdict, the failed conditions
    in words, each condition's status, value, threshold, margin (value − threshold) and source, and
    the project's percentile among its industry's enterprises in `evaluation` (null without one)."""
    code = pl.col("industry_code").cast(pl.String).fill_null("")
    rules = {r.code: r for r in access.industries}
    category = _most_specific(code, {k: r.category for k, r in rules.items()}, None, pl.String)
    rule = _most_specific(code, {k: k for k in rules}, None, pl.String)
    frame = projects.with_columns(
        category.alias("industry_category"),
        rule.alias("industry_rule"),
        _most_specific(code, {k: r.source for k, r in rules.items()}, None, pl.String).alias(
            "industry_source"
        ),
    ).with_columns(
        pl.col("industry_category")
        .replace_strict(access.category_verdict, default=access.unlisted, return_dtype=pl.String)
        .alias("_v_industry")
    )
    frame = frame.with_columns(
        pl.when(pl.col("_v_industry") == "admitted")
        .then(pl.lit("met"))
        .otherwise(pl.lit("failed"))
        .alias("cond_industry")
    )
    values = _values()
    notes = [
        pl.when(pl.col("cond_industry") == "failed").then(
            pl.format(
                "industry {}: {} list ({}) → {}",
                pl.col("industry_code"),
                pl.col("industry_category").fill_null("no"),
                pl.col("industry_source").fill_null(""),
                pl.col("_v_industry"),
            )
        )
    ]
    failed_names = [pl.when(pl.col("cond_industry") == "failed").then(pl.lit("industry"))]
    verdicts = [_verdict_rank(pl.col("_v_industry"))]
    for c in conditions(access):
        default = access.thresholds.get(c)
        specific = {s.code: s.thresholds[c] for s in access.by_industry if c in s.thresholds}
        threshold = _most_specific(
            code, {k: t.min for k, t in specific.items()}, default and default.min, pl.Float64
        )
        fails_as = _most_specific(
            code,
            {k: t.fails_as for k, t in specific.items()},
            default and default.fails_as,
            pl.String,
        )
        source = _most_specific(
            code, {k: t.source for k, t in specific.items()}, default and default.source, pl.String
        )
        frame = frame.with_columns(
            values[c].cast(pl.Float64).alias(c),
            threshold.alias(f"{c}_min"),
            fails_as.alias(f"_fails_{c}"),
            source.alias(f"{c}_source"),
        ).with_columns(
            (pl.col(c) - pl.col(f"{c}_min")).alias(f"{c}_margin"),
            pl.when(pl.col(f"{c}_min").is_null())
            .then(pl.lit("not_required"))
            .when(pl.col(c).is_null() | pl.col(c).is_nan())
            .then(pl.lit("missing"))
            .when(pl.col(c) >= pl.col(f"{c}_min"))
            .then(pl.lit("met"))
            .otherwise(pl.lit("failed"))
            .alias(f"cond_{c}"),
        )
        bad = pl.col(f"cond_{c}").is_in(["failed", "missing"])
        failed_names.append(pl.when(bad).then(pl.lit(c)))
        verdicts.append(pl.when(bad).then(_verdict_rank(pl.col(f"_fails_{c}"))))
        notes.append(
            pl.when(bad).then(
                pl.format(
                    "{} {} < {} ({}) → {}",
                    pl.lit(c),
                    pl.when(pl.col(f"cond_{c}") == "missing")
                    .then(pl.lit("missing"))
                    .otherwise(pl.col(c).round_sig_figs(6).cast(pl.String)),
                    pl.col(f"{c}_min").cast(pl.String),
                    pl.col(f"{c}_source"),
                    pl.col(f"_fails_{c}"),
                )
            )
        )
    frame = frame.with_columns(
        pl.max_horizontal(verdicts)
        .replace_strict(dict(enumerate(VERDICTS)), return_dtype=pl.String)
        .alias("verdict"),
        pl.concat_str(failed_names, separator=";", ignore_nulls=True).alias("failed"),
        pl.concat_str(notes, separator="; ", ignore_nulls=True).alias("reason"),
    )
    frame = _rank(frame, access, evaluation)
    return frame.select(output_columns(access)).sort("project_id")


def _rank(frame: pl.DataFrame, access: Access, evaluation: Evaluation | None) -> pl.DataFrame:
    """Percentiles of the promised tax and value added per mu among the industry's actual firms."""
    if evaluation is None:
        return frame.with_columns(
            pl.lit(None, pl.String).alias("rank_level"),
            pl.lit(None, pl.Int64).alias("rank_peers"),
            pl.lit(None, pl.Float64).alias("tax_per_mu_percentile"),
            pl.lit(None, pl.Float64).alias("va_per_mu_percentile"),
        )
    firms = evaluation.detail.filter(pl.col("status") == "evaluated").select(
        pl.col("industry_code").cast(pl.String).alias("_code"),
        value_expr("tax_per_mu").alias("_tax"),
        value_expr("va_per_mu").alias("_va"),
    )
    code = pl.col("industry_code").cast(pl.String).fill_null("")
    level_name, level_key = pl.lit("district"), pl.lit("")
    counts = {}
    for length, _ in LEVELS:
        counts[length] = dict(
            firms.group_by(pl.col("_code").str.slice(0, length).alias("k")).len().iter_rows()
        )
    for length, name in reversed(LEVELS):  # division first, so the most specific ends up on top
        enough = code.str.slice(0, length).replace_strict(
            counts[length], default=0, return_dtype=pl.Int64
        ) >= pl.lit(access.rank_min_peers)
        level_name = pl.when(enough).then(pl.lit(name)).otherwise(level_name)
        level_key = pl.when(enough).then(code.str.slice(0, length)).otherwise(level_key)
    frame = frame.with_columns(level_name.alias("rank_level"), level_key.alias("_rank_key"))
    peers = pl.concat(
        [
            firms.with_columns(pl.col("_code").str.slice(0, length).alias("_rank_key"))
            for length, _ in LEVELS
        ]
        + [firms.with_columns(pl.lit("").alias("_rank_key"))]
    )
    pairs = (
        # the promises themselves: the preset need not make them conditions (镇海's sets have no
        # 亩均增加值 condition, and the percentile is still worth seeing)
        frame.select(
            "project_id",
            "_rank_key",
            pl.col(PROMISES["tax_per_mu"]).alias("tax_per_mu"),
            pl.col(PROMISES["va_per_mu"]).alias("va_per_mu"),
        )
        .join(peers, on="_rank_key", how="inner")
        .group_by("project_id")
        .agg(
            pl.len().cast(pl.Int64).alias("rank_peers"),
            (pl.col("_tax") <= pl.col("tax_per_mu")).mean().alias("tax_per_mu_percentile"),
            (pl.col("_va") <= pl.col("va_per_mu")).mean().alias("va_per_mu_percentile"),
        )
    )
    return frame.join(pairs, on="project_id", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("rank_peers").is_null())
        .then(None)
        .otherwise(pl.col("rank_level"))
        .alias("rank_level"),
        pl.col("rank_peers").fill_null(0),
    )


def project_frame(data: dict, table_schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """One project described by a mapping (e.g. a small TOML file) as a one-row projects frame.

    Keys are the projects table's columns; `project_id` defaults to "project" and `name` to the
    id. Unknown keys and a missing industry_code are refused with the key named."""
    unknown = sorted(set(data) - set(table_schema))
    if unknown:
        raise EngineError(
            f"project: unknown key {unknown[0]!r}; expected some of {', '.join(table_schema)}"
        )
    if not str(data.get("industry_code") or "").strip():
        raise EngineError("project: industry_code is required (GB/T 4754, e.g. 3982)")
    row = {"project_id": "project", **data}
    row.setdefault("name", row["project_id"])
    row["industry_code"] = str(row["industry_code"])
    try:
        return pl.DataFrame(
            [{c: row.get(c) for c in table_schema}], schema=table_schema, orient="row"
        )
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise EngineError(f"project: a value has the wrong type: {exc}") from None
