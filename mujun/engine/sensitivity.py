"""How sure are the grades? Monte Carlo over the weights and the benchmark method, rank stability and
each indicator's influence (the JRC/OECD composite-indicator handbook's uncertainty analysis), and
the variance-based sensitivity analysis (`sobol`): how much of each list's rank and grade changes
each weight and the benchmark method account for, alone (S1) and with their interactions (ST).

A firm's total is Σ_i w_i × min(value_i ÷ benchmark_i, cap) (+ bonus − deduction), linear in the
weights, so a thousand weight draws are one matrix product per list: ratios (firms × indicators) ×
weights (indicators × draws). The missing-denominator rule stays linear too (the group's average
score of an item is its weight times the average capped ratio). Grades are the firms' own grades by
the preset's grading, before the landlord and tenant rules and vetoes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np
import polars as pl

from mujun.engine.evaluate import Evaluation
from mujun.engine.grading import GRADES
from mujun.engine.indicators import INDICATORS
from mujun.engine.methodology import BenchmarkMethod
from mujun.engine.scoring import score_group

METHODS: tuple[str, ...] = ("preset", *get_args(BenchmarkMethod))
"""'preset' (each indicator as the preset benchmarks it) or one method for every indicator."""


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
    indicators), under the preset's benchmarks ('preset') or every indicator benchmarked by one of
    the methodology's methods (BenchmarkMethod), scored by the engine's own score_group: the cap,
    the floor and the missing-denominator rule are the preset's."""
    spec = ev.methodology.groups[group]
    members = ev.detail.filter(pl.col("group") == group)
    if method != "preset":
        members, _ = score_group(
            members,
            spec.indicators,
            lambda _spec: method,
            ev.methodology.scoring,
            ev.year,
            group,
            spec.min_peers,
        )
    firms = members.filter(pl.col("status") == "evaluated")
    ratios = np.column_stack(
        [firms[f"score_{s.id}"].to_numpy().astype(float) / s.weight for s in spec.indicators]
    )
    return firms, ratios, [s.id for s in spec.indicators]


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


# --- variance-based sensitivity (Sobol' indices) ---------------------------------------------------

TARGETS = {
    "rank_shift": "平均排名变动（位）",
    "grade_change": "等级变动企业占比",
}
"""What each list's Sobol' indices decompose, run by run against the preset's own result: the mean
absolute rank shift of the list's firms (COINr's target), and the share of them whose grade
differs from the preset's."""

METHOD_LABELS = {
    "preset": "预设",
    "aggregate": "总量比值",
    "mean": "均值",
    "median": "中位数",
    "fixed": "固定值",
    "industry_division": "分行业",
}
"""Chinese names of the benchmark methods (a method without one is shown by its id)."""


@dataclass(frozen=True)
class SobolIndices:
    indices: pl.DataFrame
    """Per group, list, target and input: first-order (S1) and total-effect (ST) Sobol' indices
    with the half-widths of their 95 % bootstrap confidence intervals (S1_conf, ST_conf); null
    where the target never moves (no variance to share out)."""
    targets: pl.DataFrame
    """Per group, list and target: firms, runs, the target's mean and standard deviation."""
    inputs: pl.DataFrame
    """Per group and input: what was varied (label: in Chinese), its preset value, and its range
    or choices (varied, varied_label)."""
    base_samples: int
    spread: float
    seed: int


def benchmark_choices(ev: Evaluation, group: str) -> tuple[str, ...]:
    """The benchmark methods a group's Sobol' factor chooses among by default: the preset's own
    ('preset'), then each method the methodology model allows (BenchmarkMethod) that differs from
    it: 'fixed' only where every indicator has a fixed value for the year, and a method the preset
    already uses for every indicator is 'preset' itself."""
    spec = ev.methodology.groups[group]
    own = {spec.method(s) for s in spec.indicators}
    choices = ["preset"]
    for method in get_args(BenchmarkMethod):
        if own == {method}:
            continue
        if method == "fixed" and not all(ev.year in s.fixed for s in spec.indicators):
            continue
        choices.append(method)
    return tuple(choices)


