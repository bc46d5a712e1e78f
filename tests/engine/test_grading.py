"""Grades (mujun/engine/grading.py): rank shares, score thresholds, or both, per list.

One indicator (tax_per_mu, weight 100), each firm alone on a 10-mu parcel: the benchmark is the
list's aggregate tax per mu, and a firm's score is 100 × its tax per mu ÷ that benchmark.
"""

from __future__ import annotations

import numpy as np
import pytest
from factory import M2_PER_MU, build, uscc
from factory import simple as method

from mujun.engine import evaluate
from mujun.engine.explain import target
from mujun.engine.sensitivity import monte_carlo


def district(taxes: dict[int, float], below: tuple[int, ...] = ()):
    """Firm n → tax on its own 10-mu parcel; the firms in `below` are 规下 (list `below`)."""
    return build(
        enterprises=[{"uscc": uscc(n)} for n in taxes],
        annual=[
            {"uscc": uscc(n), "tax_paid": t, "scale": "below" if n in below else "above"}
            for n, t in taxes.items()
        ],
        parcels=[
            {"parcel_id": f"P{n}", "owner_uscc": uscc(n), "area_m2": 10 * M2_PER_MU}
            | {"floor_area_m2": 1000.0}
            for n in taxes
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in taxes
        ],
    )


def grades(ev, firms) -> str:
    by = {r["uscc"]: r["grade"] or "-" for r in ev.enterprises.iter_rows(named=True)}
    return "".join(by[uscc(n)] for n in firms)


# ten firms paying 190, 180, …, 100 and one paying 10: benchmark 1460 / 110 mu = 13.27 per mu;
# scores 143.2, 135.6, …, 75.3 and 7.5
TEN = {n: 200.0 - 10 * n for n in range(1, 11)} | {11: 10.0}
BOTH = {
    "method": "both",
    "shares": {"A": 0.2, "B": 0.3, "C": 0.5, "D": 0.0},
    "thresholds": {"C": 50.0},
}


def test_d_below_a_floor_not_a_quota():
    ev = evaluate(district(TEN), 2022, method(grading=BOTH))
    # A: ranks 1–3 (at most 2 ahead < 0.2 × 11 = 2.2), B: ranks 4–6 (< 5.5 ahead), C the rest
    # but firm 11, under 50 points: D
    assert grades(ev, TEN) == "AAABBBCCCCD"
    # nobody under the floor: no D at all, where 5 % shares would force one
    without = {n: t for n, t in TEN.items() if n != 11}
    assert "D" not in grades(evaluate(district(without), 2022, method(grading=BOTH)), without)
    shares = method(grading={"shares": {"A": 0.2, "B": 0.3, "C": 0.4, "D": 0.1}})
    assert grades(evaluate(district(without), 2022, shares), without).endswith("D")


def test_a_better_grade_never_asks_less_than_a_worse_one():
    # the top firm's rank is within A's share, but its score is under the C floor: D
    rule = {**BOTH, "thresholds": {"C": 200.0}}
    ev = evaluate(district(TEN), 2022, method(grading=rule))
    assert set(grades(ev, TEN)) == {"D"}
    assert method(grading={**BOTH, "thresholds": {"B": 80.0, "C": 50.0}}).grading.floors() == {
        "C": 50.0,
        "B": 80.0,
        "A": 80.0,
    }


def test_thresholds_and_shares_together_cap_a_grade():
    # 德州's A ≤ 20 %: A needs 130 points and a rank in the top 20 % (ranks 1–3 of 11)
    rule = {
        "method": "both",
        "shares": {"A": 0.2, "B": 0.8, "C": 0.0, "D": 0.0},
        "thresholds": {"A": 130.0, "B": 90.0, "C": 60.0},
    }
    ev = evaluate(district(TEN), 2022, method(grading=rule))
    # scores: 143.2 135.6 | 128.1 (rank 3, under 130) 120.5 113.0 105.5 97.9 90.4 | 82.9 75.3 | 7.5
    assert grades(ev, TEN) == "AABBBBBBCCD"


def test_each_list_by_its_own_rule():
    taxes = {**TEN, 21: 100.0, 22: 50.0, 23: 10.0}
    grading = {
        "shares": {"A": 0.25, "B": 0.45, "C": 0.25, "D": 0.05},
        "lists": {"below": {"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 20}}},
    }
    ev = evaluate(district(taxes, below=(21, 22, 23)), 2022, method(grading=grading))
    # 规下: benchmark 160 / 30 mu = 5.33 per mu → scores 187.5, 93.75, 18.75 → A, C, D
    assert grades(ev, (21, 22, 23)) == "ACD"
    # 规上 by the default shares: A while < 2.75 ahead, B < 7.7, C < 10.45: 5 % of 11 is no D
    assert grades(ev, TEN) == "AAABBBBBCCC"


def test_the_target_of_a_d_firm_under_a_floor_is_the_floor():
    ev = evaluate(district(TEN), 2022, method(grading=BOTH))
    assert target(ev, uscc(11)) == ("C", 50.0)
    # a C firm (rank 7) must reach the weakest B (rank 6) under the share rule
    weakest_b = ev.enterprises.filter(grade="B")["total_score"].min()
    assert target(ev, uscc(7)) == ("B", pytest.approx(weakest_b))


def test_monte_carlo_without_spread_grades_as_the_engine_does():
    two = [{"id": "tax_per_mu", "weight": 50}, {"id": "va_per_mu", "weight": 50}]
    groups = {"above": {"indicators": two}, "below": {"indicators": two}}
    ev = evaluate(district(TEN), 2022, method(grading=BOTH, groups=groups))
    result = monte_carlo(ev, draws=3, concentration=1e12, seed=1)
    p = result.probabilities
    assert np.all(p["modal_grade"].to_numpy() == p["own_grade"].to_numpy())
