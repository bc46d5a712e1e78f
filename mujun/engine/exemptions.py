"""Exemptions decided on application (申请免评), and the firms pulled back in because their promised
production date has passed (遂昌 2022: "超过合同约定竣工时间的纳入评价").

江山's 2023 draft exempts on application (公用工程, registered under 2 years, new land under 3 years
"有协议的以协议为准", policy relocation): the `exemptions` table holds each approved application with
its reason. The automatic rules (registration age, new land, utilities, relocation events) stay in
evaluate.py, each switched by the preset.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from mujun.dataset import Dataset

NEW_GROUNDS = ("new_firm", "new_land")
"""Application grounds that a passed production date lifts (the firm is no longer new)."""


def applications(ds: Dataset, year: int) -> pl.DataFrame:
    """Per firm, its approved application for `year`: `_application` (reason and date) and
    `_application_ground`."""
    rows = ds.exemptions.filter(pl.col("year") == year)
    return rows.select(
        "uscc",
        pl.format(
            "{} (application approved {}) (申请免评)", pl.col("reason"), pl.col("approved_on")
        ).alias("_application"),
        pl.col("ground").alias("_application_ground"),
    )


def past_due(ds: Dataset, year: int) -> pl.DataFrame:
    """Per firm, the latest contractual production date on or before 31 December of `year` among
    its projects (applicant) and own parcels (`_due`): past it, the firm is no longer new."""
    end = dt.date(year, 12, 31)
    dates = pl.concat(
        [
            ds.projects.select(pl.col("applicant_uscc").alias("uscc"), "production_due"),
            ds.parcels.select(pl.col("owner_uscc").alias("uscc"), "production_due"),
        ]
    )
    return (
        dates.filter(pl.col("uscc").is_not_null() & (pl.col("production_due") <= end))
        .group_by("uscc")
        .agg(pl.col("production_due").max().alias("_due"))
        .sort("uscc")
    )
