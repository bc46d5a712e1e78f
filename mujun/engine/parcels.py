"""The parcel view (step 3, 地企双评): a parcel judged by all who occupy it, vacancies included.

Each enterprise's adjusted tax and value added are attributed to its parcels in proportion to its
land on each (occupied share, plus the vacancies it owns); a parcel's figures are the sums over
everyone attributed to it, divided by the whole parcel area. Parcels are then scored and graded by
the preset's parcel indicators with the same benchmark, cap and grading rules as firms.
"""

from __future__ import annotations

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.grading import grade_expr, rank_expr
from mujun.engine.methodology import Methodology
from mujun.engine.scoring import score_group

ADDITIVE = ("adjusted_tax", "value_added", "revenue", "output")


def parcel_view(
    parcels: pl.DataFrame,
    allocation: pl.DataFrame,
    firms: pl.DataFrame,
    methodology: Methodology,
    year: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per parcel with its per-mu figures, score and grade; and the parcel benchmarks.

    `firms` has one row per enterprise with an annual row this year: uscc, status, industry_code
    and the additive amounts. A parcel is graded when at least one enterprise attributed to it is not exempt.
    """
    attributed = (
        allocation.join(firms, on="uscc", how="inner", maintain_order="left")
        .with_columns((pl.col("land_m2") / pl.col("land_m2").sum().over("uscc")).alias("_w"))
        .with_columns([(pl.col(c) * pl.col("_w")).alias(c) for c in ADDITIVE])
    )
    sums = attributed.group_by("parcel_id", maintain_order=True).agg(
        *[pl.col(c).fill_null(0.0).sum() for c in ADDITIVE],
        (pl.col("status") != "exempt").any().alias("_scorable"),
    )
    # the few parcels with an occupant lacking tax or value added, listed (strings are costly)
    incomplete = (
        attributed.filter(pl.any_horizontal(pl.col(c).is_null() for c in ADDITIVE[:2]))
        .group_by("parcel_id", maintain_order=True)
        .agg(pl.col("uscc").unique(maintain_order=True).str.join(";").alias("incomplete"))
    )
    # allocation is sorted by parcel, role and uscc: occupants come out in uscc order
    occupants = (
        allocation.filter(pl.col("role") == "occupant")
        .group_by("parcel_id", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("occupants"),
            pl.col("uscc").str.join(";").alias("occupant_usccs"),
            pl.col("floor_area_m2").sum().alias("_occupied_floor"),
        )
    )
    owner_industry = firms.select(
        pl.col("uscc").alias("owner_uscc"),
        pl.col("industry_code").str.slice(0, 2).alias("industry_division"),
    )
    frame = (
        parcels.select("parcel_id", "owner_uscc", "division_code", "area_m2", "floor_area_m2")
        .join(occupants, on="parcel_id", how="left", maintain_order="left")
        .join(sums, on="parcel_id", how="left", maintain_order="left")
        .join(incomplete, on="parcel_id", how="left", maintain_order="left")
        .join(owner_industry, on="owner_uscc", how="left", maintain_order="left")
        .with_columns(
            (pl.col("area_m2") / M2_PER_MU).alias("area_mu"),
            (pl.col("area_m2") / M2_PER_MU).alias("land_mu"),
            pl.col("occupants").fill_null(0),
            pl.col("occupant_usccs", "incomplete").fill_null(""),
            pl.col("_scorable").fill_null(False),
            *[pl.col(c).fill_null(0.0) for c in ADDITIVE],
            pl.when(pl.col("floor_area_m2") > 0)
            .then(pl.col("_occupied_floor").fill_null(0.0) / pl.col("floor_area_m2"))
            .otherwise(0.0)
            .alias("occupied_share"),
        )
        .with_columns(
            (1.0 - pl.col("occupied_share")).alias("vacant_share"),
            (pl.col("adjusted_tax") / pl.col("land_mu")).alias("tax_per_mu"),
            (pl.col("value_added") / pl.col("land_mu")).alias("value_added_per_mu"),
        )
    )
    specs = methodology.land.parcel_indicators
    land = methodology.land
    frame, benchmarks = score_group(
        frame,
        specs,
        lambda spec: spec.benchmark or land.parcel_benchmark,
        methodology.scoring,
        year,
        "parcel",
        methodology.groups["above"].min_peers,
    )
    frame = (
        frame.with_columns(pl.col("score_sum").alias("total_score"), pl.lit("parcel").alias("_all"))
        .with_columns(
            grade_expr(methodology.grading, "total_score", "_all", "_scorable").alias("grade")
        )
        .with_columns(rank_expr("grade", "total_score", "_all").alias("rank"))
        .with_columns(
            pl.when(pl.col("_scorable"))
            .then(pl.lit("graded"))
            .otherwise(pl.lit("not_graded"))
            .alias("status"),
            pl.when(pl.col("_scorable"))
            .then(None)
            .when(pl.col("occupant_usccs") == "")
            .then(pl.lit("no enterprise evaluated this year uses it (无评价企业)"))
            .otherwise(pl.lit("every enterprise on it is exempt (均为免评企业)"))
            .alias("reason"),
        )
    )
    columns = [
        "parcel_id",
        "owner_uscc",
        "area_mu",
        "occupied_share",
        "vacant_share",
        "occupants",
        "tax_per_mu",
        "value_added_per_mu",
        "grade",
        "division_code",
        "occupant_usccs",
        "adjusted_tax",
        "value_added",
        *[f"score_{s.id}" for s in specs],
        "total_score",
        "rank",
        "status",
        "reason",
        "incomplete",
    ]
    return frame.select(columns).sort("parcel_id"), benchmarks
