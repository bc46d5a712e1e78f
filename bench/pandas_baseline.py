"""The benchmark's baseline: the engine's steps for the zhenhai preset, written in plain pandas.

Vectorised pandas (merges, group-bys, numpy arrays; no loops over rows), reasonably written, with
every rule of `mujun.engine` reproduced so that the results agree with the engine's:

1. population and lists (above / below ≥ min own land / tenant / below_small);
2. exemptions (age, utility divisions, exempting events, all own land newly granted) and vetoes;
3. land: each parcel shared by floor area among its occupants, vacant floor charged to the owner;
4. refined tax (adjusted_tax);
5–6. the groups' indicators, aggregate-ratio benchmarks over the scorable firms (vetoed firms count),
   scores floored at 0 and capped at cap × weight, a missing or zero denominator filled with the
   group's average score, bonuses (qualifications valid in the year) and deductions (events);
7. rank-share grades per list, vetoes forced to D;
3. the parcel view (attributed tax and value added, parcel scores and grades), landlords answering
   for their parcels, rank within list by grade then score;
8–9. R&D test, electricity surcharge with the consecutive-years rule, land-use-tax relief.

It carries the methodology's numbers (read from the `Methodology` object) but implements only the
choices the zhenhai preset makes (aggregate benchmarks, rank shares, tenants `separate`); anything
else is refused. `compare` checks its results against the engine's, row by row.

The results agree to the last bit, and must: one owner's parcels have mathematically equal per-mu
figures, so their ranks (and at a cut their grades) are decided by float rounding. So wherever the
order of float operations matters the baseline follows Polars' (`group_sum`, `column_sum`,
`horizontal_sum`, division by a constant as multiplication by its reciprocal).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import polars as pl

from mujun.engine.indicators import INDICATORS
from mujun.engine.methodology import GRADES, IndicatorSpec, Methodology, Scoring

M2_PER_MU = 10000 / 15
# Polars evaluates `column / constant` as `column * (1 / constant)`; so does the baseline, so that
# its per-mu figures equal the engine's to the last bit (one owner's parcels tie exactly).
MU_PER_M2 = 1 / M2_PER_MU
PER_10K = 1 / 10_000
EPS = 1e-9
"""Slack for share × n at the grade cuts, as in mujun.engine.grading."""

FIRM_COLUMNS = (
    "status",
    "list",
    "own_grade",
    "grade",
    "rank",
    "total_score",
    "land_mu",
    "own_land_mu",
    "vacant_mu",
    "adjusted_tax",
    "bonus",
    "deduction",
    "rd_test",
    "surcharge_rate",
    "surcharge",
    "industry_tax_per_mu",
    "land_tax_relief_share",
    "land_tax_relief",
)
"""The per-enterprise results compared with the engine's (plus every score_<indicator>)."""
PARCEL_COLUMNS = ("grade", "rank", "tax_per_mu", "value_added_per_mu", "total_score")
EXACT = {"status", "list", "own_grade", "grade", "rank", "rd_test"}
"""Compared for equality; every other column as a float within RTOL."""
RTOL = 1e-9


def supported(m: Methodology) -> None:
    """Refuse a methodology using a choice this baseline does not implement."""
    problems = []
    for name, group in m.groups.items():
        if group.benchmark != "aggregate" or any(s.benchmark for s in group.indicators):
            problems.append(f"groups.{name}: only aggregate benchmarks")
        if group.classes is not None:
            problems.append(f"groups.{name}: no industry classes")
    if m.grading.method != "shares" or m.grading.lists:
        problems.append("grading: only rank shares, the same in every list")
    if m.scoring.missing_denominator != "group_average" or m.scoring.group_average_for:
        problems.append("scoring: only the group average for every missing denominator")
    if m.land.tenant_policy != "separate":
        problems.append("land.tenant_policy: only separate")
    if m.land.parcel_benchmark != "aggregate" or any(s.benchmark for s in m.land.parcel_indicators):
        problems.append("land: only aggregate parcel benchmarks")
    if problems:
        raise NotImplementedError(f"pandas baseline cannot run {m.name}: {'; '.join(problems)}")


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """A Polars frame as pandas without pyarrow: strings → pandas' str dtype, integer columns with
    nulls → float64 with NaN, dates → datetime64."""
    return pd.DataFrame({s.name: s.to_numpy() for s in frame.iter_columns()})


