"""Policy simulation: two methodologies on the same data (issue 6) — who changes grade and why,
and what it does to the money (electricity surcharge, land-use-tax relief), per division and industry.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mujun.engine.evaluate import Evaluation

UNGRADED = "—"
ORDER = ["A", "B", "C", "D", UNGRADED]


@dataclass(frozen=True)
class Comparison:
    a: Evaluation
    b: Evaluation
    transitions: pl.DataFrame
    """Rows: grade under A; columns: grade under B (— = not graded); counts of firms."""
    changed: pl.DataFrame
    """Every firm whose published grade differs, with both scores and grades and the list."""
    totals: pl.DataFrame
    """Surcharge and relief totals (万元) and grade counts under each methodology."""
    by_division: pl.DataFrame
    by_industry: pl.DataFrame


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    if a.year != b.year or a.input_hash != b.input_hash:
        raise ValueError("compare two evaluations of the same data and year")
    cols = [
        "uscc",
        "name",
        "list",
        "division_code",
        "industry_code",
        "grade",
        "total_score",
        "status",
        "surcharge",
        "land_tax_relief",
    ]
    joined = (
        a.enterprises.select(cols)
        .join(
            b.enterprises.select("uscc", *cols[5:]),
            on="uscc",
            how="left",
            suffix="_b",
            maintain_order="left",
        )
        .with_columns(
            pl.col("grade").fill_null(UNGRADED).alias("grade_a"),
            pl.col("grade_b").fill_null(UNGRADED),
        )
    )
    counts = joined.group_by("grade_a", "grade_b").len()
    rows = []
    for ga in ORDER:
        row = {"grade_a": ga}
        for gb in ORDER:
            hit = counts.filter((pl.col("grade_a") == ga) & (pl.col("grade_b") == gb))
            row[gb] = int(hit["len"].sum())
        rows.append(row)
    transitions = pl.DataFrame(rows)
    changed = (
        joined.filter(pl.col("grade_a") != pl.col("grade_b"))
        .select(
            "uscc",
            "name",
            "list",
            "division_code",
            "industry_code",
            "grade_a",
            "grade_b",
            pl.col("total_score").alias("score_a"),
            pl.col("total_score_b").alias("score_b"),
            pl.col("status").alias("status_a"),
            "status_b",
        )
        .sort("list", "uscc")
    )
    totals = pl.DataFrame(
        {
            "measure": [
                "surcharge (万元)",
                "land_tax_relief (万元)",
                *[f"grade {g}" for g in ORDER],
            ],
            f"A {a.methodology.name}": [
                joined["surcharge"].sum(),
                joined["land_tax_relief"].sum(),
                *[int((joined["grade_a"] == g).sum()) for g in ORDER],
            ],
            f"B {b.methodology.name}": [
                joined["surcharge_b"].sum(),
                joined["land_tax_relief_b"].sum(),
                *[int((joined["grade_b"] == g).sum()) for g in ORDER],
            ],
        }
    )

    def by(column: str) -> pl.DataFrame:
        return (
            joined.with_columns(
                pl.col(column).alias("key")
                if column != "industry_division"
                else pl.col("industry_code").str.slice(0, 2).alias("key")
            )
            .group_by("key")
            .agg(
                pl.len().alias("firms"),
                (pl.col("grade_a") != pl.col("grade_b")).sum().alias("changed"),
                (pl.col("surcharge_b").fill_null(0) - pl.col("surcharge").fill_null(0))
                .sum()
                .alias("surcharge_change"),
                (pl.col("land_tax_relief_b").fill_null(0) - pl.col("land_tax_relief").fill_null(0))
                .sum()
                .alias("relief_change"),
            )
            .sort("key")
        )

    return Comparison(
        a, b, transitions, changed, totals, by("division_code"), by("industry_division")
    )
