"""Benchmarks and scores (mujun/engine/scoring.py): 分类分业 industry classes, the missing-denominator
rules and the share at the cap, each on a district small enough to work by hand.

One indicator (tax_per_mu, weight 100) unless said: a firm's score is 100 × its tax per mu ÷ its
benchmark. Every firm sits alone on its own 10-mu parcel, so tax per mu = tax ÷ 10.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factory import M2_PER_MU, build, uscc
from factory import simple as method

from mujun.engine import evaluate


def district(firms: dict[int, tuple[str, float]], scale="above", **annual: dict):
    """Firm n → (industry_code, tax), each alone on its own 10-mu parcel."""
    return build(
        enterprises=[{"uscc": uscc(n), "industry_code": code} for n, (code, _) in firms.items()],
        annual=[
            {"uscc": uscc(n), "tax_paid": t, "scale": scale, **annual.get(str(n), {})}
            for n, (_, t) in firms.items()
        ],
        parcels=[
            {"parcel_id": f"P{n}", "owner_uscc": uscc(n), "area_m2": 10 * M2_PER_MU}
            | {"floor_area_m2": 1000.0}
            for n in firms
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in firms
        ],
    )


def rows(ev):
    return {r["uscc"]: r for r in ev.enterprises.iter_rows(named=True)}


# six firms: chemicals (26) at 1, 2, 6 per mu; bearings (34) at 10, 20, 30 per mu
TWO_INDUSTRIES = {
    1: ("2614", 10.0),
    2: ("2614", 20.0),
    3: ("2614", 60.0),
    4: ("3451", 100.0),
    5: ("3451", 200.0),
    6: ("3451", 300.0),
}


def test_each_firm_is_benchmarked_against_the_median_of_its_industry():
    m = method(groups__above__benchmark="median", groups__above__classes={"min_firms": 3})
    ev = evaluate(district(TWO_INDUSTRIES), 2022, m)
    r = rows(ev)
    # 26: median of 1, 2, 6 = 2; 34: median of 10, 20, 30 = 20 (the list's median would be 8)
    assert [r[uscc(n)]["bm_tax_per_mu"] for n in (1, 3, 4, 6)] == [2.0, 2.0, 20.0, 20.0]
    assert [r[uscc(n)]["benchmark_class"] for n in (1, 4)] == ["26", "34"]
    assert r[uscc(1)]["score_tax_per_mu"] == pytest.approx(50)  # 1 ÷ 2
    assert r[uscc(6)]["score_tax_per_mu"] == pytest.approx(150)  # 30 ÷ 20
    table = ev.benchmarks.filter(group="above", indicator="tax_per_mu")
    assert table.select("industry_division", "benchmark", "peers").rows() == [
        (None, 8.0, 6),
        ("26", 2.0, 3),
        ("34", 20.0, 3),
    ]


def test_an_aggregate_class_benchmark_is_its_own_industrys_ratio():
    m = method(groups__above__benchmark="aggregate", groups__above__classes={"min_firms": 3})
    r = rows(evaluate(district(TWO_INDUSTRIES), 2022, m))
    assert r[uscc(1)]["bm_tax_per_mu"] == pytest.approx(90 / 30)
    assert r[uscc(4)]["bm_tax_per_mu"] == pytest.approx(600 / 30)


def test_small_classes_are_pooled_or_take_the_lists_benchmark():
    firms = {**TWO_INDUSTRIES, 7: ("3811", 40.0), 8: ("3911", 80.0), 9: ("3921", 120.0)}
    # 38 has one firm, 39 two: under 3 each → pooled: median of 4, 8, 12 = 8
    pooled = method(groups__above__benchmark="median", groups__above__classes={"min_firms": 3})
    r = rows(evaluate(district(firms), 2022, pooled))
    assert {r[uscc(n)]["benchmark_class"] for n in (7, 8, 9)} == {"pooled"}
    assert r[uscc(7)]["bm_tax_per_mu"] == 8.0 and r[uscc(7)]["score_tax_per_mu"] == 50
    # small = "group": the list's median over all nine (1, 2, 4, 6, 8, 10, 12, 20, 30) = 8 too;
    # drop firm 9 and the pooled class (two firms) is itself too small
    grouped = method(
        groups__above__benchmark="median",
        groups__above__classes={"min_firms": 3, "small": "group"},
    )
    r = rows(evaluate(district(firms), 2022, grouped))
    assert r[uscc(8)]["benchmark_class"] == "group" and r[uscc(8)]["bm_tax_per_mu"] == 8.0
    del firms[9]
    r = rows(evaluate(district(firms), 2022, pooled))
    assert r[uscc(7)]["benchmark_class"] == "group"
    assert r[uscc(7)]["bm_tax_per_mu"] == 7.0  # median of 1, 2, 4, 6, 8, 10, 20, 30: (6 + 8) ÷ 2


def test_merged_divisions_share_one_class():
    firms = {
        1: ("2511", 10.0),
        2: ("2614", 20.0),
        3: ("2614", 60.0),
        **{n: TWO_INDUSTRIES[n] for n in (4, 5, 6)},
    }
    m = method(
        groups__above__benchmark="median",
        groups__above__classes={"min_firms": 3, "merge": {"石化": ["25", "26"]}},
    )
    r = rows(evaluate(district(firms), 2022, m))
    assert r[uscc(1)]["benchmark_class"] == "石化" and r[uscc(1)]["bm_tax_per_mu"] == 2.0


def test_exempt_firms_neither_count_in_a_class_nor_get_one():
    firms = {**TWO_INDUSTRIES, 7: ("2614", 1000.0)}
    ds = district(firms)
    ds = build(
        enterprises=[
            {"uscc": uscc(n), "industry_code": code}
            | ({"established": dt.date(2022, 1, 1)} if n == 7 else {})
            for n, (code, _) in firms.items()
        ],
        annual=ds.annual.to_dicts(),
        parcels=ds.parcels.to_dicts(),
        occupancy=ds.occupancy.to_dicts(),
    )
    m = method(groups__above__benchmark="median", groups__above__classes={"min_firms": 3})
    r = rows(evaluate(ds, 2022, m))
    assert r[uscc(7)]["status"] == "exempt" and r[uscc(7)]["benchmark_class"] is None
    assert r[uscc(1)]["bm_tax_per_mu"] == 2.0  # still the median of 1, 2, 6


# --- a missing or zero denominator ---------------------------------------------------------------

SIX = [
    {"id": "tax_per_mu", "weight": 30},
    {"id": "va_per_mu", "weight": 20},
    {"id": "va_per_energy", "weight": 20},
    {"id": "va_per_emission", "weight": 10},
    {"id": "labour_productivity", "weight": 10},
    {"id": "rd_intensity", "weight": 10},
]


def test_no_data_names_the_missing_item_and_leaves_the_benchmark_alone():
    firms = {n: ("3451", 100.0 * n) for n in (1, 2, 3, 4)}
    annual = {"2": {"energy_tce": None}, "3": {"emissions_eq": None}, "4": {"employees": 0.0}}
    m = method(
        groups__above__indicators=SIX,
        scoring={"missing_denominator": "no_data", "group_average_for": ["va_per_emission"]},
    )
    ev = evaluate(district(firms, **annual), 2022, m)
    r = rows(ev)
    assert r[uscc(2)]["status"] == "no_data" and r[uscc(2)]["grade"] is None
    assert (
        r[uscc(2)]["reason"]
        == "energy_tce missing: va_per_energy cannot be computed (缺少数据，请核实)"
    )
    assert r[uscc(4)]["status"] == "no_data"
    assert "employees is 0: labour_productivity cannot be computed" in r[uscc(4)]["reason"]
    # 黄岩's rule for emissions only: firm 3 is evaluated with the average emissions score
    assert r[uscc(3)]["status"] == "evaluated"
    assert r[uscc(3)]["score_va_per_emission"] == pytest.approx(r[uscc(1)]["score_va_per_emission"])
    # the tax benchmark is over firms 1 and 3 only: (100 + 300) ÷ 20 mu
    assert r[uscc(1)]["bm_tax_per_mu"] == pytest.approx(20)


def test_the_old_rule_still_averages_every_missing_item():
    firms = {n: ("3451", 100.0 * n) for n in (1, 2, 3)}
    m = method(groups__above__indicators=SIX)
    r = rows(evaluate(district(firms, **{"2": {"energy_tce": None}}), 2022, m))
    assert r[uscc(2)]["status"] == "evaluated"
    assert r[uscc(2)]["score_va_per_energy"] == pytest.approx(20)  # 1 and 3 both at the benchmark


# --- at the cap ----------------------------------------------------------------------------------


def test_the_share_of_each_list_at_the_cap():
    # benchmark = (10 + 20 + 60 + 100) / 40 mu = 4.75 per mu; cap 1.5 × 100 = 150 points, reached
    # at 7.125 per mu: firms 3 (6/mu → 126) no, 4 (10/mu → 210) yes
    firms = {n: TWO_INDUSTRIES[n] for n in (1, 2, 3, 4)}
    ev = evaluate(district(firms), 2022, method(scoring={"cap": 1.5}))
    assert ev.at_cap().rows() == [("above", "tax_per_mu", 150.0, 4, 1, 0.25)]
    assert evaluate(district(firms), 2022, method()).at_cap().height == 0
