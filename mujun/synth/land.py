"""Land for the synthetic district: parcel shapes inside Zhenhai, and tenants in rented floor space.

Renting works with slots: a landlord parcel lends part of its floor area in 2–6 fixed slots, each
slot holding one tenant at a time (a Markov chain over the years decides when tenants come and go).
Slot areas never add up to more than the parcel's floor area left after the owner's own use, so the
floor area occupied in a year can never exceed the parcel's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from mujun.synth import profiles as P

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0

SLOT_MIN_RENTABLE = 1600.0
"""m² of rentable floor area a parcel needs before its owner lets it."""
SLOT_MAX = 5000.0
"""A tenant rents at most this floor area (m²) in one slot."""


def _ladder(values: np.ndarray) -> np.ndarray:
    """The start offset of each group in a flat array of `values` group sizes."""
    return np.concatenate([[0], np.cumsum(values)[:-1]]).astype(np.int64)


def geometry(rng: np.random.Generator, division: np.ndarray, area_m2: np.ndarray) -> pl.Series:
    """GeoJSON Polygons (WGS84 lon/lat), one per parcel.

    Each is a slightly rotated rectangle of the parcel's area, placed in its division's box around
    one of three industrial clusters.
    """
    n = len(division)
    boxes = np.array(P.DIVISION_BOXES)[division]
    lon0, lon1, lat0, lat1 = boxes.T
    lat_mid = (lat0 + lat1) / 2
    m_per_deg_lon = M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat_mid))
    aspect = rng.uniform(1.0, 2.2, n)
    width = np.sqrt(area_m2 * aspect)
    height = area_m2 / width
    theta = rng.uniform(-0.35, 0.35, n)
    cos, sin = np.cos(theta), np.sin(theta)
    half_x = (width / 2 * np.abs(cos) + height / 2 * np.abs(sin)) / m_per_deg_lon
    half_y = (width / 2 * np.abs(sin) + height / 2 * np.abs(cos)) / M_PER_DEG_LAT
    # three clusters per division at fixed relative positions, 30 % of parcels scattered
    cluster_pos = np.array([[0.3, 0.35], [0.7, 0.6], [0.45, 0.75]])
    cluster = cluster_pos[rng.integers(0, 3, n)]
    scattered = rng.random(n) < 0.3
    fx = np.where(scattered, rng.random(n), cluster[:, 0] + rng.normal(0, 0.12, n))
    fy = np.where(scattered, rng.random(n), cluster[:, 1] + rng.normal(0, 0.12, n))
    cx = lon0 + fx * (lon1 - lon0)
    cy = lat0 + fy * (lat1 - lat0)
    lo_x, hi_x = lon0 + half_x, lon1 - half_x
    lo_y, hi_y = lat0 + half_y, lat1 - half_y
    cx = np.where(lo_x <= hi_x, np.clip(cx, lo_x, hi_x), (lon0 + lon1) / 2)
    cy = np.where(lo_y <= hi_y, np.clip(cy, lo_y, hi_y), (lat0 + lat1) / 2)
    lon_min, lon_max, lat_min, lat_max = P.EXTENT
    columns = {}
    for k, (sx, sy) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
        dx = sx * width / 2
        dy = sy * height / 2
        x = cx + (dx * cos - dy * sin) / m_per_deg_lon
        y = cy + (dx * sin + dy * cos) / M_PER_DEG_LAT
        columns[f"x{k}"] = np.clip(x, lon_min, lon_max).round(6)
        columns[f"y{k}"] = np.clip(y, lat_min, lat_max).round(6)
    frame = pl.DataFrame(columns)
    parts: list[pl.Expr] = [pl.lit('{"type":"Polygon","coordinates":[[')]
    for i, k in enumerate((0, 1, 2, 3, 0)):
        if i:
            parts.append(pl.lit(","))
        parts += [pl.lit("["), pl.col(f"x{k}").cast(pl.String), pl.lit(",")]
        parts += [pl.col(f"y{k}").cast(pl.String), pl.lit("]")]
    parts.append(pl.lit("]]}"))
    return frame.select(pl.concat_str(parts).alias("geometry")).get_column("geometry")


@dataclass
class Slots:
    parcel: np.ndarray
    """Index (into the candidate parcels) of each slot's parcel."""
    area: np.ndarray
    """Floor area (m², whole numbers) of each slot."""
    rented: np.ndarray
    """Per candidate parcel: floor area let out in slots (sum of its slots)."""
    own: np.ndarray
    """Per candidate parcel: floor area the owner keeps for its own use (whole m²)."""


