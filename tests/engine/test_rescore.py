"""Re-scoring one firm against the published benchmarks, worked on a small list: firm 3's tax is
corrected upwards; scored against the published benchmark it rises, and nobody else moves."""

from __future__ import annotations

import pytest
from factory import build, simple, uscc

from mujun.engine import evaluate
from mujun.engine.rescore import rescore

M = simple(grading={"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 50}})
TAXES = {1: 300.0, 2: 150.0, 3: 60.0, 4: 90.0}  # on 10 亩 each: 30, 15, 6, 9 万元/亩


def district(taxes: dict[int, float]):
    return build(
        enterprises=[{"uscc": uscc(n)} for n in taxes],
        annual=[{"uscc": uscc(n), "year": 2022, "tax_paid": t} for n, t in taxes.items()],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 6666.67,
                "floor_area_m2": 100.0,
            }
            for n in taxes
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 100.0}
            for n in taxes
        ],
    )


def _rows(ev) -> dict[str, dict]:
    return {r["uscc"]: r for r in ev.enterprises.iter_rows(named=True)}


def test_the_objector_is_scored_against_the_published_benchmark():
    published = evaluate(district(TAXES), 2022, M)
    before = _rows(published)
    bm = before[uscc(1)]["bm_tax_per_mu"]
    assert bm == pytest.approx(sum(TAXES.values()) / (4 * 10.000005))  # 15 万元/亩
    corrected = district({**TAXES, 3: 200.0})  # 20 万元/亩
    after = _rows(rescore(published, corrected, uscc(3)))
    assert after[uscc(3)]["score_tax_per_mu"] == pytest.approx(100 * (200 / 10.000005) / bm)
    assert after[uscc(3)]["grade"] == "B" and before[uscc(3)]["grade"] == "D"
    # everyone else exactly as published
    for n in (1, 2, 4):
        assert after[uscc(n)] == before[uscc(n)]
    # recomputing all moves the benchmark, and with it the others' scores
    recomputed = _rows(evaluate(corrected, 2022, M))
    assert recomputed[uscc(1)]["bm_tax_per_mu"] > bm
    assert recomputed[uscc(2)]["score_tax_per_mu"] < before[uscc(2)]["score_tax_per_mu"]


def test_the_published_order_is_kept_and_a_stranger_is_refused():
    published = evaluate(district(TAXES), 2022, M)
    out = rescore(published, district({**TAXES, 3: 200.0}), uscc(3))
    assert (
        out.enterprises.get_column("uscc").to_list()
        == published.enterprises.get_column("uscc").to_list()
    )
    assert out.benchmarks.equals(published.benchmarks)
    with pytest.raises(Exception, match="not in the published"):
        rescore(published, district(TAXES), uscc(9))
