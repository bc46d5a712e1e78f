"""Land allocation (step 3, 地企双评): who answers for each square metre of a parcel in a year.

A parcel's area is shared among its occupants in proportion to the floor area each occupies in the
year; floor area nobody occupies is vacant and stays with the owner. So the land of a parcel is
always fully allocated: Σ occupants' land + vacancy = parcel area.
"""

from __future__ import annotations

import polars as pl

from mujun.dataset.schema import M2_PER_MU

ALLOCATION_SCHEMA = {
    "parcel_id": pl.String,
    "uscc": pl.String,
    "role": pl.String,
    "floor_area_m2": pl.Float64,
    "land_m2": pl.Float64,
}


def active_occupancy(occupancy: pl.DataFrame, year: int) -> pl.DataFrame:
    """Occupancy rows in force in `year` (year_to inclusive, empty = still occupying)."""
    return occupancy.filter(
        (pl.col("year_from") <= year) & (pl.col("year_to").is_null() | (pl.col("year_to") >= year))
    )


def allocate(parcels: pl.DataFrame, occupancy: pl.DataFrame, year: int) -> pl.DataFrame:
    """One row per (parcel, enterprise, role): `occupant` rows for floor space used, and one
    `vacancy` row per parcel with unoccupied floor space, charged to the parcel's owner."""
    info = parcels.select("parcel_id", "owner_uscc", "area_m2", pl.col("floor_area_m2").alias("pf"))
    used = (
        active_occupancy(occupancy, year)
        .group_by("parcel_id", "uscc", maintain_order=True)
        .agg(pl.col("floor_area_m2").sum())
        .join(info, on="parcel_id", how="inner", maintain_order="left")
    )
    occupants = used.select(
        "parcel_id",
        "uscc",
        pl.lit("occupant").alias("role"),
        "floor_area_m2",
        (pl.col("area_m2") * pl.col("floor_area_m2") / pl.col("pf")).alias("land_m2"),
    )
    occupied = used.group_by("parcel_id", maintain_order=True).agg(
        pl.col("floor_area_m2").sum().alias("occupied")
    )
    vacant_floor = pl.max_horizontal(pl.col("pf") - pl.col("occupied").fill_null(0.0), pl.lit(0.0))
    vacancies = (
        info.join(occupied, on="parcel_id", how="left", maintain_order="left")
        .with_columns(vacant_floor.alias("floor_area_m2"))
        .with_columns(
            pl.when(pl.col("pf") > 0)
            .then(pl.col("area_m2") * pl.col("floor_area_m2") / pl.col("pf"))
            .otherwise(pl.col("area_m2"))
            .alias("land_m2")
        )
        .filter(pl.col("land_m2") > 0)
        .select(
            "parcel_id",
            pl.col("owner_uscc").alias("uscc"),
            pl.lit("vacancy").alias("role"),
            "floor_area_m2",
            "land_m2",
        )
    )
    return (
        pl.concat([occupants, vacancies]).cast(ALLOCATION_SCHEMA).sort("parcel_id", "role", "uscc")
    )


def enterprise_land(parcels: pl.DataFrame, allocation: pl.DataFrame) -> pl.DataFrame:
    """Per enterprise: its land (occupied share + vacancies it owns), own land, and whether it is a
    landlord (owns a parcel that another enterprise occupies this year)."""
    land = allocation.group_by("uscc", maintain_order=True).agg(
        (pl.col("land_m2").sum() / M2_PER_MU).alias("land_mu"),
        (pl.col("land_m2").filter(pl.col("role") == "vacancy").sum() / M2_PER_MU).alias(
            "vacant_mu"
        ),
        pl.col("parcel_id").n_unique().alias("parcel_count"),
    )
    own = parcels.group_by(pl.col("owner_uscc").alias("uscc"), maintain_order=True).agg(
        (pl.col("area_m2").sum() / M2_PER_MU).alias("own_land_mu")
    )
    owners = parcels.select("parcel_id", "owner_uscc")
    landlords = (
        allocation.filter(pl.col("role") == "occupant")
        .join(owners, on="parcel_id", maintain_order="left")
        .filter(pl.col("uscc") != pl.col("owner_uscc"))
        .select(pl.col("owner_uscc").alias("uscc"))
        .unique()
        .with_columns(pl.lit(True).alias("landlord"))
    )
    return (
        land.join(own, on="uscc", how="full", coalesce=True, maintain_order="left")
        .join(landlords, on="uscc", how="left", maintain_order="left")
        .with_columns(
            pl.col("land_mu", "vacant_mu", "own_land_mu").fill_null(0.0),
            pl.col("parcel_count").fill_null(0),
            pl.col("landlord").fill_null(False),
        )
    )


def main_parcel(allocation: pl.DataFrame) -> pl.DataFrame:
    """Each enterprise's main parcel: where it has the most land (ties: the smaller parcel id)."""
    return (
        allocation.group_by("uscc", "parcel_id", maintain_order=True)
        .agg(pl.col("land_m2").sum())
        .group_by("uscc", maintain_order=True)
        .agg(
            pl.col("parcel_id")
            .sort_by(["land_m2", "parcel_id"], descending=[True, False])
            .first()
            .alias("main_parcel")
        )
    )
