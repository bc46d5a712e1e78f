"""Grades and ranks (step 7 of domain.md).

By rank shares (default A 25 % · B 45 % · C 25 % · D 5 %): within each list, units are ranked by
total score (1 = best, ties share the better rank). A unit gets the first grade whose cumulative
share s exceeds the share of units ahead of it: (r − 1) < s × n for rank r among n. So the top
25 % are A, rounding in the firm's favour (a list of one is A, 5 % of 8 firms is no D), and ties at
a cut go to the better grade. By thresholds: the first grade whose minimum score is reached.
By both: the first grade whose share and threshold (where it has one) are both met, so that a
threshold can make D a floor rather than a quota. Each list may have its own rule.
Scores are compared unrounded.
"""

from __future__ import annotations

import polars as pl

from mujun.engine.methodology import GRADES, GradeRule, Grading

_EPS = 1e-9
"""Slack for the float product share × n (e.g. 0.7 × 10), never applied to scores."""

GRADE_ORDER = {g: i for i, g in enumerate(GRADES)}


def grade_expr(rule: GradeRule, score: str, partition: str, eligible: str) -> pl.Expr:
    """The grade of each eligible unit within its partition (null for the others), by one rule."""
    s = pl.col(score)
    floors = rule.floors()
    within: dict[str, pl.Expr] = {}
    if rule.method in ("shares", "both"):
        ranked = pl.when(pl.col(eligible)).then(s)
        rank = ranked.rank("min", descending=True).over(partition).cast(pl.Int64)
        n = pl.col(eligible).sum().over(partition)
        cumulative = 0.0
        for g in GRADES[:-1]:
            cumulative += rule.shares[g]
            within[g] = (rank - 1) < n * cumulative - _EPS
    grade = None
    for g in GRADES[:-1]:
        cond = within.get(g)
        if g in floors:
            reached = s >= floors[g]
            cond = reached if cond is None else cond & reached
        if cond is None:
            continue
        grade = pl.when(cond).then(pl.lit(g)) if grade is None else grade.when(cond).then(pl.lit(g))
    last = pl.lit(GRADES[-1])
    return pl.when(pl.col(eligible)).then(last if grade is None else grade.otherwise(last))


def list_grade_expr(grading: Grading, score: str, partition: str, eligible: str) -> pl.Expr:
    """Grades within each list (`partition` holds the list name), each list by its own rule."""
    expr = grade_expr(grading, score, partition, eligible)
    for name, rule in sorted(grading.lists.items()):
        expr = (
            pl.when(pl.col(partition) == name)
            .then(grade_expr(rule, score, partition, eligible))
            .otherwise(expr)
        )
    return expr


def worse(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """The lower of two grades (null-safe: a missing grade never lowers)."""
    return pl.when(a.is_null()).then(b).when(b.is_null()).then(a).otherwise(pl.max_horizontal(a, b))


def rank_expr(grade: str, score: str, partition: str) -> pl.Expr:
    """Rank within the partition by grade, then by score (1 = best; ties share a rank)."""
    g = pl.col(grade).replace_strict(GRADE_ORDER, default=None, return_dtype=pl.Int64)
    graded = pl.col(grade).is_not_null()
    key = pl.struct(g.alias("g"), (-pl.col(score)).fill_null(float("inf")).alias("s"))
    return pl.when(graded).then(key).rank("min").over(partition).cast(pl.Int64)
