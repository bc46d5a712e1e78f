"""How sure are the grades? Monte Carlo over the weights and the benchmark method, rank stability and
each indicator's influence (the JRC/OECD composite-indicator handbook's uncertainty analysis).

A firm's total is Σ_i w_i × min(value_i ÷ benchmark_i, cap) (+ bonus − deduction), linear in the
weights, so a thousand weight draws are one matrix product per list: ratios (firms × indicators) ×
weights (indicators × draws). The missing-denominator rule stays linear too (the group's average
score of an item is its weight times the average capped ratio). Grades are the firms' own grades by
the preset's grading, before the landlord and tenant rules and vetoes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from mujun.engine.evaluate import Evaluation
from mujun.engine.grading import GRADES
from mujun.engine.indicators import INDICATORS

METHODS = ("preset", "aggregate", "mean", "median")


@dataclass(frozen=True)
class Sensitivity:
    probabilities: pl.DataFrame
    """uscc, list, own_grade, p_A, p_B, p_C, p_D, modal_grade, stability (probability of own grade)."""
    stability: pl.DataFrame
    """Per list: firms, median absolute rank shift, share of fragile grades (< 80 % stable)."""
    influence: pl.DataFrame
    """Per group and indicator: median absolute rank shift when the indicator is removed."""
    draws: int
    seed: int


def _ratios(ev: Evaluation, group: str, method: str) -> tuple[pl.DataFrame, np.ndarray, list[str]]:
    """Evaluated firms of a group and their capped value ÷ benchmark per indicator (firms ×
    indicators), under the preset's benchmarks or another method. A missing value takes the average
    capped ratio of the group's scorable firms, as the engine's group-average rule does."""
    spec = ev.methodology.groups[group]
    cap = ev.methodology.scoring.cap or np.inf
    firms = ev.detail.filter((pl.col("group") == group) & (pl.col("status") == "evaluated"))
    scorable = ev.detail.filter((pl.col("group") == group) & pl.col("_scorable"))
    columns = []
    for s in spec.indicators:
        if method == "preset":  # exactly the engine's: score = weight × capped ratio
            columns.append(firms[f"score_{s.id}"].to_numpy().astype(float) / s.weight)
            continue
        ind = INDICATORS[s.id]
        values = scorable[f"ind_{s.id}"]
        with_value = scorable.filter(values.is_not_null())
        if method == "aggregate":
            den = with_value[ind.denominator].sum()
            bm = with_value[ind.numerator].sum() / den if den else None
        else:
            bm = values.mean() if method == "mean" else values.median()

        def capped(v: np.ndarray, bm=bm) -> np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.clip(v / bm, 0.0, cap) if bm and bm > 0 else np.zeros_like(v)

        r = capped(firms[f"ind_{s.id}"].to_numpy().astype(float))
        pool = capped(values.drop_nulls().to_numpy().astype(float))
        fill = (
            0.0
            if ev.methodology.scoring.missing_denominator == "zero" or pool.size == 0
            else pool.mean()
        )
        columns.append(np.where(np.isnan(r), fill, r))
    return firms, np.column_stack(columns), [s.id for s in spec.indicators]


def _ahead(scores: np.ndarray, lists: np.ndarray) -> np.ndarray:
    """For every firm and draw, how many firms of its list score strictly higher (rank − 1)."""
    ahead = np.empty(scores.shape, dtype=np.int64)
    for name in np.unique(lists):
        rows = np.flatnonzero(lists == name)
        part = scores[rows]
        ascending = np.sort(part, axis=0)
        block = np.empty(part.shape, dtype=np.int64)
        for d in range(part.shape[1]):
            block[:, d] = len(rows) - np.searchsorted(ascending[:, d], part[:, d], side="right")
        ahead[rows] = block
    return ahead


def _grades(
    scores: np.ndarray, ahead: np.ndarray, sizes: np.ndarray, ev: Evaluation, lists: np.ndarray
) -> np.ndarray:
    """Grade index (0 = A) of every firm in every draw by the preset's grading, each list by its
    rule: the first grade whose cumulative share exceeds the share of firms strictly ahead
    (`sizes`: each firm's list size) and whose floor the score reaches, as the rule has them."""
    grade = np.full(scores.shape, 3, dtype=np.int8)
    for name in np.unique(lists):
        rows = lists == name
        rule = ev.methodology.grading.rule(str(name))
        floors = rule.floors()
        cumulative = np.cumsum([rule.shares[g] for g in GRADES])[:-1]
        part = grade[rows]
        for g in range(2, -1, -1):
            ok = np.ones(part.shape, dtype=bool)
            if rule.method in ("shares", "both"):
                ok &= ahead[rows] < sizes[rows][:, None] * cumulative[g] - 1e-9
            if GRADES[g] in floors:
                ok &= scores[rows] >= floors[GRADES[g]]
            part[ok] = g
        grade[rows] = part
    return grade


def _median_from_counts(counts: np.ndarray) -> float:
    """The median of values 0, 1, 2, … given how often each occurs."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    cumulative = np.cumsum(counts)
    low = int(np.searchsorted(cumulative, (total - 1) // 2, side="right"))
    high = int(np.searchsorted(cumulative, total // 2, side="right"))
    return (low + high) / 2


def monte_carlo(
    ev: Evaluation,
    draws: int = 1000,
    concentration: float | None = 200.0,
    methods: tuple[str, ...] = ("preset",),
    seed: int = 0,
    chunk: int = 100,
) -> Sensitivity:
    """Grade probabilities under weights drawn from a Dirichlet around the preset's (`concentration`
    × normalized weights; None = no spread) and a benchmark method drawn from `methods` ('preset',
    'aggregate', 'mean', 'median') each draw. Seeded: the same seed gives the same result."""
    rng = np.random.default_rng(seed)
    prob_frames, stability_rows, influence_rows = [], [], []
    for group, spec in ev.methodology.groups.items():
        weights = np.array([s.weight for s in spec.indicators], dtype=float)
        total_w = weights.sum()
        per_method = {m: _ratios(ev, group, m) for m in methods}
        firms, base_ratios, ids = next(iter(per_method.values()))
        if firms.height == 0:
            continue
        extra = (firms["bonus"] - firms["deduction"]).to_numpy()
        lists = firms["list"].to_numpy()
        names, which = np.unique(lists, return_inverse=True)
        sizes = np.bincount(which)[which]
        preset_scores = firms["total_score"].to_numpy()
        preset_ahead = _ahead(preset_scores[:, None], lists)[:, 0]
        counts = np.zeros((firms.height, 4), dtype=np.int64)
        shift_counts = {name: np.zeros(firms.height + 1, dtype=np.int64) for name in names}
        method_draws = rng.integers(0, len(methods), size=draws)
        for start in range(0, draws, chunk):
            size = min(chunk, draws - start)
            if concentration is None:
                w = np.tile(weights[:, None], (1, size))
            else:
                w = rng.dirichlet(concentration * weights / total_w, size=size).T * total_w
            scores = np.empty((firms.height, size))
            for k, m in enumerate(methods):
                cols = np.flatnonzero(method_draws[start : start + size] == k)
                if cols.size and concentration is None and m == "preset":
                    scores[:, cols] = preset_scores[:, None]  # no spread: the engine's own totals
                elif cols.size:
                    scores[:, cols] = per_method[m][1] @ w[:, cols] + extra[:, None]
            ahead = _ahead(scores, lists)
            grades = _grades(scores, ahead, sizes, ev, lists)
            for g in range(4):
                counts[:, g] += (grades == g).sum(axis=1)
            shift = np.abs(ahead - preset_ahead[:, None])
            for name in names:
                shift_counts[name] += np.bincount(
                    shift[lists == name].ravel(), minlength=firms.height + 1
                )
        p = counts / draws
        own = firms["own_grade"].to_numpy()
        own_idx = np.array([GRADES.index(g) for g in own])
        stable = p[np.arange(len(own)), own_idx]
        prob_frames.append(
            firms.select("uscc", "list", "own_grade").with_columns(
                *[pl.Series(f"p_{g}", p[:, i]) for i, g in enumerate(GRADES)],
                pl.Series("modal_grade", [GRADES[i] for i in p.argmax(axis=1)]),
                pl.Series("stability", stable),
            )
        )
        for name in names:
            rows = lists == name
            stability_rows.append(
                {
                    "list": name,
                    "firms": int(rows.sum()),
                    "median_abs_rank_shift": _median_from_counts(shift_counts[name]),
                    "fragile_share": float((stable[rows] < 0.8).mean()),
                }
            )
        for i, indicator in enumerate(ids):
            w = weights.copy()
            w[i] = 0.0
            w *= total_w / w.sum()
            scores = base_ratios @ w + extra
            moved = np.abs(_ahead(scores[:, None], lists)[:, 0] - preset_ahead)
            influence_rows.append(
                {
                    "group": group,
                    "indicator": indicator,
                    "median_abs_rank_shift": float(np.median(moved)),
                    "mean_abs_rank_shift": float(moved.mean()),
                }
            )
    return Sensitivity(
        pl.concat(prob_frames).sort("list", "uscc"),
        pl.DataFrame(stability_rows).sort("list"),
        pl.DataFrame(influence_rows),
        draws,
        seed,
    )
