"""A synthetic Zhenhai-like district: every canonical table, deterministic for a seed.

How it is built (all vectorised with numpy / Polars, nothing loops over annual rows):
1. Firms by archetype: petrochemical giants, utilities, above-scale owners of 8–300 亩, below-scale
   owners of 3–15 亩, tenants, and owners of 1–3 亩 (who fill up to the requested count).
   Each gets a sector (GB/T 4754 class), a division, a first and last active year (entries, exits).
2. Land: parcels for the owners; some owners let floor space in slots (2–6 per parcel) and the
   tenants come and go slot by slot (mujun.synth.land). A few tenants rent on two parcels at once.
3. Size: output at the last year from land (or rented floor) × the sector's output per 亩 × the
   firm's efficiency; the giants are sized last so that petrochemicals make about two thirds of
   above-scale output.
4. Annual rows: growth trends, sector cycles, a persistent firm shock, entrants ramping up and
   leavers declining; scale follows revenue (≥ 2000 万元 is 规上), so firms move between scales.
   Owners of 3 亩 or more paying under 4 万元/亩 are upgraded over 2019–2022, as Zhenhai's campaign
   did ("基本出清" by 2022).
5. Registers: events (vetoes, deductions, relocations), qualifications, projects, talents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from mujun.dataset.schema import M2_PER_MU, PARCEL_STATUSES, TABLE
from mujun.synth import land as L
from mujun.synth import profiles as P
from mujun.synth import registers as R
from mujun.synth.ids import enterprise_names, uscc_codes

MIN_ENTERPRISES = 20
FIRST_YEAR = P.FIRST_YEAR
LAST_DAY = P.LAST_DAY

PRODUCING, IDLE, UNDER_CONSTRUCTION, GRANTED, APPROVED = (
    PARCEL_STATUSES.index(s)
    for s in ("producing", "idle", "under_construction", "granted", "approved")
)

Progress = Callable[[str, float], None]


def synthesize(
    enterprises: int,
    years: Sequence[int],
    seed: int,
    progress: Progress | None = None,
) -> dict[str, pl.DataFrame]:
    """The canonical tables of a synthetic district with `enterprises` firms over `years`.

    Returns a dict with every table of mujun.dataset.schema (enterprises, annual, parcels,
    occupancy, events, qualifications, projects, talents), each with exactly the contract's columns
    and types. `progress(stage, fraction)` is told how far it got. The same arguments give the same
    tables.
    """
    n = int(enterprises)
    if n < MIN_ENTERPRISES:
        raise ValueError(f"a district needs at least {MIN_ENTERPRISES} enterprises, got {n}")
    yrs = np.array(sorted({int(y) for y in years}), dtype=np.int64)
    if yrs.size == 0:
        raise ValueError("no years given")
    say = progress or (lambda stage, done: None)
    say("firms", 0.0)
    district = _District(n, yrs, np.random.default_rng(seed))
    district.build_owners()
    say("land", 0.1)
    district.build_land()
    say("size", 0.25)
    district.size_firms()
    district.register()
    say("annual", 0.35)
    annual = district.annual()
    say("enterprises", 0.6)
    enterprises_frame = district.enterprises()
    say("parcels", 0.7)
    parcels = district.parcels()
    occupancy = district.occupancy()
    say("registers", 0.85)
    tables = {
        "enterprises": enterprises_frame,
        "annual": annual,
        "parcels": parcels,
        "occupancy": occupancy,
        **R.registers(district),
        "exemptions": pl.DataFrame(schema=TABLE["exemptions"].schema),  # no applications made up
        "land_confirmations": pl.DataFrame(schema=TABLE["land_confirmations"].schema),
    }
    out = {name: _conform(name, frame) for name, frame in tables.items()}
    say("done", 1.0)
    return out


def _conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly the contract's columns, in its order, with its types, sorted by the table's key (an
    optional column the district does not make is empty)."""
    table = TABLE[name]
    frame = frame.select(
        [
            pl.col(c).cast(t)
            if c in frame.columns or table.column(c).required
            else pl.lit(None, t).alias(c)
            for c, t in table.schema.items()
        ]
    )
    return frame.sort(list(table.key), nulls_last=True)


def _null_where(values: np.ndarray, mask: np.ndarray) -> pl.Series:
    """`values` as a Polars series with nulls where `mask` is true."""
    series = pl.Series(values)
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(None).otherwise(series)).to_series()


def _choice(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(math.log(median), sigma, n))


