"""Years in a row: how long something has lasted, counted back from the year looked at.

Shared by the commitment check (years behind, years overdue) and the land inventory (years flagged).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


def consecutive_years(available: Iterable[int], year: int) -> list[int]:
    """`year` and the years just before it that are all `available`, newest first (a gap stops)."""
    have = set(available)
    run = [year]
    while run[-1] - 1 in have:
        run.append(run[-1] - 1)
    return run


def years_in_a_row(frame: pl.DataFrame, key: str, flag: pl.Expr, name: str) -> pl.DataFrame:
    """Per `key`: the number of consecutive years, ending with the latest year in `frame`, in which
    `flag` holds. `frame` has one row per key and year, over consecutive years."""
    return (
        frame.sort(key, "year", descending=[False, True])
        .group_by(key, maintain_order=True)
        .agg(flag.fill_null(False).cast(pl.Int64).cum_min().sum().alias(name))
    )