def sobol(
    ev: Evaluation,
    base_samples: int = 256,
    spread: float = 0.25,
    methods: tuple[str, ...] | None = None,
    seed: int = 0,
    resamples: int = 100,
    chunk: int = 512,
) -> SobolIndices:
    """First-order and total-effect Sobol' indices of each weight and of the benchmark method on
    each list's ranks and grades (the JRC's variance-based sensitivity analysis, as COINr's
    `get_sensitivity`), estimated with SALib (Saltelli's design, Jansen's and Saltelli's 2010
    estimators, bootstrap confidence intervals).

    The inputs of a group: each weight, uniform within ±`spread` of the preset's (every run's
    weights rescaled to the preset's total, so that only their proportions vary), and the benchmark
    method, one of `methods` (default `benchmark_choices`) with equal probability; an input that
    cannot vary (spread 0, one method) is left out. `base_samples` (a power of 2) Sobol' points give
    base_samples × (inputs + 2) runs per group. Targets (TARGETS) are measured against the preset's
    own scores, recomputed as every run is, so that rounding never passes for sensitivity; grades
    are the firms' own grades, before the landlord and tenant rules and vetoes. Seeded: the same
    seed gives the same indices.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    if base_samples < 2 or base_samples & (base_samples - 1):
        raise ValueError(f"base_samples must be a power of 2 (2, 4, … 1024), got {base_samples}")
    if not 0 <= spread < 1:
        raise ValueError(f"spread must be in [0, 1), got {spread}")
    if methods is not None and (not methods or not set(methods) <= set(METHODS)):
        raise ValueError(f"methods: choose one or more of {', '.join(METHODS)}, got {methods}")
    index_rows, target_rows, input_rows = [], [], []
    for group, spec in ev.methodology.groups.items():
        firms, preset_ratios, ids = _ratios(ev, group, "preset")
        if firms.height == 0:
            continue
        choices = tuple(methods or benchmark_choices(ev, group))
        ratios = {"preset": preset_ratios}
        ratios |= {m: _ratios(ev, group, m)[1] for m in choices if m != "preset"}
        weights = np.array([s.weight for s in spec.indicators], dtype=float)
        total_w = weights.sum()
        inputs = _inputs(spec, spread, choices)
        if not inputs:
            raise ValueError("nothing varies: spread is 0 and there is one benchmark method")
        names = [r["input"] for r in inputs]
        bounds = [r["_bounds"] for r in inputs]
        input_rows += [
            {"group": group, **{k: v for k, v in r.items() if k != "_bounds"}} for r in inputs
        ]
        problem = {"num_vars": len(names), "names": names, "bounds": bounds}
        x = sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
        runs = x.shape[0]
        w_runs = x[:, : len(ids)] if spread > 0 else np.tile(weights, (runs, 1))
        w_runs = w_runs / w_runs.sum(axis=1, keepdims=True) * total_w
        pick = (
            np.minimum(x[:, -1].astype(np.int64), len(choices) - 1)
            if len(choices) > 1
            else np.zeros(runs, dtype=np.int64)
        )
        extra = (firms["bonus"] - firms["deduction"]).to_numpy()
        lists = firms["list"].to_numpy()
        list_names, which = np.unique(lists, return_inverse=True)
        sizes = np.bincount(which)[which]
        nominal = ratios["preset"] @ weights + extra
        nominal_ahead = _ahead(nominal[:, None], lists)
        nominal_grade = _grades(nominal[:, None], nominal_ahead, sizes, ev, lists)
        y = {(name, t): np.empty(runs) for name in list_names for t in TARGETS}
        for start in range(0, runs, chunk):
            stop = min(start + chunk, runs)
            scores = np.empty((firms.height, stop - start))
            for k, m in enumerate(choices):
                cols = np.flatnonzero(pick[start:stop] == k)
                if cols.size:
                    scores[:, cols] = ratios[m] @ w_runs[start + cols].T + extra[:, None]
            ahead = _ahead(scores, lists)
            shift = np.abs(ahead - nominal_ahead)
            changed = _grades(scores, ahead, sizes, ev, lists) != nominal_grade
            for name in list_names:
                rows = lists == name
                y[name, "rank_shift"][start:stop] = shift[rows].mean(axis=0)
                y[name, "grade_change"][start:stop] = changed[rows].mean(axis=0)
        for (name, target), values in y.items():
            target_rows.append(
                {
                    "group": group,
                    "list": name,
                    "target": target,
                    "label": TARGETS[target],
                    "firms": int((lists == name).sum()),
                    "runs": runs,
                    "mean": float(values.mean()),
                    "std": float(values.std()),
                }
            )
            if np.ptp(values) > 0:
                # SALib takes seed 0 for "unseeded", hence + 1
                si = analyze.analyze(
                    problem, values, calc_second_order=False, num_resamples=resamples,
                    seed=seed + 1,
                )  # fmt: skip
            else:
                si = {k: [None] * len(names) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            for j, input_name in enumerate(names):
                index_rows.append(
                    {
                        "group": group,
                        "list": name,
                        "target": target,
                        "target_label": TARGETS[target],
                        "input": input_name,
                        "input_label": inputs[j]["label"],
                        **{k: _number(si[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf")},
                    }
                )
    index_schema = {
        "group": pl.String,
        "list": pl.String,
        "target": pl.String,
        "target_label": pl.String,
        "input": pl.String,
        "input_label": pl.String,
        **{k: pl.Float64 for k in ("S1", "S1_conf", "ST", "ST_conf")},
    }
    return SobolIndices(
        pl.DataFrame(index_rows, schema=index_schema, orient="row"),
        pl.DataFrame(target_rows),
        pl.DataFrame(input_rows),
        base_samples,
        spread,
        seed,
    )


def _inputs(spec, spread: float, choices: tuple[str, ...]) -> list[dict]:
    """A group's Sobol' inputs, in SALib's order: each weight (when spread > 0), then the
    benchmark method (when there is a choice), with their labels, ranges and `_bounds`."""
    rows = []
    if spread > 0:
        for s in spec.indicators:
            low, high = s.weight * (1 - spread), s.weight * (1 + spread)
            rows.append(
                {
                    "input": f"weight:{s.id}",
                    "label": f"权重·{INDICATORS[s.id].name_zh}",
                    "preset": f"{s.weight:g}",
                    "varied": f"{low:g}–{high:g}",
                    "varied_label": f"{low:g}–{high:g}",
                    "_bounds": [low, high],
                }
            )
    if len(choices) > 1:
        own = sorted({spec.method(s) for s in spec.indicators})

        def zh(method: str) -> str:
            if method == "preset":
                return f"预设（{'、'.join(METHOD_LABELS.get(m, m) for m in own)}）"
            return METHOD_LABELS.get(method, method)

        rows.append(
            {
                "input": "benchmark",
                "label": "基准值方法",
                "preset": ", ".join(own),
                "varied": ", ".join(choices),
                "varied_label": "、".join(zh(c) for c in choices),
                # an index drawn uniformly in [0, n), floored
                "_bounds": [0.0, float(len(choices))],
            }
        )
    return rows


def _number(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)
