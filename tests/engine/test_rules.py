"""Each rule of the evaluation on the smallest district that shows it, numbers worked by hand.

Most tests use a one-indicator methodology (tax_per_mu, weight 100), so a firm's score is
100 × its tax per mu ÷ the benchmark and the arithmetic stays in the reader's head.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factory import M2_PER_MU, build, simple, uscc

from mujun.engine import EngineError, evaluate, evaluate_years


def own_parcels(taxes: dict[int, float], mu: float = 10, scale="above", year=2022, **annual):
    """Firms n → tax, each alone on its own parcel of `mu` mu."""
    return build(
        enterprises=[{"uscc": uscc(n)} for n in taxes],
        annual=[
            {"uscc": uscc(n), "tax_paid": t, "scale": scale, "year": year, **annual}
            for n, t in taxes.items()
        ],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": mu * M2_PER_MU,
                "floor_area_m2": 1000.0,
            }
            for n in taxes
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in taxes
        ],
    )


def result_rows(ev):
    return {r["uscc"]: r for r in ev.enterprises.iter_rows(named=True)}


# --- grades ------------------------------------------------------------------------------------


def test_rank_shares_on_twenty_firms():
    ds = own_parcels({n: float(100 - n) for n in range(1, 21)})
    rows = result_rows(evaluate(ds, 2022, simple()))
    grades = "".join(rows[uscc(n)]["grade"] for n in range(1, 21))
    assert grades == "AAAAA" + "B" * 9 + "CCCCC" + "D"
    assert [rows[uscc(n)]["rank"] for n in (1, 5, 6, 20)] == [1, 5, 6, 20]


def test_ties_at_a_cut_go_to_the_better_grade():
    taxes = {n: float(100 - n) for n in range(1, 21)}
    taxes[6] = taxes[5]  # the 6th ties the 5th, the last A
    rows = result_rows(evaluate(own_parcels(taxes), 2022, simple()))
    assert rows[uscc(5)]["grade"] == rows[uscc(6)]["grade"] == "A"
    assert rows[uscc(5)]["rank"] == rows[uscc(6)]["rank"] == 5
    assert rows[uscc(7)]["rank"] == 7 and rows[uscc(7)]["grade"] == "B"


def test_grades_by_thresholds_compare_unrounded_scores():
    # benchmark = (10 + 9 + 5) × 10 / 30 mu = 8 → scores 125, 112.5, 62.5
    ds = own_parcels({1: 100.0, 2: 90.0, 3: 50.0})
    m = simple(
        grading={"method": "thresholds", "thresholds": {"A": 125.0, "B": 112.5000001, "C": 62.5}}
    )
    rows = result_rows(evaluate(ds, 2022, m))
    assert [rows[uscc(n)]["total_score"] for n in (1, 2, 3)] == pytest.approx([125, 112.5, 62.5])
    assert [rows[uscc(n)]["grade"] for n in (1, 2, 3)] == ["A", "C", "C"]


def test_cap_and_floor():
    # benchmark = (100 + 0) / 20 mu = 5; firm 1 at 10/mu would score 200, capped at 1.5 × 100
    ds = own_parcels({1: 100.0, 2: 0.0})
    rows = result_rows(evaluate(ds, 2022, simple(scoring={"cap": 1.5})))
    assert rows[uscc(1)]["score_tax_per_mu"] == 150
    assert rows[uscc(2)]["score_tax_per_mu"] == 0


def test_negative_adjusted_tax_is_floored_at_zero():
    ds = own_parcels({1: 100.0, 2: 10.0}, one_off_tax=0.0)
    ds = build(
        enterprises=[{"uscc": uscc(1)}, {"uscc": uscc(2)}],
        annual=[
            {"uscc": uscc(1), "tax_paid": 100.0},
            {"uscc": uscc(2), "tax_paid": 10.0, "one_off_tax": 30.0},
        ],
        parcels=ds.parcels.to_dicts(),
        occupancy=ds.occupancy.to_dicts(),
    )
    rows = result_rows(evaluate(ds, 2022, simple()))
    assert rows[uscc(2)]["adjusted_tax"] == -20
    assert rows[uscc(2)]["score_tax_per_mu"] == 0


# --- benchmarks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "benchmark"),
    [("aggregate", (10 + 20 + 60) / (10 + 10 + 10)), ("mean", (1 + 2 + 6) / 3), ("median", 2.0)],
)
def test_benchmark_methods(method, benchmark):
    ds = own_parcels({1: 10.0, 2: 20.0, 3: 60.0})  # 10 mu each → 1, 2, 6 per mu
    ev = evaluate(ds, 2022, simple(groups__above__benchmark=method))
    rows = result_rows(ev)
    assert rows[uscc(1)]["score_tax_per_mu"] == pytest.approx(100 * 1 / benchmark)
    bm = ev.benchmarks.filter(group="above", indicator="tax_per_mu").row(0, named=True)
    assert bm["benchmark"] == pytest.approx(benchmark) and bm["peers"] == 3


def test_fixed_benchmark_and_a_year_without_one():
    m = simple(
        groups__above__indicators=[{"id": "tax_per_mu", "weight": 100, "fixed": {2022: 4.0}}],
        groups__above__benchmark="fixed",
    )
    ds = own_parcels({1: 10.0, 2: 20.0})
    assert result_rows(evaluate(ds, 2022, m))[uscc(2)]["score_tax_per_mu"] == pytest.approx(50)
    with pytest.raises(EngineError, match="no fixed benchmark for 2021"):
        evaluate(own_parcels({1: 10.0}, year=2021), 2021, m)


def test_industry_division_benchmark_with_too_few_peers_falls_back():
    firms = {1: ("2614", 20.0), 2: ("2614", 40.0), 3: ("3451", 10.0)}
    ds = own_parcels({n: t for n, (_, t) in firms.items()})
    ds = build(
        enterprises=[{"uscc": uscc(n), "industry_code": code} for n, (code, _) in firms.items()],
        annual=ds.annual.to_dicts(),
        parcels=ds.parcels.to_dicts(),
        occupancy=ds.occupancy.to_dicts(),
    )
    m = simple(groups__above__benchmark="industry_division", groups__above__min_peers=2)
    rows = result_rows(evaluate(ds, 2022, m))
    # division 26 has two firms: benchmark (20 + 40) / 20 mu = 3; division 34 has one → district 70/30
    assert rows[uscc(1)]["score_tax_per_mu"] == pytest.approx(100 * 2 / 3)
    assert rows[uscc(3)]["score_tax_per_mu"] == pytest.approx(100 * 1 / (70 / 30))


# --- statuses ----------------------------------------------------------------------------------


def test_exemptions_each_with_its_reason():
    ds = build(
        enterprises=[
            {"uscc": uscc(1)},
            {"uscc": uscc(2), "industry_code": "4411"},  # 火力发电: a utility
            {"uscc": uscc(3)},
            {"uscc": uscc(4)},
        ],
        annual=[{"uscc": uscc(n), "tax_paid": 50.0} for n in range(1, 5)],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 10 * M2_PER_MU,
                "floor_area_m2": 1000.0,
                "granted_on": dt.date(2021, 6, 1) if n == 4 else dt.date(2005, 1, 1),
            }
            for n in range(1, 5)
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2005, "floor_area_m2": 1000.0}
            for n in range(1, 5)
        ],
        events=[{"uscc": uscc(3), "year": 2022, "kind": "relocation"}],
    )
    rows = result_rows(evaluate(ds, 2022, simple()))
    assert rows[uscc(1)]["status"] == "evaluated"
    assert (
        rows[uscc(2)]["status"] == "exempt" and "utility industry 4411" in rows[uscc(2)]["reason"]
    )
    assert rows[uscc(3)]["status"] == "exempt" and "relocation in 2022" in rows[uscc(3)]["reason"]
    assert (
        rows[uscc(4)]["status"] == "exempt"
        and "granted less than 3 years ago" in rows[uscc(4)]["reason"]
    )
    # exempt firms are not in the benchmark: firm 1 alone sets it
    assert rows[uscc(1)]["score_tax_per_mu"] == pytest.approx(100)


def test_no_land_and_no_data_are_listed_not_dropped():
    ds = build(
        enterprises=[{"uscc": uscc(1)}, {"uscc": uscc(2)}, {"uscc": uscc(3)}],
        annual=[
            {"uscc": uscc(1)},
            {"uscc": uscc(2), "scale": "below"},  # no parcel, no occupancy
            {"uscc": uscc(3), "tax_paid": None},
        ],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 6000.0,
                "floor_area_m2": 6000.0,
            }
            for n in (1, 3)
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 6000.0}
            for n in (1, 3)
        ],
    )
    rows = result_rows(evaluate(ds, 2022, simple()))
    assert len(rows) == 3
    assert (rows[uscc(2)]["status"], rows[uscc(2)]["list"], rows[uscc(2)]["grade"]) == (
        "no_land",
        "below_small",
        None,
    )
    assert "no land in 2022" in rows[uscc(2)]["reason"]
    assert rows[uscc(3)]["status"] == "no_data" and "tax_paid missing" in rows[uscc(3)]["reason"]


def test_a_year_without_data_is_refused():
    with pytest.raises(EngineError, match="no annual rows for 2019"):
        evaluate(own_parcels({1: 10.0}), 2019, simple())


# --- land: landlords and tenant policies -------------------------------------------------------


def landlord_district():
    """Owner 1 on P1 (20 mu) uses half and rents half to tenant 2, who pays little; firms 3–5 sit
    alone on their own 10 mu parcels. 规下 firm 6 owns 5 mu and is a sixth reference."""
    firms = {1: 200.0, 2: 5.0, 3: 150.0, 4: 100.0, 5: 50.0}
    return build(
        enterprises=[{"uscc": uscc(n)} for n in firms],
        annual=[
            {"uscc": uscc(n), "tax_paid": t, "scale": "below" if n == 2 else "above"}
            for n, t in firms.items()
        ],
        parcels=[
            {
                "parcel_id": "P1",
                "owner_uscc": uscc(1),
                "area_m2": 20 * M2_PER_MU,
                "floor_area_m2": 2000.0,
            },
            *[
                {
                    "parcel_id": f"P{n}",
                    "owner_uscc": uscc(n),
                    "area_m2": 10 * M2_PER_MU,
                    "floor_area_m2": 1000.0,
                }
                for n in (3, 4, 5)
            ],
        ],
        occupancy=[
            {"parcel_id": "P1", "uscc": uscc(1), "year_from": 2000, "floor_area_m2": 1000.0},
            {"parcel_id": "P1", "uscc": uscc(2), "year_from": 2000, "floor_area_m2": 1000.0},
            *[
                {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
                for n in (3, 4, 5)
            ],
        ],
    )


def test_landlord_answers_for_its_parcel():
    # 规上 per mu: firm 1 200 / 10 mu = 20 (the tenant holds the other 10 mu of P1), 3: 15, 4: 10, 5: 5
    m = simple(grading={"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 50}})
    ev = evaluate(landlord_district(), 2022, m)
    rows = result_rows(ev)
    # 规上 benchmark (200 + 150 + 100 + 50) / (10 + 10 + 10 + 10) = 12.5 → firm 1 scores 160: A
    assert rows[uscc(1)]["own_grade"] == "A"
    # parcel benchmark (205 + 150 + 100 + 50) / (20 + 30) = 10.1 → P1 scores 10.25 / 10.1 × 100 = 101.5: B
    p1 = ev.parcels.filter(parcel_id="P1").row(0, named=True)
    assert p1["total_score"] == pytest.approx(100 * 10.25 / 10.1)
    assert p1["grade"] == "B"
    assert rows[uscc(1)]["parcel_grade"] == "B"
    assert rows[uscc(1)]["grade"] == "B"
    assert "grade lowered from A to B by parcel P1" in rows[uscc(1)]["reason"]
    # a firm alone on its parcel is no landlord: its own grade stands
    assert rows[uscc(5)]["grade"] == rows[uscc(5)]["own_grade"]
    off = simple(
        grading=m.grading.model_dump(),
        land={
            "landlords_answer": False,
            "parcel_indicators": [{"id": "tax_per_mu", "weight": 100}],
        },
    )
    assert result_rows(evaluate(landlord_district(), 2022, off))[uscc(1)]["grade"] == "A"


@pytest.mark.parametrize("policy", ["separate", "inherit", "merged"])
def test_tenant_policies(policy):
    m = simple(
        grading={"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 50}},
        land={"tenant_policy": policy, "parcel_indicators": [{"id": "tax_per_mu", "weight": 100}]},
    )
    rows = result_rows(evaluate(landlord_district(), 2022, m))
    tenant = rows[uscc(2)]
    assert tenant["list"] == "tenant"
    # alone in the 规下 group, the tenant sets its own benchmark: score 100 → B on its own
    assert tenant["own_grade"] == "B"
    if policy == "separate":
        assert tenant["grade"] == "B" and tenant["total_score"] == pytest.approx(100)
    elif policy == "inherit":
        assert tenant["grade"] == "B"  # P1's grade, B here too (see the next test for a difference)
        assert "takes parcel P1's grade B" in tenant["reason"]
        assert tenant["total_score"] == pytest.approx(100)
    else:
        assert tenant["grade"] == "B" and "shares parcel P1's grade B" in tenant["reason"]
        assert tenant["total_score"] == pytest.approx(100 * 10.25 / 10.1)


def test_inherit_gives_the_tenant_its_parcels_grade():
    m = simple(
        grading={"method": "thresholds", "thresholds": {"A": 150, "B": 101.6, "C": 50}},
        land={
            "tenant_policy": "inherit",
            "parcel_indicators": [{"id": "tax_per_mu", "weight": 100}],
        },
    )
    rows = result_rows(evaluate(landlord_district(), 2022, m))
    # the tenant's own 100 is C under these thresholds; P1 scores 101.49, C as well
    assert rows[uscc(2)]["own_grade"] == "C" and rows[uscc(2)]["grade"] == "C"
    m2 = simple(
        grading={"method": "thresholds", "thresholds": {"A": 150, "B": 101, "C": 50}},
        land={
            "tenant_policy": "inherit",
            "parcel_indicators": [{"id": "tax_per_mu", "weight": 100}],
        },
    )
    rows = result_rows(evaluate(landlord_district(), 2022, m2))
    assert rows[uscc(2)]["own_grade"] == "C"  # 100 < 101
    assert rows[uscc(2)]["grade"] == "B"  # P1 101.49 ≥ 101


# --- policy amounts ----------------------------------------------------------------------------


def test_electricity_surcharge_three_year_rule():
    # firm 2 pays nothing every year → D (thresholds) in 2020, 2021 and 2022
    years = (2020, 2021, 2022)
    ds = build(
        enterprises=[{"uscc": uscc(1)}, {"uscc": uscc(2)}],
        annual=[
            {"uscc": uscc(n), "year": y, "tax_paid": 100.0 if n == 1 else 0.0}
            for n in (1, 2)
            for y in years
        ],
        parcels=[
            {"parcel_id": f"P{n}", "owner_uscc": uscc(n), "area_m2": 6000.0, "floor_area_m2": 100.0}
            for n in (1, 2)
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 100.0}
            for n in (1, 2)
        ],
    )
    m = simple(grading={"method": "thresholds", "thresholds": {"A": 150, "B": 100, "C": 50}})
    results = evaluate_years(ds, list(years), m)
    rates = [result_rows(results[y])[uscc(2)]["surcharge_rate"] for y in years]
    assert rates == [0.3, 0.3, 0.4]
    assert result_rows(results[2022])[uscc(2)]["surcharge"] == pytest.approx(0.4 * 1_000_000 / 1e4)
    assert result_rows(results[2022])[uscc(1)]["surcharge"] == 0.0
    # a single-year evaluation looks back by itself and agrees
    alone = evaluate(ds, 2022, m)
    assert alone.enterprises.equals(results[2022].enterprises)


def test_output_keeps_the_contract_columns_first():
    ev = evaluate(own_parcels({1: 10.0}), 2022, simple())
    assert ev.enterprises.columns[:10] == [
        "uscc",
        "name",
        "year",
        "group",
        "list",
        "division_code",
        "industry_code",
        "land_mu",
        "tax_paid",
        "adjusted_tax",
    ]
    i = ev.enterprises.columns.index("total_score")
    assert ev.enterprises.columns[i : i + 5] == ["total_score", "grade", "status", "reason", "rank"]
    assert ev.enterprises.columns[10:i] == ["ind_tax_per_mu", "score_tax_per_mu"]


def test_a_vanishing_denominator_is_treated_as_zero_not_as_infinity():
    ds = own_parcels({1: 10.0, 2: 20.0}, scale="below", electricity_kwh=1e-308)
    rows = result_rows(
        evaluate(
            ds,
            2022,
            simple(
                groups__below__indicators=[
                    {"id": "tax_per_mu", "weight": 50},
                    {"id": "tax_per_kwh", "weight": 50},
                ]
            ),
        )
    )
    for n in (1, 2):
        assert rows[uscc(n)]["ind_tax_per_kwh"] is None
        assert rows[uscc(n)]["score_tax_per_kwh"] == 0.0  # no firm has a value: the average is 0
        assert rows[uscc(n)]["total_score"] == pytest.approx(50 * n * 10 / 10 / 1.5)


def test_a_confirmed_land_area_replaces_the_allocated_one():
    """用地面积确认 (遂昌, 海曙 "一企一单"): firm 2 confirms 8 亩 where its parcel allocates 10."""
    import datetime as dt

    ds = own_parcels({1: 100.0, 2: 100.0})
    confirmed = build(
        enterprises=ds.enterprises.to_dicts(),
        annual=ds.annual.to_dicts(),
        parcels=ds.parcels.to_dicts(),
        occupancy=ds.occupancy.to_dicts(),
        land_confirmations=[
            {"uscc": uscc(2), "year": 2022, "land_mu": 8.0, "confirmed_on": dt.date(2022, 12, 1)}
        ],
    )
    rows = result_rows(evaluate(confirmed, 2022, simple()))
    assert rows[uscc(1)]["land_mu"] == pytest.approx(10.0)
    assert rows[uscc(2)]["land_mu"] == pytest.approx(8.0)
    assert rows[uscc(2)]["ind_tax_per_mu"] == pytest.approx(100.0 / 8.0)
    assert "land confirmed at 8.0 亩 (allocated 10.0) (用地面积确认)" in rows[uscc(2)]["reason"]
    # without the confirmation, the allocated area
    assert result_rows(evaluate(ds, 2022, simple()))[uscc(2)]["land_mu"] == pytest.approx(10.0)
