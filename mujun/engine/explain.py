"""Why this grade and what it takes (issue 6): contributions, the exact change that reaches the next
grade, and the decomposition of a year-to-year change.

Everything is computed with the other firms and the benchmarks held where they are, as a firm would
read it: "with this year's benchmarks, paying 38 万元 more tax would have made you B".

The score is piecewise linear in each indicator value (weight × value ÷ benchmark, floored at 0 and
capped), so the change is solved, not searched. For a concrete amount the change is made to one
input (tax, value added, land, energy, …) and every indicator that uses that input moves with it:
more tax raises both 亩均税收 and 单位用电税收; less land raises both per-mu indicators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from mujun.dataset.schema import M2_PER_MU
from mujun.engine.evaluate import Evaluation
from mujun.engine.grading import GRADES
from mujun.engine.indicators import INDICATORS

INPUT_LABELS = {
    "adjusted_tax": ("评价税收", "万元", "tax counted"),
    "value_added": ("工业增加值", "万元", "value added"),
    "land_mu": ("用地面积", "亩", "land"),
    "energy_tce": ("综合能耗", "吨标准煤", "energy"),
    "emissions_eq": ("排放当量", "吨", "emissions"),
    "employees": ("从业人员", "人", "employees"),
    "rd_expense": ("研发费用", "万元", "R&D expense"),
    "revenue": ("营业收入", "万元", "revenue"),
    "output": ("工业总产值", "万元", "output"),
    "electricity_10k_kwh": ("用电量", "万千瓦时", "electricity"),
}


SALES = ("revenue", "output")


class ExplainError(ValueError):
    pass


@dataclass(frozen=True)
class Change:
    """The smallest change of one thing that reaches the target score (None when none is enough)."""

    what: str
    """An indicator id, or an input column (adjusted_tax, land_mu, …)."""
    current: float | None
    needed: float | None
    reason: str = ""

    @property
    def delta(self) -> float | None:
        if self.current is None or self.needed is None:
            return None
        return self.needed - self.current


def _firm(ev: Evaluation, uscc: str) -> dict:
    rows = ev.detail.filter(pl.col("uscc") == uscc)
    if rows.height == 0:
        raise ExplainError(f"{uscc} has no annual row for {ev.year}")
    return rows.row(0, named=True)


def _cap(ev: Evaluation, weight: float) -> float:
    cap = ev.methodology.scoring.cap
    return math.inf if cap is None else cap * weight


def contributions(ev: Evaluation, uscc: str) -> pl.DataFrame:
    """Each indicator of the firm's group: value, benchmark, weight, score, its share of the total,
    and the median of its industry division and of its subdistrict/town (evaluated firms)."""
    firm = _firm(ev, uscc)
    group = ev.methodology.groups[firm["group"]]
    peers = ev.detail.filter(pl.col("_scorable") & (pl.col("group") == firm["group"]))
    rows = []
    for spec in group.indicators:
        col = f"ind_{spec.id}"
        industry = peers.filter(pl.col("industry_division") == firm["industry_division"])[
            col
        ].median()
        division = peers.filter(pl.col("division_code") == firm["division_code"])[col].median()
        score = firm[f"score_{spec.id}"]
        total = firm["total_score"]
        rows.append(
            {
                "indicator": spec.id,
                "name_zh": INDICATORS[spec.id].name_zh,
                "unit": INDICATORS[spec.id].unit,
                "value": firm[col],
                "benchmark": firm[f"bm_{spec.id}"],
                "benchmark_class": firm.get("benchmark_class"),
                "weight": spec.weight,
                "score": score,
                "share_of_total": score / total if score is not None and total else None,
                "industry_median": industry,
                "division_median": division,
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "value": pl.Float64,
            "industry_median": pl.Float64,
            "division_median": pl.Float64,
            "score": pl.Float64,
            "share_of_total": pl.Float64,
        },
    )


def target(ev: Evaluation, uscc: str) -> tuple[str | None, float | None]:
    """The next grade up from the firm's own grade and the total score that reaches it."""
    firm = _firm(ev, uscc)
    own = firm["own_grade"]
    if firm["status"] != "evaluated" or own is None or own == GRADES[0]:
        return None, None
    better = GRADES[GRADES.index(own) - 1]
    rule = ev.methodology.grading.rule(firm["list"])
    floor = rule.floors().get(better)
    if rule.method == "thresholds":
        return better, floor
    share = sum(rule.shares[g] for g in GRADES[: GRADES.index(better) + 1])
    if rule.method == "both" and share >= 1 - 1e-9:
        return better, floor  # every rank is within the share: only the floor binds
    peers = ev.detail.filter(
        (pl.col("list") == firm["list"])
        & (pl.col("status") == "evaluated")
        & (pl.col("own_grade") == better)
    )
    if peers.height == 0:
        return better, None
    weakest = peers["total_score"].min()
    return better, weakest if floor is None else max(weakest, floor)