class _District:
    """The district under construction: firm arrays (index = firm), parcel arrays, tenancy."""

    def __init__(self, n: int, years: np.ndarray, rng: np.random.Generator):
        self.n = n
        self.years = years
        self.ty = len(years)
        self.rng = rng

    # ---- 1. firms ----------------------------------------------------------------------------
    def build_owners(self) -> None:
        rng, n = self.rng, self.n
        self.n_giant = max(1, round(P.GIANTS_PER_FULL_SIZE * n / P.FULL_SIZE))
        self.n_refinery = max(1, round(n / P.FULL_SIZE))
        self.n_util = max(1, round(P.SHARE_UTILITY * n))
        n_above = round(P.SHARE_ABOVE * n)
        n_below = round(P.SHARE_BELOW * n)
        self.tenant_target = round(P.SHARE_TENANT * n)
        arch = np.repeat(
            [P.GIANT, P.UTILITY, P.ABOVE, P.BELOW], [self.n_giant, self.n_util, n_above, n_below]
        )
        self.core = len(arch)
        refinery = np.arange(self.n_giant) < self.n_refinery
        major_rank = (np.arange(self.n_giant) - self.n_refinery) % len(P.MAJOR_PATTERN)
        sector = np.empty(self.core, dtype=np.int64)
        sector[: self.n_giant] = np.where(refinery, P.REFINING, P.PETROCHEM_MAJOR)
        sector[arch == P.UTILITY] = P.UTIL
        for a in (P.ABOVE, P.BELOW):
            idx = np.flatnonzero(arch == a)
            sector[idx] = _choice(rng, P.SECTOR_MIX[a], len(idx))
        industry = self._classes(sector)
        industry[: self.n_giant] = np.where(refinery, "2511", np.array(P.MAJOR_CLASSES)[major_rank])
        start, end = self._entry_exit(arch)
        self.arch, self.sector, self.industry = arch, sector, industry
        self.division = self._divisions(sector)
        self.start, self.end = start, end
        self.established_year = self._established(arch, start)

    def _classes(self, sector: np.ndarray) -> np.ndarray:
        out = np.empty(len(sector), dtype="<U4")
        for s, spec in enumerate(P.SECTORS):
            idx = np.flatnonzero(sector == s)
            if len(idx):
                codes = [c for c, _ in spec.classes]
                out[idx] = np.array(codes)[
                    _choice(self.rng, [w for _, w in spec.classes], len(idx))
                ]
        return out

    def _divisions(self, sector: np.ndarray) -> np.ndarray:
        out = np.empty(len(sector), dtype=np.int64)
        for s, spec in enumerate(P.SECTORS):
            idx = np.flatnonzero(sector == s)
            if len(idx):
                out[idx] = _choice(self.rng, spec.divisions, len(idx))
        return out

    def _entry_exit(self, arch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and last active year index; giants and utilities are there throughout."""
        rng, ty, m = self.rng, self.ty, len(arch)
        start = np.zeros(m, dtype=np.int64)
        end = np.full(m, ty - 1, dtype=np.int64)
        if ty == 1:
            return start, end
        p_entry = np.select(
            [arch == P.ABOVE, arch == P.BELOW, arch == P.SMALL], [0.10, 0.12, 0.12], 0
        )
        p_exit = np.select(
            [arch == P.ABOVE, arch == P.BELOW, arch == P.SMALL], [0.07, 0.10, 0.12], 0
        )
        entrant = rng.random(m) < p_entry
        start[entrant] = rng.integers(1, ty, int(entrant.sum()))
        leaving = (rng.random(m) < p_exit) & (start <= ty - 2)
        end[leaving] = rng.integers(start[leaving], ty - 1)
        return start, end

    def _established(self, arch: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Registration year: entrants in their first year or the one before, incumbents earlier."""
        rng, m = self.rng, len(arch)
        y0 = int(self.years[0])
        first = self.years[start]
        age = 1 + np.floor(rng.exponential(np.where(arch == P.ABOVE, 12.0, 8.0), m))
        incumbent_year = y0 - np.minimum(age, 35)
        incumbent_year = np.where(arch == P.GIANT, rng.integers(1980, 2006, m), incumbent_year)
        incumbent_year = np.minimum(incumbent_year, y0 - 1)
        entrant_year = first - (rng.random(m) < 0.4)
        year = np.where(start > 0, entrant_year, incumbent_year)
        return np.maximum(year, FIRST_YEAR).astype(np.int64)

    # ---- 2. land -----------------------------------------------------------------------------
    def build_land(self) -> None:
        rng = self.rng
        arch, start, end = self.arch, self.start, self.end
        last = self.ty - 1
        core_idx = np.arange(self.core)
        # main production land (亩) of utilities and owners; giants are sized later
        land_mu = np.full(self.core, np.nan)
        is_u, is_a, is_b = arch == P.UTILITY, arch == P.ABOVE, arch == P.BELOW
        chem = self.sector == P.CHEMICAL
        land_mu[is_u] = np.clip(_lognormal(rng, 120, 0.6, int(is_u.sum())), 30, 500)
        land_mu[is_a] = np.where(
            chem[is_a],
            np.clip(_lognormal(rng, P.ABOVE_LAND_MU[0], 0.7, int(is_a.sum())), 15, 600),
            np.clip(_lognormal(rng, P.ABOVE_LAND_MU[1], 0.65, int(is_a.sum())), 8, 300),
        )
        land_mu[is_b] = np.exp(rng.uniform(math.log(3.1), math.log(15), int(is_b.sum())))
        self.parcel_blocks: list[dict[str, np.ndarray]] = []
        owners = core_idx[~np.isnan(land_mu)]
        # a few above-scale firms have two producing parcels
        split = (arch[owners] == P.ABOVE) & (rng.random(len(owners)) < 0.12)
        share = np.where(split, rng.uniform(0.55, 0.75, len(owners)), 1.0)
        main = self._producing(owners, land_mu[owners] * share * M2_PER_MU)
        second_owner = owners[split]
        second = self._producing(
            second_owner,
            land_mu[second_owner] * (1 - share[split]) * M2_PER_MU,
            later=True,
        )
        # landlords: incumbents staying throughout, letting part of their main parcel
        floor = main["floor"]
        o = main["owner"]
        eligible = (
            ((arch[o] == P.ABOVE) | (arch[o] == P.BELOW))
            & (start[o] == 0)
            & (end[o] == last)
            & (floor * 0.3 >= L.SLOT_MIN_RENTABLE)
        )
        cand = np.flatnonzero(eligible)
        weight = np.where(arch[o[cand]] == P.BELOW, 2.0, 1.0)
        cand = cand[np.argsort(-np.log(rng.random(len(cand))) / weight, kind="stable")]
        slots = L.make_slots(rng, floor[cand])
        ok = slots.rented >= L.SLOT_MIN_RENTABLE
        stints = L.make_stints(rng, len(slots.area), self.ty)
        stint_parcel_rank = slots.parcel[stints.slot]
        per_parcel = np.bincount(stint_parcel_rank, minlength=len(cand)) * ok
        enough = np.cumsum(per_parcel) >= 1.3 * self.tenant_target
        n_landlords = int(np.argmax(enough)) + 1 if enough.any() else len(cand)
        chosen = ok & (np.arange(len(cand)) < n_landlords)
        keep = chosen[stint_parcel_rank]
        # the landlords' own use, and tenancy
        main["own_floor"][cand[chosen]] = slots.own[chosen]
        stint_slot = stints.slot[keep]
        stint_start = stints.start[keep]
        stint_end = stints.end[keep]
        stint_parcel = cand[slots.parcel[stint_slot]]
        n_tenants = min(self.tenant_target, len(stint_slot))
        tenant_of = L.pair_stints(rng, stint_parcel, stint_start, stint_end, n_tenants)
        used = tenant_of >= 0
        # the 1–3 亩 owners fill the district up to n
        n_small = self.n - self.core - n_tenants
        small_first = self.core
        tenant_first = self.core + n_small
        self._add_firms(P.SMALL, n_small)
        small_idx = np.arange(small_first, small_first + n_small)
        small = self._producing(small_idx, rng.uniform(1.0, 2.9, n_small) * M2_PER_MU)
        self._add_tenants(
            n_tenants,
            tenant_first,
            tenant_of[used],
            stint_parcel[used],
            stint_start[used],
            stint_end[used],
            slots.area[stint_slot[used]],
            main,
        )
        # extra land of some above-scale incumbents: idle, just granted, or approved
        extra = self._extra_land()
        self.parcel_blocks = [main, second, small, *extra]

    def _add_firms(self, arch: int, count: int) -> None:
        """Append `count` firms of an owner archetype with sector, division, years, registration."""
        arch_arr = np.full(count, arch, dtype=np.int64)
        sector = _choice(self.rng, P.SECTOR_MIX[arch], count)
        start, end = self._entry_exit(arch_arr)
        self.arch = np.concatenate([self.arch, arch_arr])
        self.sector = np.concatenate([self.sector, sector])
        self.industry = np.concatenate([self.industry, self._classes(sector)])
        self.division = np.concatenate([self.division, self._divisions(sector)])
        self.start = np.concatenate([self.start, start])
        self.end = np.concatenate([self.end, end])
        self.established_year = np.concatenate(
            [self.established_year, self._established(arch_arr, start)]
        )

    def _add_tenants(
        self,
        count: int,
        first: int,
        tenant: np.ndarray,
        parcel: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        area: np.ndarray,
        main: dict[str, np.ndarray],
    ) -> None:
        """Append the tenants: their years are the union of their stints (always contiguous)."""
        rng = self.rng
        y0 = int(self.years[0])
        # year_from of each stint: in the range, or before it for a tenant that was already there
        year_from = np.where(
            start == 0,
            np.maximum(y0 - rng.integers(0, 9, len(start)), FIRST_YEAR),
            self.years[start],
        )
        year_to = np.where(end == self.ty - 1, -1, self.years[end])
        t_start = np.full(count, self.ty, dtype=np.int64)
        np.minimum.at(t_start, tenant, start)
        t_end = np.full(count, -1, dtype=np.int64)
        np.maximum.at(t_end, tenant, end)
        earliest = np.full(count, 10_000, dtype=np.int64)
        np.minimum.at(earliest, tenant, year_from)
        # the first stint of each tenant (by order) gives its division and main size
        order = np.lexsort((start, tenant))
        first_of = order[np.r_[True, tenant[order][1:] != tenant[order][:-1]][: len(order)]]
        floor = np.bincount(tenant, weights=area, minlength=count)
        fresh = rng.random(count) < 0.7
        year = np.where(
            t_start > 0,
            np.where(
                fresh,
                self.years[np.minimum(t_start, self.ty - 1)] - (rng.random(count) < 0.3),
                earliest - rng.integers(1, 12, count),
            ),
            earliest - rng.integers(0, 6, count),
        )
        year = np.maximum(np.minimum(year, earliest), FIRST_YEAR)
        sector = _choice(rng, P.SECTOR_MIX[P.TENANT], count)
        self.arch = np.concatenate([self.arch, np.full(count, P.TENANT)])
        self.sector = np.concatenate([self.sector, sector])
        self.industry = np.concatenate([self.industry, self._classes(sector)])
        self.division = np.concatenate([self.division, main["division"][parcel[first_of]]])
        self.start = np.concatenate([self.start, t_start])
        self.end = np.concatenate([self.end, t_end])
        self.established_year = np.concatenate([self.established_year, year.astype(np.int64)])
        self.tenant_floor = floor
        self.stints = {
            "parcel": parcel,  # index into the main parcel block
            "firm": first + tenant,
            "year_from": year_from,
            "year_to": year_to,
            "floor": area,
        }

    def _producing(
        self, owner: np.ndarray, area_m2: np.ndarray, later: bool = False
    ) -> dict[str, np.ndarray]:
        """Producing parcels (one per owner given), owned and used by their owner."""
        rng, m = self.rng, len(owner)
        last = self.ty - 1
        area = np.round(area_m2, 2)
        ratio = 0.8 + 1.2 * rng.beta(2, 4, m)
        floor = np.floor(area * ratio)
        start, end = self.start[owner], self.end[owner]
        est = self.established_year[owner]
        own_from = np.where(start > 0, self.years[start], est)
        if later:  # incumbents bought it when they grew, still before the range
            grew = np.minimum(est + rng.integers(2, 12, m), self.years[0])
            own_from = np.where(start > 0, own_from, grew)
        own_from = np.maximum(own_from, FIRST_YEAR)
        own_to = np.where(end < last, self.years[end], -1)
        partial = rng.random(m) < 0.2
        own_floor = np.where(partial, np.floor(floor * rng.uniform(0.7, 0.99, m)), floor)
        status = np.full(m, PRODUCING)
        status[end < last] = IDLE
        newest = (start == last) & (start > 0)
        status[newest] = UNDER_CONSTRUCTION
        own_floor[newest] = np.floor(floor[newest] * rng.uniform(0.3, 0.6, int(newest.sum())))
        land_year = np.maximum(own_from - rng.integers(1, 3, m), est)
        return {
            "owner": owner,
            "area": area,
            "floor": floor,
            "division": self.division[owner],
            "status": status,
            "own_from": own_from,
            "own_to": own_to,
            "own_floor": own_floor,
            "land_year": land_year,
            "new_land": start > 0,
        }

    def _extra_land(self) -> list[dict[str, np.ndarray]]:
        """Idle land of old grants, land granted this year, land approved but not yet granted."""
        rng = self.rng
        y1 = int(self.years[-1])
        above = np.flatnonzero(
            (self.arch == P.ABOVE) & (self.start == 0) & (self.end == self.ty - 1)
        )
        draw = rng.random(len(above))
        blocks = []
        for status, lo, hi, years_back in (
            (IDLE, 0.0, 0.025, (3, 7)),
            (GRANTED, 0.025, 0.04, (0, 1)),
            (APPROVED, 0.04, 0.047, (0, 1)),
        ):
            owner = above[(draw >= lo) & (draw < hi)]
            m = len(owner)
            land_year = np.maximum(
                y1 - rng.integers(*years_back, m), self.established_year[owner] + 1
            )
            land_year = np.minimum(land_year, y1)
            blocks.append(
                {
                    "owner": owner,
                    "area": np.round(rng.uniform(10, 60, m) * M2_PER_MU, 2),
                    "floor": np.zeros(m),
                    "division": self.division[owner],
                    "status": np.full(m, status),
                    "own_from": np.full(m, -1),
                    "own_to": np.full(m, -1),
                    "own_floor": np.zeros(m),
                    "land_year": land_year,
                    "new_land": np.full(m, status != IDLE),
                }
            )
        return blocks

    def petrochem(self) -> np.ndarray:
        """Whether each firm is in petrochemicals (GB/T 4754 divisions 25, 26, 28)."""
        return np.isin(self.industry.astype("<U2"), P.PETROCHEM_DIVISIONS)

    # ---- 3. size -----------------------------------------------------------------------------
    def size_firms(self) -> None:
        """Output at the last year (before cycles and shocks) and the giants' land."""
        rng, n = self.rng, self.n
        arch, sector = self.arch, self.sector
        opm = np.array([s.output_per_mu for s in P.SECTORS])[sector]
        # the land a firm works on: its parcels' area in proportion to the floor area it uses
        used_m2 = np.zeros(n)
        for block in self.parcel_blocks:
            has_floor = block["floor"] > 0
            share = np.where(
                has_floor, block["own_floor"] / np.where(has_floor, block["floor"], 1), 0
            )
            np.add.at(used_m2, block["owner"], block["area"] * share)
        sigma = np.select(
            [arch == P.ABOVE, arch == P.UTILITY, arch == P.TENANT, arch == P.GIANT],
            [0.5, 0.3, 0.7, 0.1],
            0.6,
        )
        efficiency = np.exp(rng.normal(0, sigma))
        mult = np.select([arch == P.BELOW, arch == P.SMALL], [0.24, 0.35], 1.0)
        base = used_m2 / M2_PER_MU * opm * mult * efficiency
        tenants = arch == P.TENANT
        base[tenants] = self.tenant_floor * 0.32 * (opm[tenants] / 540.0) * efficiency[tenants]
        base = np.maximum(base, 5.0)
        # giants: petrochemicals take about two thirds of above-scale output
        giant = np.flatnonzero(arch == P.GIANT)
        above_like = (base >= P.SCALE_THRESHOLD) & (arch != P.GIANT) & (self.end == self.ty - 1)
        petro = self.petrochem()
        others = base[above_like].sum()
        petro_others = base[above_like & petro].sum()
        target = rng.uniform(*P.PETROCHEM_SHARE)
        total = max((target * others - petro_others) / (1 - target), 0.5 * others)
        refinery = np.arange(len(giant)) < self.n_refinery
        rank = (np.arange(len(giant)) - self.n_refinery) % len(P.MAJOR_PATTERN)
        weight = np.where(refinery, 1.0, np.array(P.MAJOR_PATTERN)[rank])
        weight = weight * rng.uniform(0.92, 1.08, len(giant))
        anchor = P.REFINERY_OUTPUT * min(1.0, n / P.FULL_SIZE) * rng.uniform(1.0, 1.1, len(giant))
        if refinery.all():
            base[giant] = total * weight / weight.sum()
        else:
            refined = anchor[refinery].sum()
            majors = max(total - refined, P.MAJORS_MIN_SHARE * refined)
            base[giant[refinery]] = refined * weight[refinery] / weight[refinery].sum()
            rest = weight[~refinery]
            base[giant[~refinery]] = majors * rest / rest.sum()
        self.base = base
        # the giants' land: several parcels of at most ~800 亩
        land_mu = base[giant] / (opm[giant] * _lognormal(rng, 1.0, 0.1, len(giant)))
        pieces = np.maximum(1, np.ceil(land_mu / 800)).astype(np.int64)
        owner = np.repeat(giant, pieces)
        w = rng.uniform(0.7, 1.3, len(owner))
        w_sum = np.add.reduceat(w, L._ladder(pieces))
        area = np.repeat(land_mu, pieces) * w / np.repeat(w_sum, pieces) * M2_PER_MU
        block = self._producing(owner, area)
        block["floor"] = np.floor(block["area"] * rng.uniform(0.8, 1.0, len(owner)))
        block["own_floor"] = block["floor"].copy()
        self.parcel_blocks.append(block)

    # ---- 4. annual ---------------------------------------------------------------------------
    def annual(self) -> pl.DataFrame:
        rng, n, ty, years = self.rng, self.n, self.ty, self.years
        arch, sector = self.arch, self.sector
        spec = P.SECTORS
        y1 = int(years[-1])
        count = self.end - self.start + 1
        firm = np.repeat(np.arange(n), count)
        t = self.start[firm] + np.arange(len(firm)) - np.repeat(L._ladder(count), count)
        self.row_firm, self.row_t = firm, t
        rows = len(firm)
        # firm parameters
        small = (arch == P.BELOW) | (arch == P.SMALL) | (arch == P.TENANT)
        va_ratio = np.clip(
            np.array([s.va_ratio for s in spec])[sector]
            * _lognormal(rng, 1, np.where(arch == P.GIANT, 0.05, 0.12), n),
            0.05,
            0.55,
        )
        tax_va = np.array([s.tax_va for s in spec])[sector] * np.where(small, 0.85, 1.0)
        tax_va_f = np.array([s.tax_va for s in spec])[sector] * _lognormal(
            rng, 1, np.where(arch == P.GIANT, 0.08, 0.25), n
        )
        energy = np.array([s.energy for s in spec])[sector] * np.where(small, 0.8, 1.0)
        energy_f = energy * _lognormal(rng, 1, 0.4, n)
        vpe_f = np.array([s.va_per_emission for s in spec])[sector] * _lognormal(rng, 1, 0.5, n)
        ope_f = (
            np.array([s.output_per_employee for s in spec])[sector]
            * np.where(small, 0.6, 1.0)
            * _lognormal(rng, 1, 0.3, n)
        )
        rd_f = np.array([s.rd for s in spec])[sector] * _lognormal(rng, 1, 0.5, n)
        rd_f = np.where(small, np.where(rng.random(n) < 0.35, 0.0, rd_f * 0.6), rd_f)
        p_low_rd = 1.0 / (1.0 + self.base / P.LOW_RD_OUTPUT)
        low_rd = (arch == P.ABOVE) & (rng.random(n) < p_low_rd)
        rd_f = np.where(low_rd, rd_f * rng.uniform(0.02, 0.3, n), rd_f)
        rd_f = np.minimum(rd_f, 0.12)
        tpk = np.array([s.tax_per_10k_kwh for s in spec])[sector] * np.where(small, 0.8, 1.0)
        kwh_f = va_ratio * tax_va / tpk * 1e4 * _lognormal(rng, 1, 0.3, n)
        exporter = rng.random(n) < np.array([s.export for s in spec])[sector] * np.where(
            small, 0.4, 1.0
        )
        export_share = np.where(exporter, rng.uniform(0.1, 0.7, n), 0.0)
        no_emissions = (arch == P.ABOVE) & (rng.random(n) < 0.03)
        trend = np.select(
            [arch == P.ABOVE, arch == P.GIANT, arch == P.UTILITY],
            [rng.normal(0.05, 0.06, n), rng.normal(0.025, 0.02, n), rng.normal(0.02, 0.02, n)],
            rng.normal(0.03, 0.08, n),
        )
        sigma = np.select(
            [arch == P.ABOVE, arch == P.GIANT, arch == P.UTILITY], [0.08, 0.03, 0.04], 0.12
        )
        # persistent firm shocks, AR(1) over the years
        shock = np.empty((n, ty))
        shock[:, 0] = rng.normal(0, 1, n) * sigma / math.sqrt(1 - 0.36)
        for k in range(1, ty):
            shock[:, k] = 0.6 * shock[:, k - 1] + rng.normal(0, 1, n) * sigma
        # sector cycles: petrochemicals, the rest, utilities (2020 dips where it is in range)
        cycle = np.cumsum(rng.normal(0, [[0.06], [0.04], [0.02]], (3, ty)), axis=1)
        cycle += np.where(years == 2020, 1.0, 0.0) * np.array([[-0.10], [-0.06], [0.0]])
        cycle -= cycle[:, -1:]
        group = np.where(self.petrochem(), 0, np.where(sector == P.UTIL, 2, 1))
        # ramp-up of new firms, decline of leavers
        entrant = (self.start > 0) & (self.established_year >= years[self.start] - 1)
        first_year = entrant[firm] & (t == self.start[firm])
        second_year = entrant[firm] & (t == self.start[firm] + 1)
        leaving = (t == self.end[firm]) & (self.end[firm] < ty - 1)
        factor = np.ones(rows)
        factor[first_year] = rng.uniform(0.25, 0.6, int(first_year.sum()))
        factor[second_year] = rng.uniform(0.6, 0.9, int(second_year.sum()))
        factor[leaving] = rng.uniform(0.5, 0.9, int(leaving.sum()))
        year = years[t]
        log_out = (
            trend[firm] * (year - y1) + cycle[group[firm], t] + shock[firm, t] + np.log(factor)
        )
        output = np.maximum(self.base[firm] * np.exp(log_out), 5.0)
        revenue = np.round(output * 0.98 * np.exp(rng.normal(0, 0.04, rows)), 2)
        scale = revenue >= P.SCALE_THRESHOLD
        value_added = np.minimum(
            output * va_ratio[firm] * np.exp(rng.normal(0, 0.05, rows)), 0.6 * output
        )
        # small taxpayers below scale pay less of their value added
        tax_mult = np.where(scale, 1.0, 0.85)
        tax = value_added * tax_va_f[firm] * tax_mult * np.exp(rng.normal(0, 0.12, rows))
        u = rng.random(rows)
        bad_year = (u < 0.03) & (arch[firm] != P.GIANT)
        tax = np.where(bad_year, tax * rng.uniform(0.1, 0.4, rows), tax)
        # firms on under 3 亩 or in rented space may fall below the tax threshold
        tiny = (arch == P.SMALL) | (arch == P.TENANT)
        tax = np.where(tiny[firm] & (u > 0.99), 0.0, tax)
        big = ~small[firm]
        invest_p = np.where(big, 0.04, 0.01)
        invest_p = np.where(first_year, 0.5, invest_p)
        credit_rate = np.where(
            arch[firm] == P.GIANT, rng.uniform(0.003, 0.01, rows), rng.uniform(0.01, 0.06, rows)
        )
        credit = np.where(rng.random(rows) < invest_p, output * credit_rate, 0.0)
        refund_p = np.where(year >= 2019, np.where(big, 0.04, 0.01), 0.0)
        refund_p = np.where(year == 2022, np.where(big, 0.25, 0.08), refund_p)
        refund = np.where(rng.random(rows) < refund_p, tax * rng.uniform(0.1, 0.6, rows), 0.0)
        offset = revenue * export_share[firm] * 0.035 * np.exp(rng.normal(0, 0.2, rows))
        one_off = np.where(rng.random(rows) < 0.005, tax * rng.uniform(0.1, 1.0, rows), 0.0)
        energy_tce = np.maximum(output * energy_f[firm] * np.exp(rng.normal(0, 0.05, rows)), 0.01)
        emissions = np.maximum(value_added / vpe_f[firm] * np.exp(rng.normal(0, 0.1, rows)), 0.0001)
        # the very rare zero (a firm with no metered energy / no emissions in a year)
        zero = small[firm] & (rng.random(rows) < 1.5e-6)
        energy_tce = np.where(zero, 0.0, energy_tce)
        zero = small[firm] & (rng.random(rows) < 1.5e-6)
        emissions = np.where(zero, 0.0, emissions)
        employees = np.maximum(
            1.0, np.round(output / ope_f[firm] * np.exp(rng.normal(0, 0.05, rows)))
        )
        rd = revenue * rd_f[firm] * np.exp(rng.normal(0, 0.15, rows))
        kwh = np.round(output * kwh_f[firm] * np.exp(rng.normal(0, 0.05, rows)))
        # 低效企业整治: firms on 3 亩 or more paying under the floor are brought up to it by the last
        # year (upgraded: output, tax and all with it), from the start of Zhenhai's campaign on
        fix = self._rectification(firm, year, output * va_ratio[firm] * tax_va_f[firm] * tax_mult)
        if fix is not None:
            revenue, output, value_added, tax = (
                x * fix for x in (revenue, output, value_added, tax)
            )
            credit, refund, offset, one_off = (x * fix for x in (credit, refund, offset, one_off))
            energy_tce, emissions, rd, kwh = (x * fix for x in (energy_tce, emissions, rd, kwh))
            revenue, kwh = np.round(revenue, 2), np.round(kwh)
            employees = np.maximum(1.0, np.round(employees * fix))
            scale = revenue >= P.SCALE_THRESHOLD
        self.row_scale = scale
        self.row_revenue = revenue
        frame = pl.DataFrame(
            {
                "firm": firm,
                "year": year,
                "scale": np.where(scale, "above", "below"),
                "revenue": np.round(revenue, 2),
                "output": np.round(output, 2),
                "value_added": np.round(value_added, 2),
                "tax_paid": np.round(tax, 2),
                "fixed_asset_vat_credit": np.round(credit, 2),
                "vat_refund": np.round(refund, 2),
                "export_vat_offset": np.round(offset, 2),
                "one_off_tax": np.round(one_off, 2),
                "energy_tce": np.round(energy_tce, 2),
                "emissions_eq": _null_where(np.round(emissions, 4), no_emissions[firm]),
                "rd_expense": np.round(rd, 2),
                "employees": employees,
                "electricity_kwh": kwh,
            }
        )
        self.annual_rows = frame  # projects' promises are drawn against the firms' actual figures
        return frame.with_columns(uscc=self.uscc.gather(firm))

    def _rectification(
        self, firm: np.ndarray, year: np.ndarray, expected_tax: np.ndarray
    ) -> np.ndarray | None:
        """Per annual row, the factor that lifts a low-efficiency firm (own land ≥ 3 亩, expected tax
        per 亩 in its last year under the floor) to its floor: none before the campaign, in full
        from its last year on, geometric in between. None when no row changes."""
        first, last = P.RECTIFICATION_YEARS
        own_m2 = np.zeros(self.n)
        for block in self.parcel_blocks:
            np.add.at(own_m2, block["owner"], block["area"])
        own_mu = own_m2 / M2_PER_MU
        at_end = np.flatnonzero(self.row_t == self.end[firm])  # each firm's last row
        tax_per_mu = np.full(self.n, np.inf)
        with np.errstate(divide="ignore"):
            tax_per_mu[firm[at_end]] = expected_tax[at_end] / own_mu[firm[at_end]]
        floor = P.LOW_EFFICIENCY_TAX_PER_MU * self.rng.uniform(*P.RECTIFICATION_MARGIN, self.n)
        low = (own_mu >= P.LOW_EFFICIENCY_MIN_MU) & (tax_per_mu < floor)
        if self.years[-1] < first or not low.any():
            return None
        need = np.where(low, np.minimum(floor / np.maximum(tax_per_mu, 1e-9), 10.0), 1.0)
        progress = np.clip((year - (first - 1)) / (last - (first - 1)), 0.0, 1.0)
        return need[firm] ** progress

    # ---- 5. tables ---------------------------------------------------------------------------
    def register(self) -> None:
        """Registration dates and unified social credit codes (city-registered for some)."""
        rng = self.rng
        city = rng.random(self.n) < np.where(self.arch == P.GIANT, 0.5, 0.08)
        division6 = np.where(city, "330200", "330211")
        self.established = self._dates(self.established_year)
        new = self.established >= np.datetime64("2015-10-01")
        self.uscc = pl.Series("uscc", uscc_codes(rng, division6, new))

    def _dates(self, year: np.ndarray) -> np.ndarray:
        """A date in each given year (1 Jan – 20 Nov)."""
        jan1 = (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        return jan1 + self.rng.integers(0, LAST_DAY + 1, len(jan1)).astype("timedelta64[D]")

    def enterprises(self) -> pl.DataFrame:
        uscc = self.uscc
        big = (self.arch == P.GIANT) | (self.arch == P.UTILITY) | (self.arch == P.ABOVE)
        names = enterprise_names(self.rng, self.sector, big)
        self.enterprise_names = names
        return pl.DataFrame(
            {
                "uscc": uscc,
                "name": names,
                "industry_code": self.industry,
                "division_code": np.array(P.DIVISIONS)[self.division],
                "established": self.established,
                "zones": self._zones(),
            }
        )

    def _zones(self) -> pl.Series:
        rng, n = self.rng, self.n
        petro = self.petrochem()
        d, s = self.division, self.sector
        park = np.isin(d, [P.JIAOCHUAN, P.XIEPU])
        science = np.isin(d, [P.LUOTUO, P.ZHUANGSHI])
        zones = np.full(n, None, dtype=object)
        zones[park & petro] = P.ZONE_PETROCHEM
        zones[(d == P.JIAOCHUAN) & ~petro] = P.ZONE_ETDZ
        techy = np.isin(s, [P.MATERIALS, P.MACHINERY, P.ELECTRICAL])
        zones[science & techy & (rng.random(n) < 0.5)] = P.ZONE_SCI
        zones[science & (s == P.ELECTRONICS)] = f"{P.ZONE_SCI};{P.ZONE_CHIPS}"
        return pl.Series("zones", zones, dtype=pl.String)

    def parcels(self) -> pl.DataFrame:
        rng = self.rng
        blocks = self.parcel_blocks
        # the main block comes first, so stint parcel indices stay valid as offsets into it
        p = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
        m = len(p["owner"])
        order = np.lexsort((np.arange(m), p["division"]))
        seq = np.empty(m, dtype=np.int64)
        counts = np.bincount(p["division"], minlength=len(P.DIVISIONS))
        seq[order] = np.arange(m) - np.repeat(L._ladder(counts), counts)
        width = max(5, len(str(int(counts.max()))))
        division_code = np.array(P.DIVISIONS)[p["division"]]
        parcel_id = pl.Series(
            [
                f"ZH-{c}-{s + 1:0{width}d}"
                for c, s in zip(division_code.tolist(), seq.tolist(), strict=True)
            ]
        )
        self.parcel_id = parcel_id
        self.parcel_table = p
        owner_est = self.established[p["owner"]]
        granted = self._dates(p["land_year"])
        granted = np.maximum(granted, owner_est + np.timedelta64(20, "D"))
        approved = granted - rng.integers(60, 366, m).astype("timedelta64[D]")
        start_due = granted + rng.integers(180, 366, m).astype("timedelta64[D]")
        production_due = granted + rng.integers(730, 1096, m).astype("timedelta64[D]")
        only_approved = p["status"] == APPROVED
        approved = np.where(only_approved, granted, approved)
        self.parcel_granted = granted
        status = np.array(PARCEL_STATUSES)[p["status"]]
        return pl.DataFrame(
            {
                "parcel_id": parcel_id,
                "owner_uscc": self.uscc.gather(p["owner"]),
                "area_m2": p["area"],
                "floor_area_m2": p["floor"],
                "division_code": division_code,
                "land_use": np.full(m, "industrial"),
                "geometry": L.geometry(rng, p["division"], p["area"]),
                "status": status,
                "approved_on": approved,
                "granted_on": _null_where(granted, only_approved),
                "start_due": _null_where(start_due, only_approved),
                "production_due": _null_where(production_due, only_approved),
            }
        )

    def occupancy(self) -> pl.DataFrame:
        p = self.parcel_table
        own = np.flatnonzero(p["own_floor"] > 0)
        st = self.stints
        parcel = np.concatenate([own, st["parcel"]])
        firm = np.concatenate([p["owner"][own], st["firm"]])
        year_from = np.concatenate([p["own_from"][own], st["year_from"]])
        year_to = np.concatenate([p["own_to"][own], st["year_to"]])
        floor = np.concatenate([p["own_floor"][own], st["floor"]])
        return pl.DataFrame(
            {
                "parcel_id": self.parcel_id.gather(parcel),
                "uscc": self.uscc.gather(firm),
                "year_from": year_from,
                "year_to": _null_where(year_to, year_to < 0),
                "floor_area_m2": floor,
            }
        )
