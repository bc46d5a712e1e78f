"""Commitment check (达产复核): a project's promises against what its enterprise actually reports.

domain.md, "Around the evaluation": once a project produces, its promises are checked against its
actual annual data — met, behind (by how much), or overdue. The sources give no window, tolerance or
penalty (methodology-sources.md §8, NOT FOUND), so each is a preset setting (`Methodology.commitments`):
- A project is checked from year(production_due) + `grace_years` on (default 1: the first full
  calendar year after the due date); before that it is `not_due` (`no_due_date` without a date).
- `overdue`: checked, but its enterprise (applicant_uscc) has no annual row in the year (or no
  applicant at all): no production data.
- Otherwise each promise left filled is compared with the enterprise's actual figure of the year,
  computed from the engine's `Evaluation` exactly as the indicators are: adjusted tax and value added
  per mu of the land the allocation gives the enterprise (its parcels, shares of rented floor space),
  value added per tce and per tonne of emissions, R&D ÷ revenue. A promise is met when
  actual ≥ promised × (1 − tolerance) (inclusive, unrounded). An actual that cannot be computed (no
  emissions data, no land) is `unknown` and is not counted as behind. `met` if no indicator is
  behind, else `behind` with the indicators and their shortfalls.
- `years_behind` / `years_overdue`: consecutive years, ending with this one, in that status (over the
  years present in `evaluations`).
- Clawback (the county's choice): `tax_shortfall_rate` × (promised − actual 亩均税收) × the project's
  亩, once behind `after_years_behind` years in a row; `overdue_per_mu` × the project's 亩 a year
  while overdue.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.errors import EngineError
from mujun.engine.evaluate import Evaluation
from mujun.engine.methodology import Commitments
from mujun.engine.scoring import value_expr
from mujun.engine.streaks import consecutive_years, years_in_a_row

STATUSES = ("met", "behind", "overdue", "not_due", "no_due_date")
CHECKED = {
    "tax_per_mu": "promised_tax_per_mu",
    "va_per_mu": "promised_va_per_mu",
    "va_per_energy": "promised_va_per_energy",
    "va_per_emission": "promised_va_per_emission",
    "rd_intensity": "promised_rd_intensity",
}
"""Each checked indicator (mujun.engine.indicators) and the project's promise for it."""
HEAD = (
    "project_id",
    "name",
    "applicant_uscc",
    "parcel_id",
    "production_due",
    "first_checked_year",
    "year",
    "status",
    "behind",
    "years_behind",
    "years_overdue",
    "land_mu",
    "clawback",
    "reason",
)


def output_columns() -> list[str]:
    per = [f"{p}{i}" for i in CHECKED for p in ("promised_", "actual_", "gap_", "check_")]
    return [*HEAD, *per]


def _actuals(ev: Evaluation) -> pl.DataFrame:
    """The enterprise's actual figures of the year, as the indicators define them."""
    return ev.detail.select(
        pl.col("uscc").alias("applicant_uscc"),
        pl.lit(True).alias("_reported"),
        *[value_expr(i).alias(f"actual_{i}") for i in CHECKED],
    )


