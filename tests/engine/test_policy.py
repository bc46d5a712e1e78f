"""Policy by grade, worked by hand: the electricity surcharge's refund for firms that improve (慈溪
2024), no stacking with another punitive tariff, who it reaches (vetoed firms, tenants), and the
preset's other levers (用能 quota cuts, priority land).

Two firms alone on their own 9-亩 parcels (6,000 m²), 1,000 tce and 1,000,000 kWh each; graded on
亩均税收 alone against the list's aggregate, by score thresholds A ≥ 150, B ≥ 100, C ≥ 50, else D.
Firm 1 pays 100 every year. Firm 2 pays 0 in 2021 (score 0: D) and 100 in 2022 (both at the
benchmark, score 100: B).
"""

from __future__ import annotations

import pytest
from factory import build, simple, uscc

from mujun.engine import evaluate_years
from mujun.engine.methodology import Methodology

YEARS = (2021, 2022)


def _method(**policy) -> Methodology:
    return simple(
        grading={"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 50}},
        policy=policy,
    )


def _district(tax_2022: float = 100.0, events=()):
    return build(
        enterprises=[{"uscc": uscc(1)}, {"uscc": uscc(2)}],
        annual=[
            {"uscc": uscc(1), "year": 2021, "tax_paid": 100.0},
            {"uscc": uscc(1), "year": 2022, "tax_paid": 100.0},
            {"uscc": uscc(2), "year": 2021, "tax_paid": 0.0},
            {"uscc": uscc(2), "year": 2022, "tax_paid": tax_2022},
        ],
        parcels=[
            {"parcel_id": f"P{n}", "owner_uscc": uscc(n), "area_m2": 6000.0, "floor_area_m2": 100.0}
            for n in (1, 2)
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 100.0}
            for n in (1, 2)
        ],
        events=list(events),
    )


def _rows(ds, m, year=2022) -> dict[str, dict]:
    frame = evaluate_years(ds, list(YEARS), m)[year].enterprises
    return {r["uscc"]: r for r in frame.iter_rows(named=True)}


def test_a_firm_that_leaves_d_gets_part_of_the_surcharge_back():
    m = _method(electricity_surcharge={"refund_share": 0.5})
    before = _rows(_district(), m, 2021)
    assert before[uscc(2)]["grade"] == "D" and before[uscc(2)]["surcharge"] == pytest.approx(30.0)
    now = _rows(_district(), m)
    assert now[uscc(2)]["grade"] == "B" and now[uscc(2)]["surcharge"] == 0.0
    # half of a year at 0.3 元/kWh on 1,000,000 kWh = 15 万元
    assert now[uscc(2)]["surcharge_refund"] == pytest.approx(0.5 * 0.3 * 1_000_000 / 10_000)
    assert now[uscc(1)]["surcharge_refund"] == 0.0  # never surcharged: nothing to return
    # still D: no refund
    still = _rows(_district(tax_2022=0.0), m)
    assert still[uscc(2)]["grade"] == "D" and still[uscc(2)]["surcharge_refund"] == 0.0
    # no refund unless the preset gives one
    assert _rows(_district(), _method())[uscc(2)]["surcharge_refund"] is None


def test_no_stacking_with_another_punitive_tariff():
    """山东 2022: a firm already under another punitive tariff is not surcharged twice."""
    tariff = [{"uscc": uscc(2), "year": 2022, "kind": "punitive_tariff"}]
    m = _method(electricity_surcharge={"not_with_events": ["punitive_tariff"]})
    stacked = _rows(_district(tax_2022=0.0, events=tariff), m)
    assert stacked[uscc(2)]["grade"] == "D" and stacked[uscc(2)]["surcharge"] == 0.0
    alone = _rows(_district(tax_2022=0.0), m)
    assert alone[uscc(2)]["surcharge"] == pytest.approx(30.0)


def test_what_a_vetoed_firm_gets_is_the_presets_choice():
    veto = [{"uscc": uscc(1), "year": 2022, "kind": "env_major"}]
    charged = _rows(_district(events=veto), _method())
    assert charged[uscc(1)]["status"] == "vetoed" and charged[uscc(1)][
        "surcharge"
    ] == pytest.approx(30.0)
    spared = _rows(_district(events=veto), _method(electricity_surcharge={"vetoed": False}))
    assert spared[uscc(1)]["grade"] == "D" and spared[uscc(1)]["surcharge"] == 0.0


def test_levers_by_grade():
    m = _method(
        levers=[
            {
                "id": "energy_quota_cut",
                "name": "用能指标削减",
                "unit": "吨标煤",
                "base": "energy_tce",
                "grades": {"C": 0.05, "D": 0.10},
                "source": "test",
            },
            {
                "id": "land_priority",
                "name": "用地优先",
                "unit": "1 = 有",
                "grades": {"B": 1.0},
                "source": "test",
            },
        ]
    )
    rows = _rows(_district(tax_2022=0.0), m)
    assert rows[uscc(2)]["grade"] == "D"
    assert rows[uscc(2)]["lever_energy_quota_cut"] == pytest.approx(0.10 * 1000.0)
    assert rows[uscc(2)]["lever_land_priority"] == 0.0
    assert rows[uscc(1)]["grade"] == "A"  # alone at the benchmark with firm 2 at 0: score 200
    assert rows[uscc(1)]["lever_energy_quota_cut"] == 0.0
    both = _rows(_district(), m)
    assert (
        both[uscc(1)]["lever_land_priority"] == 1.0 and both[uscc(2)]["lever_land_priority"] == 1.0
    )
    with pytest.raises(ValueError, match="listed twice"):
        _method(levers=[m.policy.levers[0].model_dump()] * 2)


def test_a_typo_in_the_no_stacking_events_is_refused():
    with pytest.raises(ValueError, match="unknown event kind 'punitive_tarif'"):
        _method(electricity_surcharge={"not_with_events": ["punitive_tarif"]})