def _indicator_change(ev: Evaluation, firm: dict, spec, gap: float) -> Change:
    """The value of one indicator that adds `gap` to the score, the others held."""
    value = firm[f"ind_{spec.id}"]
    bm = firm[f"bm_{spec.id}"]
    score = firm[f"score_{spec.id}"]
    if value is None:
        return Change(
            spec.id, None, None, "no value (missing denominator): its score is the group average"
        )
    if not bm or bm <= 0:
        return Change(spec.id, value, None, "no benchmark")
    new_score = score + gap
    if new_score > _cap(ev, spec.weight) + 1e-12:
        return Change(
            spec.id, value, None, f"capped at {_cap(ev, spec.weight):g} points: not enough alone"
        )
    return Change(spec.id, value, new_score * bm / spec.weight)


def _score_terms(ev: Evaluation, firm: dict, column: str):
    """The indicators that use `column`, each as (weight/benchmark, other input, cap, as numerator)."""
    terms, fixed = [], 0.0
    for spec in ev.methodology.groups[firm["group"]].indicators:
        ind = INDICATORS[spec.id]
        score = firm[f"score_{spec.id}"] or 0.0
        uses = column in (ind.numerator, ind.denominator)
        value = firm[f"ind_{spec.id}"]
        bm = firm[f"bm_{spec.id}"]
        if not uses or value is None or not bm or bm <= 0:
            fixed += score
            continue
        numerator = ind.numerator == column
        other = firm[ind.denominator] if numerator else firm[ind.numerator]
        terms.append((spec.weight / bm, other, _cap(ev, spec.weight), numerator))
    return terms, fixed


def _solve_input(ev: Evaluation, firm: dict, column: str, goal: float) -> Change:
    """The value of one input at which the firm's total reaches `goal`, solved segment by segment:
    as a numerator the total is linear in it between caps, as a denominator it goes as 1/x."""
    current = firm[column]
    terms, fixed = _score_terms(ev, firm, column)
    if not terms or current is None:
        return Change(column, current, None, "no indicator of its group can use it")
    rest = firm["total_score"] - sum(
        firm[f"score_{s.id}"] or 0.0 for s in ev.methodology.groups[firm["group"]].indicators
    )  # bonuses and deductions
    need = goal - fixed - rest
    numerator = terms[0][3]
    if any(t[3] != numerator for t in terms):
        return Change(column, current, None, "used as numerator and denominator at once")
    if numerator:
        # score_j = min(k_j × x / d_j, cap_j) for x ≥ 0, rising: segments between the caps
        caps = sorted({cap * d / k for k, d, cap, _ in terms if cap < math.inf})
        lo = 0.0
        for hi in [*caps, math.inf]:
            capped = sum(cap for k, d, cap, _ in terms if cap < math.inf and cap * d / k <= lo)
            slope = sum(
                k / d for k, d, cap, _ in terms if not (cap < math.inf and cap * d / k <= lo)
            )
            if slope > 0:
                x = (need - capped) / slope
                if x <= hi:
                    return Change(column, current, max(x, lo))
            lo = hi
        return Change(column, current, None, "capped: no amount of it is enough alone")
    # as a denominator: score_j = min(k_j × n_j / x, cap_j), rising as x falls: the largest x that
    # reaches the goal, segment by segment from the top
    caps = sorted({k * n / cap for k, n, cap, _ in terms if cap < math.inf and n > 0}, reverse=True)
    hi = math.inf
    for lo in [*caps, 0.0]:
        capped = sum(
            cap for k, n, cap, _ in terms if cap < math.inf and n > 0 and k * n / cap >= hi
        )
        coeff = sum(
            k * n for k, n, cap, _ in terms if n > 0 and not (cap < math.inf and k * n / cap >= hi)
        )
        if need - capped <= 0:
            return Change(column, current, hi)
        if coeff > 0:
            x = coeff / (need - capped)
            if x >= lo:
                return Change(column, current, min(x, hi))
        hi = lo
    return Change(column, current, None, "capped: no reduction of it is enough alone")