def _one_year(projects: pl.DataFrame, ev: Evaluation, settings: Commitments) -> pl.DataFrame:
    year = ev.year
    keep = 1.0 - settings.tolerance
    frame = projects.join(
        _actuals(ev), on="applicant_uscc", how="left", maintain_order="left"
    ).with_columns(pl.col("_reported").fill_null(False) & pl.col("applicant_uscc").is_not_null())
    checks = []
    for i, promise in CHECKED.items():
        promised, actual = pl.col(promise), pl.col(f"actual_{i}")
        frame = frame.with_columns(
            promised.alias(f"promised_{i}"),
            (actual - promised).alias(f"gap_{i}"),
            pl.when(promised.is_null())
            .then(pl.lit("no_promise"))
            .when(actual.is_null())
            .then(pl.lit("unknown"))
            .when(actual >= promised * keep)
            .then(pl.lit("met"))
            .otherwise(pl.lit("behind"))
            .alias(f"check_{i}"),
        )
        checks.append(i)
    behind = [pl.when(pl.col(f"check_{i}") == "behind").then(pl.lit(i)) for i in checks]
    words = [
        pl.when(pl.col(f"check_{i}") == "behind").then(
            pl.format(
                "{} {} < promised {} ({}%)",
                pl.lit(i),
                pl.col(f"actual_{i}").round_sig_figs(4).cast(pl.String),
                pl.col(f"promised_{i}").cast(pl.String),
                (pl.col(f"gap_{i}") / pl.col(f"promised_{i}") * 100).round(1).cast(pl.String),
            )
        )
        for i in checks
    ]
    due_year = pl.col("production_due").dt.year()
    first = due_year + settings.grace_years
    frame = frame.with_columns(
        first.cast(pl.Int64).alias("first_checked_year"),
        pl.concat_str(behind, separator=";", ignore_nulls=True).alias("behind"),
        pl.concat_str(words, separator="; ", ignore_nulls=True).alias("_words"),
    )
    status = (
        pl.when(pl.col("production_due").is_null())
        .then(pl.lit("no_due_date"))
        .when(pl.col("first_checked_year") > year)
        .then(pl.lit("not_due"))
        .when(~pl.col("_reported"))
        .then(pl.lit("overdue"))
        .when(pl.col("behind") != "")
        .then(pl.lit("behind"))
        .otherwise(pl.lit("met"))
    )
    return frame.with_columns(status.alias("status"), pl.lit(year, pl.Int64).alias("year"))


def check_commitments(
    projects: pl.DataFrame,
    evaluations: Mapping[int, Evaluation],
    year: int,
    settings: Commitments,
) -> pl.DataFrame:
    """One row per project (none dropped, in project_id order) with its status in `year`.

    `evaluations` holds `year` and, for the years-in-a-row counts, the earlier years to look at.
    """
    if year not in evaluations:
        raise EngineError(f"no evaluation of {year} to check commitments against")
    projects = projects.with_columns(
        pl.col("applicant_uscc").cast(pl.String),
        (pl.col("land_area_m2") / M2_PER_MU).alias("land_mu"),
    )
    run = consecutive_years(evaluations, year)
    per_year = {y: _one_year(projects, evaluations[y], settings) for y in run}
    statuses = pl.concat([f.select("project_id", "year", "status") for f in per_year.values()])
    now = per_year[year].drop("year")
    now = (
        now.join(
            years_in_a_row(statuses, "project_id", pl.col("status") == "behind", "years_behind"),
            on="project_id",
            how="left",
        )
        .join(
            years_in_a_row(statuses, "project_id", pl.col("status") == "overdue", "years_overdue"),
            on="project_id",
            how="left",
        )
        .with_columns(pl.lit(year, pl.Int64).alias("year"))
    )
    claw = settings.clawback
    tax_short = pl.max_horizontal(
        pl.col("promised_tax_per_mu") - pl.col("actual_tax_per_mu"), pl.lit(0.0)
    ).fill_null(0.0)
    clawback = (
        pl.when(
            (pl.col("status") == "behind") & (pl.col("years_behind") >= claw.after_years_behind)
        )
        .then(tax_short * pl.col("land_mu") * claw.tax_shortfall_rate)
        .when(pl.col("status") == "overdue")
        .then(pl.col("land_mu") * claw.overdue_per_mu)
        .otherwise(0.0)
    )
    reason = (
        pl.when(pl.col("status") == "no_due_date")
        .then(pl.lit("no production_due date: nothing to check"))
        .when(pl.col("status") == "not_due")
        .then(pl.format("checked from {} on", pl.col("first_checked_year")))
        .when(pl.col("status") == "overdue")
        .then(
            pl.when(pl.col("applicant_uscc").is_null())
            .then(pl.lit("no applicant enterprise registered (无申报企业)"))
            .otherwise(pl.format("no annual data for {} in {}", pl.col("applicant_uscc"), year))
        )
        .when(pl.col("status") == "behind")
        .then(pl.col("_words"))
    )
    return (
        now.with_columns(clawback.cast(pl.Float64).alias("clawback"), reason.alias("reason"))
        .select(output_columns())
        .sort("project_id")
    )