def make_slots(rng: np.random.Generator, floor: np.ndarray) -> Slots:
    """Slots of rentable floor area for candidate landlord parcels with `floor` m² of floor area."""
    m = len(floor)
    rent_share = rng.uniform(0.3, 0.8, m)
    own = np.floor(floor * (1 - rent_share))
    rentable = floor - own
    target = np.exp(rng.normal(np.log(1500), 0.3, m))
    k = np.clip(np.round(rentable / target), 2, 6).astype(np.int64)
    parcel = np.repeat(np.arange(m), k)
    weight = rng.uniform(0.5, 1.5, len(parcel))
    start = _ladder(k)
    total = np.add.reduceat(weight, start) if len(weight) else np.zeros(0)
    fill = rng.uniform(0.85, 1.0, m)
    area = np.floor(np.minimum(rentable[parcel] * fill[parcel] * weight / total[parcel], SLOT_MAX))
    rented = np.bincount(parcel, weights=area, minlength=m)
    return Slots(parcel, area, rented, own)


@dataclass
class Stints:
    """One tenant's stay in one slot: contiguous year indices [start, end]."""

    slot: np.ndarray
    start: np.ndarray
    end: np.ndarray


def make_stints(rng: np.random.Generator, n_slots: int, n_years: int) -> Stints:
    """Who sits in each slot, year by year: a Markov chain of occupied, vacant, new tenant."""
    occupied = np.zeros((n_slots, n_years), dtype=bool)
    new = np.zeros((n_slots, n_years), dtype=bool)
    occupied[:, 0] = rng.random(n_slots) < 0.85
    new[:, 0] = occupied[:, 0]
    for t in range(1, n_years):
        u = rng.random(n_slots)
        prev = occupied[:, t - 1]
        stay = u < 0.88
        change = (u >= 0.88) & (u < 0.94)
        arrive = u < 0.5
        occupied[:, t] = np.where(prev, stay | change, arrive)
        new[:, t] = np.where(prev, change, arrive)
    cells = np.flatnonzero(occupied.ravel())
    starts = new.ravel()[cells]
    first = np.flatnonzero(starts)
    last = np.concatenate([first[1:], [len(cells)]]) - 1
    slot = cells[first] // n_years
    return Stints(slot, cells[first] % n_years, cells[last] % n_years)


def pair_stints(
    rng: np.random.Generator,
    parcel: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    n_tenants: int,
    attach_share: float = 0.2,
    min_concurrent: int = 3,
) -> np.ndarray:
    """Choose which stints belong to which tenant: -1 (dropped, the slot stays vacant) or 0..n-1.

    `n_tenants` stints, drawn at random, each start a tenant. Of the others, some join one of those
    tenants on another parcel, either right after its stay (the tenant moved) or overlapping it
    (the tenant rents on two parcels at once); every tenant's years stay contiguous and a tenant
    never holds two stints on the same parcel. At least `min_concurrent` tenants rent on two
    parcels in the same year when the district allows it.
    """
    s = len(parcel)
    owner = np.full(s, -1, dtype=np.int64)
    base = np.sort(rng.choice(s, n_tenants, replace=False)) if n_tenants else np.zeros(0, np.int64)
    owner[base] = np.arange(n_tenants)
    extra = np.flatnonzero(owner < 0)
    if n_tenants == 0 or len(extra) == 0:
        return owner
    tries = extra[rng.random(len(extra)) < attach_share]
    pick = base[rng.integers(0, n_tenants, len(tries))]
    ok = (
        (parcel[tries] != parcel[pick])
        & (start[tries] <= end[pick] + 1)
        & (end[tries] >= start[pick] - 1)
    )
    tries, pick = tries[ok], pick[ok]
    _, first = np.unique(pick, return_index=True)
    first = np.sort(first)
    tries, pick = tries[first], pick[first]
    owner[tries] = owner[pick]
    used = np.zeros(s, dtype=bool)
    used[pick] = True
    concurrent = int(np.sum((start[tries] <= end[pick]) & (end[tries] >= start[pick])))
    if concurrent < min_concurrent:
        spare = np.flatnonzero(owner < 0)
        spare = spare[rng.permutation(len(spare))][:400]
        for e in spare:
            match = base[
                ~used[base]
                & (parcel[base] != parcel[e])
                & (start[base] <= end[e])
                & (end[base] >= start[e])
            ]
            if len(match) == 0:
                continue
            b = match[rng.integers(0, len(match))]
            owner[e] = owner[b]
            used[b] = True
            concurrent += 1
            if concurrent >= min_concurrent:
                break
    return owner