def what_it_takes(ev: Evaluation, uscc: str) -> dict:
    """For the next grade up: the gap in points, the change of each single indicator (in its own
    unit) and of each single input (a concrete amount) that reaches it."""
    firm = _firm(ev, uscc)
    grade, goal = target(ev, uscc)
    out = {
        "uscc": uscc,
        "year": ev.year,
        "grade": firm["grade"],
        "own_grade": firm["own_grade"],
        "total_score": firm["total_score"],
        "target_grade": grade,
        "target_score": goal,
        "indicators": [],
        "inputs": [],
    }
    if grade is None or goal is None:
        return out
    gap = goal - firm["total_score"]
    out["gap"] = gap
    specs = ev.methodology.groups[firm["group"]].indicators
    out["indicators"] = [_indicator_change(ev, firm, spec, gap) for spec in specs]
    columns = []
    for spec in specs:
        ind = INDICATORS[spec.id]
        # no advice to earn less: revenue as the R&D ratio's denominator is not a lever
        for c in (ind.numerator, ind.denominator):
            if c not in columns and not (c in SALES and c == ind.denominator):
                columns.append(c)
    out["inputs"] = [_solve_input(ev, firm, c, goal) for c in columns]
    return out


def decompose(previous: Evaluation, current: Evaluation, uscc: str) -> pl.DataFrame:
    """Which inputs moved a firm's score from one year to the next: for each indicator, the part due
    to the firm's own value and the part due to the benchmark; then bonuses and deductions."""
    a, b = _firm(previous, uscc), _firm(current, uscc)
    if a["group"] != b["group"]:
        raise ExplainError(
            f"{uscc} changed group ({a['group']} → {b['group']}): scores are not comparable"
        )
    rows = []
    for spec in current.methodology.groups[b["group"]].indicators:
        s0, s1 = a[f"score_{spec.id}"], b[f"score_{spec.id}"]
        v0, v1 = a[f"ind_{spec.id}"], b[f"ind_{spec.id}"]
        b0 = a[f"bm_{spec.id}"]
        own = bench = None
        if None not in (s0, s1, v0, v1, b0) and b0 > 0:
            # the firm's new value against last year's benchmark, then the benchmark's move
            middle = min(max(spec.weight * v1 / b0, 0.0), _cap(current, spec.weight))
            own, bench = middle - s0, s1 - middle
        rows.append(
            {
                "component": spec.id,
                "before": s0,
                "after": s1,
                "change": None if None in (s0, s1) else s1 - s0,
                "own_value": own,
                "benchmark": bench,
            }
        )
    for col in ("bonus", "deduction"):
        sign = 1 if col == "bonus" else -1
        rows.append(
            {
                "component": col,
                "before": sign * a[col],
                "after": sign * b[col],
                "change": sign * (b[col] - a[col]),
                "own_value": sign * (b[col] - a[col]),
                "benchmark": 0.0,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "component": pl.String,
            "before": pl.Float64,
            "after": pl.Float64,
            "change": pl.Float64,
            "own_value": pl.Float64,
            "benchmark": pl.Float64,
        },
    )


def describe_input(change: Change) -> str:
    """A sentence a factory owner reads: '评价税收 +38.20 万元 a year (now 120.00)'."""
    label, unit, english = INPUT_LABELS.get(change.what, (change.what, "", change.what))
    if change.needed is None:
        return f"{label} ({english}): {change.reason}"
    delta = change.delta
    factor = 10_000 if change.what == "electricity_10k_kwh" else 1
    if change.what == "land_mu":
        return (
            f"{label} ({english}) {delta:+,.2f} {unit} ({delta * M2_PER_MU:+,.0f} m²), e.g. by returning "
            f"vacant land (now {change.current:,.2f} {unit})"
        )
    shown_unit = "千瓦时" if factor != 1 else unit
    return f"{label} ({english}) {delta * factor:+,.2f} {shown_unit} a year (now {change.current * factor:,.2f})"