# ---------------------------------------------------------------------------------------------
# per-group float sums in Polars' order


def group_sum(codes: np.ndarray, values: np.ndarray, groups: int, compensated: bool) -> np.ndarray:
    """Per-group sums of `values` (NaN skipped), adding each group's values in row order.

    The engine's per-mu figures of one owner's parcels are mathematically equal, so their ranks
    are decided by the last bit of a sum. To break such ties as the engine does, the baseline adds
    in the same order and the same way as Polars: a plain column sum in a group-by (`compensated`:
    Kahan summation), or an expression's sum among several aggregations (one value after another).
    """
    total = np.zeros(groups)
    if not compensated:
        keep = ~np.isnan(values)
        np.add.at(total, codes[keep], values[keep])  # unbuffered: one row after another
        return total
    order = np.argsort(codes, kind="stable")
    keys, vals = codes[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    group_of = keys[starts]
    carry = np.zeros(groups)
    for k in range(int(sizes.max(initial=0))):
        rows = starts[sizes > k] + k
        g = group_of[sizes > k]
        x = vals[rows]
        take = ~np.isnan(x)
        g, x = g[take], x[take]
        y = x - carry[g]
        t = total[g] + y
        carry[g] = (t - total[g]) - y
        total[g] = t
    return total


BLOCK, STRIPE = 128, 16


def column_sum(values: np.ndarray) -> float:
    """Σ values in Polars' order (polars-compute float_sum): the leading len % 128 values one
    after another; the rest in blocks of 128, each summed in 16 lanes folded pairwise, the blocks
    summed pairwise. Benchmarks are such sums, and a benchmark one bit off reorders near-ties."""
    values = np.asarray(values, dtype=float)
    rem = len(values) % BLOCK
    rest = 0.0
    for x in values[:rem].tolist():
        rest += x
    if len(values) == rem:
        return 0.0 + rest
    blocks = values[rem:].reshape(-1, BLOCK // STRIPE, STRIPE)
    lanes = np.zeros((blocks.shape[0], STRIPE))
    for k in range(BLOCK // STRIPE):
        lanes = lanes + blocks[:, k, :]
    width = STRIPE
    while width > 4:
        lanes = lanes[:, : width // 2] + lanes[:, width // 2 : width]
        width //= 2
    sums = ((lanes[:, 0] + lanes[:, 2]) + (lanes[:, 1] + lanes[:, 3])).tolist()

    def pairwise(lo: int, hi: int) -> float:
        if hi - lo == 1:
            return sums[lo]
        mid = lo + (hi - lo) // 2
        return pairwise(lo, mid) + pairwise(mid, hi)

    return pairwise(0, len(sums)) + rest


# ---------------------------------------------------------------------------------------------
# scoring and grading, shared by firms and parcels


def score_units(
    columns: dict[str, np.ndarray],
    scorable: np.ndarray,
    specs: list[IndicatorSpec],
    scoring: Scoring,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Scores per indicator and their sum (NaN where not scorable) for one group of units.

    Benchmark = Σ numerator ÷ Σ denominator over the scorable units that have a value; score =
    weight × value ÷ benchmark in [0, cap × weight]; no value (missing or zero denominator) →
    the group's average score (or 0); no usable benchmark → 0 for everyone.
    """
    n_units = len(scorable)
    scores: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for spec in specs:
            ind = INDICATORS[spec.id]
            num, den = columns[ind.numerator], columns[ind.denominator]
            ratio = num / den
            value = np.where(scorable & (den > 0) & np.isfinite(ratio), ratio, np.nan)
            ok = ~np.isnan(value)
            den_sum = column_sum(den[ok])
            bm = column_sum(num[ok]) / den_sum if ok.any() and den_sum else None
            if bm is not None and bm > 0 and np.isfinite(bm):
                upper = spec.weight * scoring.cap if scoring.cap is not None else np.inf
                # the engine's benchmark is a constant column: Polars multiplies by 1 / bm
                scores[spec.id] = np.clip(spec.weight * value * (1 / bm), 0.0, upper)
            else:
                scores[spec.id] = np.zeros(n_units)
    filled = {}
    for spec in specs:
        s = scores[spec.id]
        missing = np.isnan(s)
        present = scorable & ~missing
        if scoring.missing_denominator == "group_average" and present.any():
            fill = column_sum(s[present]) / present.sum()
        else:
            fill = 0.0
        filled[spec.id] = np.where(scorable & missing, fill, s)
    total = horizontal_sum([filled[spec.id] for spec in specs])
    return filled, np.where(scorable, total, np.nan)


def horizontal_sum(columns: list[np.ndarray], splits: int | None = None) -> np.ndarray:
    """Σ of the columns, element-wise, in the engine's order: Polars' `sum_horizontal` reduces
    3+ columns on its thread pool, halving the list while it has threads to split over, each
    part added left to right (with 2 threads, 6 columns add as (a + (b + c)) + (d + (e + f)))."""
    if splits is None:
        splits = pl.thread_pool_size() if len(columns) > 2 else 0
    if len(columns) >= 2 and splits > 0:
        mid = len(columns) // 2
        return horizontal_sum(columns[:mid], splits // 2) + horizontal_sum(
            columns[mid:], splits // 2
        )
    total = columns[0]
    for c in columns[1:]:
        total = total + c
    return total


def grade_by_shares(
    score: np.ndarray, partition: np.ndarray, eligible: np.ndarray, shares: dict[str, float]
) -> np.ndarray:
    """Rank-share grades within each partition (object array, None where not eligible): the
    first grade whose cumulative share s has (rank − 1) < s·n, rank 'min' by score descending."""
    grades = np.full(len(score), None, dtype=object)
    if not eligible.any():
        return grades
    part = pd.DataFrame({"p": partition[eligible], "s": score[eligible]})
    by = part.groupby("p", sort=False)["s"]
    rank = by.rank(method="min", ascending=False).to_numpy()
    n = by.transform("size").to_numpy()
    out = np.full(len(part), GRADES[-1], dtype=object)
    cumulative = 0.0
    done = np.zeros(len(part), dtype=bool)
    for g in GRADES[:-1]:
        cumulative += shares[g]
        hit = ~done & ((rank - 1) < n * cumulative - EPS)
        out[hit] = g
        done |= hit
    grades[eligible] = out
    return grades


def rank_by_grade(grade: np.ndarray, score: np.ndarray, partition: np.ndarray) -> np.ndarray:
    """Rank within each partition by grade, then score descending (ties share the lower number);
    NaN where there is no grade."""
    order_of = {g: i for i, g in enumerate(GRADES)}
    graded = pd.notna(grade)
    frame = pd.DataFrame(
        {
            "p": partition[graded],
            "g": pd.Series(grade[graded]).map(order_of).to_numpy(),
            "s": np.nan_to_num(-score[graded], nan=np.inf),
            "i": np.flatnonzero(graded),
        }
    ).sort_values(["p", "g", "s"], kind="stable")
    p, g, s = (frame[c].to_numpy() for c in ("p", "g", "s"))
    first_of_part = np.ones(len(frame), dtype=bool)
    first_of_part[1:] = p[1:] != p[:-1]
    new_key = first_of_part.copy()
    new_key[1:] |= (g[1:] != g[:-1]) | (s[1:] != s[:-1])
    position = frame.groupby("p", sort=False).cumcount().to_numpy() + 1
    rank = pd.Series(np.where(new_key, position, np.nan)).ffill().to_numpy()
    out = np.full(len(grade), np.nan)
    out[frame["i"].to_numpy()] = rank
    return out


def worse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The lower of two grades (a missing grade never lowers)."""
    a_na, b_na = pd.isna(a), pd.isna(b)
    out = np.where(a_na, b, a)
    both = np.flatnonzero(~a_na & ~b_na)
    lower = b[both] > a[both]
    out[both[lower]] = b[both[lower]]
    return out


# ---------------------------------------------------------------------------------------------
# the evaluation


@dataclass
class YearResult:
    firms: pd.DataFrame
    """uscc, group and FIRM_COLUMNS, plus score_<indicator> columns."""
    parcels: pd.DataFrame
    """parcel_id and PARCEL_COLUMNS."""


@dataclass
class PandasBaseline:
    """The pandas evaluation over tables already in memory (pandas frames, as `to_pandas` makes)."""

    tables: dict[str, pd.DataFrame]
    methodology: Methodology
    _static: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        supported(self.methodology)
        t = self.tables
        ent = t["enterprises"].set_index("uscc")
        parcels = t["parcels"].sort_values("parcel_id", ignore_index=True)
        self._static = {
            "industry_code": ent["industry_code"],
            "established_year": ent["established"].dt.year,
            "parcels": pd.DataFrame(
                {
                    "parcel_id": parcels["parcel_id"],
                    "owner_uscc": parcels["owner_uscc"],
                    "area_m2": parcels["area_m2"],
                    "pf": parcels["floor_area_m2"],
                    "granted_year": parcels["granted_on"].dt.year,
                }
            ),
            "own_land_mu": parcels.groupby("owner_uscc")["area_m2"].sum() * MU_PER_M2,
            "data_years": set(t["annual"]["year"].unique().tolist()),
        }

    # step 3: land --------------------------------------------------------------------------
    def allocate(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(allocation rows parcel_id, uscc, role, land_m2; occupant rows with the owner)."""
        occ = self.tables["occupancy"]
        p = self._static["parcels"]
        active = occ[
            (occ["year_from"] <= year) & (occ["year_to"].isna() | (occ["year_to"] >= year))
        ]
        used = (
            active.groupby(["parcel_id", "uscc"], sort=False, as_index=False)["floor_area_m2"]
            .sum()
            .merge(p[["parcel_id", "owner_uscc", "area_m2", "pf"]], on="parcel_id", how="inner")
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            used["land_m2"] = used["area_m2"] * used["floor_area_m2"] / used["pf"]
        used["role"] = "occupant"
        occupied = p["parcel_id"].map(used.groupby("parcel_id")["floor_area_m2"].sum()).fillna(0.0)
        pf, area = p["pf"].to_numpy(), p["area_m2"].to_numpy()
        vacant_floor = np.maximum(pf - occupied.to_numpy(), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            vacant_land = np.where(pf > 0, area * vacant_floor / pf, area)
        keep = vacant_land > 0
        vacancies = pd.DataFrame(
            {
                "parcel_id": p["parcel_id"].to_numpy()[keep],
                "uscc": p["owner_uscc"].to_numpy()[keep],
                "role": "vacancy",
                "land_m2": vacant_land[keep],
            }
        )
        # sorted as the engine sorts it, so that per-group float sums add in the same order
        allocation = pd.concat(
            [used[["parcel_id", "uscc", "role", "land_m2"]], vacancies], ignore_index=True
        ).sort_values(["parcel_id", "role", "uscc"], ignore_index=True)
        return allocation, used

    # one year ------------------------------------------------------------------------------
    def evaluate(self, year: int, history: dict[int, pd.Series]) -> YearResult:
        m = self.methodology
        t = self.tables
        st = self._static
        annual = t["annual"]
        a = annual[annual["year"] == year].sort_values("uscc", ignore_index=True)
        uscc = a["uscc"]
        n = len(a)

        # land
        allocation, used = self.allocate(year)
        codes, holders = pd.factorize(allocation["uscc"])
        held = group_sum(codes, allocation["land_m2"].to_numpy(), len(holders), compensated=True)
        allocation["held_m2"] = held[codes]
        held = pd.Series(held, index=holders)
        land_mu = uscc.map(held * MU_PER_M2).fillna(0.0).to_numpy()
        vac = allocation[allocation["role"] == "vacancy"]
        vacant_mu = uscc.map(vac.groupby("uscc")["land_m2"].sum() * MU_PER_M2).fillna(0.0)
        own_land_mu = uscc.map(st["own_land_mu"]).fillna(0.0).to_numpy()
        landlords = used.loc[used["uscc"] != used["owner_uscc"], "owner_uscc"].unique()
        landlord = uscc.isin(landlords).to_numpy()

        # registers: events (vetoes, exempting events, deductions) and bonuses
        ev = t["events"]
        ev = ev[ev["year"] == year]
        veto = uscc.isin(ev.loc[ev["kind"].isin(m.vetoes), "uscc"]).to_numpy()
        exempt_event = uscc.isin(ev.loc[ev["kind"].isin(m.exemptions.events), "uscc"]).to_numpy()
        points = {d.event: d.points for d in m.deductions}
        ded = ev["kind"].map(points).fillna(0.0).groupby(ev["uscc"]).sum()
        deduction = uscc.map(ded).fillna(0.0).to_numpy()
        q = t["qualifications"]
        bonus_points = {b.qualification: b.points for b in m.bonuses}
        valid = (q["valid_from"] <= pd.Timestamp(year, 12, 31)) & (
            q["valid_to"].isna() | (q["valid_to"] >= pd.Timestamp(year, 1, 1))
        )
        held = q.loc[valid & q["kind"].isin(list(bonus_points)), ["uscc", "kind"]]
        held = held.drop_duplicates()
        bon = held["kind"].map(bonus_points).groupby(held["uscc"]).sum()
        bonus = uscc.map(bon).fillna(0.0).to_numpy()

        # new land: every own parcel granted fewer than N years before
        p = st["parcels"]
        recent = p["granted_year"].notna() & (
            year - p["granted_year"] < m.exemptions.new_land_years
        )
        new_land_owner = recent.groupby(p["owner_uscc"]).all()
        new_land = uscc.map(new_land_owner).fillna(False).to_numpy(dtype=bool)

        # population, refined tax
        group = a["scale"].to_numpy(dtype=object)
        industry_code = uscc.map(st["industry_code"])
        division = industry_code.str.slice(0, 2).to_numpy(dtype=object)
        tax = m.tax
        adjusted = a["tax_paid"].to_numpy()
        for term, sign in (
            ("fixed_asset_vat_credit", 1),
            ("vat_refund", 1),
            ("export_vat_offset", 1),
            ("one_off_tax", -1),
        ):
            if getattr(tax, term):
                adjusted = adjusted + sign * a[term].fillna(0.0).to_numpy()
        own_min = m.population.min_own_land_mu
        lst = np.select(
            [
                group == "above",
                own_land_mu >= own_min,
                (own_land_mu <= 0) & (land_mu > 0),
            ],
            ["above", "below", "tenant"],
            "below_small",
        ).astype(object)

        # exemptions, missing data, status
        ex = m.exemptions
        age = year - uscc.map(st["established_year"]).to_numpy()
        exempt = (
            (age < ex.min_years_registered)
            | np.isin(division, ex.industry_divisions)
            | exempt_event
            | new_land
        )
        cols = {
            c: a[c].to_numpy(dtype=float)
            for c in (
                "value_added",
                "revenue",
                "energy_tce",
                "emissions_eq",
                "employees",
                "rd_expense",
                "output",
            )
        }
        cols["adjusted_tax"] = adjusted
        cols["land_mu"] = land_mu
        cols["electricity_10k_kwh"] = a["electricity_kwh"].to_numpy() * PER_10K
        no_data = np.zeros(n, dtype=bool)
        for g, spec in m.groups.items():
            for c in {INDICATORS[s.id].numerator for s in spec.indicators}:
                no_data |= (group == g) & np.isnan(cols[c])
        no_land = land_mu <= 0
        status = np.select(
            [veto, exempt, no_land, no_data],
            ["vetoed", "exempt", "no_land", "no_data"],
            "evaluated",
        ).astype(object)
        scorable = ~exempt & ~no_land & ~no_data
        evaluated = status == "evaluated"

        # indicators, benchmarks, scores per group
        total = np.full(n, np.nan)
        score_cols = {f"score_{i}": np.full(n, np.nan) for i in m.indicator_ids()}
        for g, spec in m.groups.items():
            in_group = group == g
            sub = {c: v[in_group] for c, v in cols.items()}
            scores, score_sum = score_units(sub, scorable[in_group], spec.indicators, m.scoring)
            for i, s in scores.items():
                score_cols[f"score_{i}"][in_group] = s
            total[in_group] = score_sum
        total = np.where(scorable, total + bonus - deduction, np.nan)

        # own grades within each list; vetoes force D
        own_grade = grade_by_shares(total, lst, evaluated, m.grading.shares)
        own_grade[veto] = GRADES[-1]

        # parcel view
        parcels = self.parcel_view(allocation, a, status, adjusted)
        graded_parcels = parcels[parcels["grade"].notna()]
        grade_code = graded_parcels["grade"].map({g: i for i, g in enumerate(GRADES)})
        worst = grade_code.groupby(graded_parcels["owner_uscc"]).max()
        parcel_grade = np.array([None, *GRADES], dtype=object)[
            uscc.map(worst).fillna(-1).to_numpy(dtype=np.int64) + 1
        ]
        grade = own_grade.copy()
        applies = evaluated & landlord & m.land.landlords_answer
        grade[applies] = worse(own_grade[applies], parcel_grade[applies])
        rank = rank_by_grade(grade, total, lst)

        # R&D test
        rd, revenue = cols["rd_expense"], cols["revenue"]
        with np.errstate(invalid="ignore"):
            passes = (rd >= m.rd_test.min_expense) | (
                (revenue > 0) & (rd >= m.rd_test.min_intensity * revenue)
            )
        if m.rd_test.enabled:
            rd_test = np.where(
                (group == "above") & ~np.isnan(rd), np.where(passes, "pass", "fail"), None
            )
        else:
            rd_test = np.full(n, None, dtype=object)

        # electricity surcharge, with the consecutive-years rule
        cfg = m.policy.electricity_surcharge
        graded = pd.notna(grade)
        if cfg.enabled:
            hit = np.isin(grade, cfg.grades)
            run = hit.astype(np.int64)
            chain = hit.copy()
            for back in range(1, cfg.repeat_years):
                past = history.get(year - back)
                if past is None:
                    past_hit = np.zeros(n, dtype=bool)
                else:
                    past_hit = uscc.map(past.isin(cfg.grades)).fillna(False).to_numpy(dtype=bool)
                chain = chain & past_hit
                run = run + chain
            rate = np.select(
                [hit & (run >= cfg.repeat_years), hit, graded],
                [cfg.repeat_rate, cfg.rate, 0.0],
                np.nan,
            )
            surcharge = rate * a["electricity_kwh"].to_numpy() * PER_10K
        else:
            rate = surcharge = np.full(n, np.nan)

        # land-use-tax relief against the industry division's aggregate tax_per_mu
        relief_cfg = m.policy.land_tax_relief
        if relief_cfg.enabled:
            # Σ tax ÷ Σ land of the scorable firms of each industry division, added (as the
            # engine's frame holds them) above-scale firms first, each group in uscc order
            rows = np.argsort(group != "above", kind="stable")
            rows = rows[scorable[rows]]
            codes, divisions = pd.factorize(division[rows])
            tax_sum = group_sum(codes, adjusted[rows], len(divisions), compensated=True)
            land_sum = group_sum(codes, land_mu[rows], len(divisions), compensated=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                average = pd.Series(tax_sum / land_sum, index=divisions)
                industry = pd.Series(division).map(average).to_numpy(dtype=float)
                ratio = adjusted / land_mu / industry
            share = np.zeros(n)
            for threshold, relief in relief_cfg.tiers:
                share = np.where(ratio >= threshold, relief, share)
            with np.errstate(invalid="ignore"):
                ok = evaluated & graded & (industry > 0)
            share = np.where(ok, share, np.nan)
            relief_amount = share * own_land_mu * M2_PER_MU * relief_cfg.tax_yuan_per_m2 * PER_10K
        else:
            industry = share = relief_amount = np.full(n, np.nan)

        firms = pd.DataFrame(
            {
                "uscc": uscc,
                "group": group,
                "status": status,
                "list": lst,
                "own_grade": own_grade,
                "grade": grade,
                "rank": rank,
                "total_score": total,
                "land_mu": land_mu,
                "own_land_mu": own_land_mu,
                "vacant_mu": vacant_mu.to_numpy(),
                "adjusted_tax": adjusted,
                "bonus": bonus,
                "deduction": deduction,
                "rd_test": rd_test,
                "surcharge_rate": rate,
                "surcharge": surcharge,
                "industry_tax_per_mu": industry,
                "land_tax_relief_share": share,
                "land_tax_relief": relief_amount,
                **score_cols,
            }
        )
        return YearResult(firms, parcels)

    def parcel_view(
        self, allocation: pd.DataFrame, a: pd.DataFrame, status: np.ndarray, adjusted: np.ndarray
    ) -> pd.DataFrame:
        """Each parcel's attributed tax and value added ÷ its whole area, scored and graded."""
        m = self.methodology
        firms = pd.DataFrame(
            {
                "not_exempt": status != "exempt",
                "adjusted_tax": adjusted,
                "value_added": a["value_added"].to_numpy(),
            },
            index=a["uscc"],
        )
        # each firm's amounts shared over its parcels by land (rows in allocation order)
        att = allocation[allocation["uscc"].isin(firms.index)]
        share = (att["land_m2"] / att["held_m2"]).to_numpy()
        p = self._static["parcels"]
        pid = p["parcel_id"]
        codes = pd.Index(pid).get_indexer(att["parcel_id"])
        cols = {
            c: group_sum(codes, att["uscc"].map(firms[c]).to_numpy() * share, len(p), False)
            for c in ("adjusted_tax", "value_added")
        }
        scorable = np.zeros(len(p), dtype=bool)
        scorable[codes[att["uscc"].map(firms["not_exempt"]).to_numpy(dtype=bool)]] = True
        land_mu = (p["area_m2"] * MU_PER_M2).to_numpy()
        cols["land_mu"] = land_mu
        _scores, total = score_units(cols, scorable, m.land.parcel_indicators, m.scoring)
        everyone = np.zeros(len(p), dtype=np.int8)
        grade = grade_by_shares(total, everyone, scorable, m.grading.shares)
        return pd.DataFrame(
            {
                "parcel_id": pid,
                "owner_uscc": p["owner_uscc"],
                "grade": grade,
                "rank": rank_by_grade(grade, total, everyone),
                "tax_per_mu": cols["adjusted_tax"] / land_mu,
                "value_added_per_mu": cols["value_added"] / land_mu,
                "total_score": total,
            }
        )

    # several years -------------------------------------------------------------------------
    def evaluate_years(self, years, on_year=None) -> dict[int, YearResult]:
        """Evaluate years in order; each year's grades feed the next years' surcharge rule (the
        earlier years the rule needs are evaluated first, as the engine does)."""
        cfg = self.methodology.policy.electricity_surcharge
        history: dict[int, pd.Series] = {}
        results = {}
        for year in sorted(years):
            for y in range(year - cfg.repeat_years + 1, year):
                if y not in history and y in self._static["data_years"]:
                    history[y] = _grades(self.evaluate(y, history))
            result = self.evaluate(year, history)
            history[year] = _grades(result)
            results[year] = result
            if on_year is not None:
                on_year(year)
        return results


def _grades(result: YearResult) -> pd.Series:
    f = result.firms
    return pd.Series(f["grade"].to_numpy(dtype=object), index=f["uscc"].to_numpy(), name="grade")


def evaluate_years(
    tables: dict[str, pl.DataFrame | pd.DataFrame], years, methodology: Methodology
) -> dict[int, YearResult]:
    """Convenience: convert Polars tables if needed, then evaluate."""
    frames = {k: to_pandas(v) if isinstance(v, pl.DataFrame) else v for k, v in tables.items()}
    return PandasBaseline(frames, methodology).evaluate_years(years)


# ---------------------------------------------------------------------------------------------
# results as Polars, and the comparison with the engine


def to_polars(frame: pd.DataFrame) -> pl.DataFrame:
    """A result frame as Polars (NaN → null, object/str → String, rank → Int64)."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if c == "rank":
            out[c] = pl.Series(c, s.to_numpy(dtype=float), nan_to_null=True).cast(pl.Int64)
        elif pd.api.types.is_float_dtype(s.dtype):
            out[c] = pl.Series(c, s.to_numpy(), nan_to_null=True)
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
            out[c] = pl.Series(c, s.to_numpy())
        else:
            values = s.to_numpy(dtype=object)
            values[pd.isna(values)] = None
            out[c] = pl.Series(c, values.tolist(), dtype=pl.String)
    return pl.DataFrame(out)


def results_frames(results: dict[int, YearResult]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All years' firm and parcel results as two Polars frames with a `year` column."""
    firms = [
        to_polars(r.firms).with_columns(pl.lit(y, pl.Int64).alias("year"))
        for y, r in results.items()
    ]
    parcels = [
        to_polars(r.parcels).with_columns(pl.lit(y, pl.Int64).alias("year"))
        for y, r in results.items()
    ]
    return pl.concat(firms), pl.concat(parcels)


def engine_frames(evaluations: dict, methodology: Methodology) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The engine's results (mujun.engine.Evaluation by year) reduced to the compared columns."""
    score_cols = [f"score_{i}" for i in methodology.indicator_ids()]
    firms = pl.concat(
        ev.enterprises.select("uscc", "year", "group", *FIRM_COLUMNS, *score_cols)
        for ev in evaluations.values()
    )
    parcels = pl.concat(
        ev.parcels.select("parcel_id", "owner_uscc", *PARCEL_COLUMNS).with_columns(
            pl.lit(year, pl.Int64).alias("year")
        )
        for year, ev in evaluations.items()
    )
    return firms, parcels


@dataclass
class Agreement:
    """Row-by-row comparison of the baseline's results with the engine's."""

    firm_rows: int
    parcel_rows: int
    firm_differences: int
    parcel_differences: int
    by_column: dict[str, int]
    examples: list[str]

    @property
    def agree(self) -> bool:
        return self.firm_differences == 0 and self.parcel_differences == 0

    def __str__(self) -> str:
        head = (
            f"{self.firm_rows:,} enterprise-years, {self.firm_differences:,} differences; "
            f"{self.parcel_rows:,} parcel-years, {self.parcel_differences:,} differences"
        )
        if self.agree:
            return head
        cols = ", ".join(f"{c} {k:,}" for c, k in self.by_column.items() if k)
        return "\n".join([head, f"  by column: {cols}", *(f"  {e}" for e in self.examples)])


def _mismatch(column: str, exact: bool) -> pl.Expr:
    a, b = pl.col(column), pl.col(f"{column}_pandas")
    if exact:
        return a.ne_missing(b)
    a, b = a.fill_nan(None), b.fill_nan(None)
    tol = RTOL * pl.max_horizontal(a.abs(), b.abs(), pl.lit(1.0))
    return (a.is_null() != b.is_null()) | ((a - b).abs() > tol).fill_null(False)


def _compare_table(
    engine: pl.DataFrame, baseline: pl.DataFrame, key: str, columns: list[str], what: str
) -> tuple[int, int, dict[str, int], list[str]]:
    joined = engine.join(
        baseline.select(key, "year", *columns),
        on=[key, "year"],
        how="full",
        suffix="_pandas",
        coalesce=False,
    )
    missing = pl.col(key).is_null() | pl.col(f"{key}_pandas").is_null()
    flags = {c: _mismatch(c, c in EXACT) & ~missing for c in columns}
    flagged = joined.with_columns(
        missing.alias("_missing"), *[e.alias(f"_bad_{c}") for c, e in flags.items()]
    ).with_columns(pl.any_horizontal("_missing", *[f"_bad_{c}" for c in columns]).alias("_bad"))
    by_column = {"missing row": int(flagged["_missing"].sum())}
    by_column |= {f"{what}.{c}": int(flagged[f"_bad_{c}"].sum()) for c in columns}
    bad = flagged.filter("_bad")
    examples = []
    for row in bad.head(8).iter_rows(named=True):
        k = row[key] or row[f"{key}_pandas"]
        diffs = [
            f"{c}: engine {row[c]!r} pandas {row[f'{c}_pandas']!r}"
            for c in columns
            if row[f"_bad_{c}"]
        ] or ["present in one result only"]
        examples.append(f"{what} {k} {row['year'] or row['year_pandas']}: " + "; ".join(diffs))
    return joined.height, bad.height, by_column, examples


def compare(
    engine_firms: pl.DataFrame,
    engine_parcels: pl.DataFrame,
    pandas_firms: pl.DataFrame,
    pandas_parcels: pl.DataFrame,
) -> Agreement:
    """Per (year, uscc): status, list, grades, rank exactly; scores, land, tax and the policy
    amounts within RTOL. Per (year, parcel): grade and rank exactly, per-mu figures and score."""
    firm_cols = [*FIRM_COLUMNS, *[c for c in engine_firms.columns if c.startswith("score_")]]
    n_f, bad_f, by_f, ex_f = _compare_table(
        engine_firms, pandas_firms, "uscc", firm_cols, "enterprise"
    )
    n_p, bad_p, by_p, ex_p = _compare_table(
        engine_parcels, pandas_parcels, "parcel_id", list(PARCEL_COLUMNS), "parcel"
    )
    by_p["parcel missing row"] = by_p.pop("missing row")
    by_f["enterprise missing row"] = by_f.pop("missing row")
    return Agreement(n_f, n_p, bad_f, bad_p, by_f | by_p, (ex_f + ex_p)[:12])
