"""A small district worked by hand, evaluated with the `zhenhai-v1` test preset (one aggregate
benchmark per group, cap 3×, rank shares, average scores for missing denominators); every number
asserted.

Eight firms in 2022 (land in 亩 = mu; money in 万元):
- L  规上 landlord of P1 (30 mu, 30,000 m² floor): uses 15,000 m², rents 6,000 m² to T1 and
     3,000 m² to T2, leaves 6,000 m² vacant → L answers for 15 + 6 = 21 mu.
- F  规上 owner of P2 (16 mu, 16,000 m²): uses 12,000 m² (12 mu), rents 4,000 m² to T2 (4 mu);
     pays 150 tax but 75 of fixed-asset input VAT is added back (adjusted 225); 高新技术企业 (+3).
- V  规上 on P3 (10 mu), a fatal accident in 2022: vetoed, forced to D (still scored).
- N  规上 on P4 (12 mu), registered 2021-03-01: exempt (less than 2 years).
- M  规上 on P5 (20 mu), no emissions figure: gets the group's average emissions score; a minor
     environmental violation (−5).
- Z  规下 owning P6 (4.5 mu ≥ 3 → list `below`), electricity 0: a zero denominator.
- T1 规下 tenant on P1 (6 mu).
- T2 规下 tenant on P1 (3 mu) and P2 (4 mu): 7 mu, main parcel P2.
"""

from __future__ import annotations

import polars as pl
import pytest
from factory import M2_PER_MU, ZHENHAI_V1
from hand_district import T1, T2, YEAR, F, L, M, N, V, Z, district

from mujun.engine import evaluate
from mujun.methodologies import load_methodology


@pytest.fixture(scope="module")
def result():
    return evaluate(district(), YEAR, load_methodology(ZHENHAI_V1))


@pytest.fixture(scope="module")
def rows(result):
    return {r["uscc"]: r for r in result.enterprises.iter_rows(named=True)}


# --- benchmarks by hand: aggregate ratios over the scorable 规上 firms L, F, V, M (N exempt) ------
TAX = {L: 420, F: 150 + 75, V: 100, M: 200}
LAND = {L: 21, F: 12, V: 10, M: 20, N: 12, Z: 4.5, T1: 6, T2: 7}
BM_TAX = (420 + 225 + 100 + 200) / (21 + 12 + 10 + 20)  # = 15
BM_VA = (2100 + 1200 + 1000 + 1600) / 63
BM_ENERGY = 5900 / (1050 + 600 + 1000 + 800)
BM_EMISSION = (2100 + 1200 + 1000) / (0.7 + 0.6 + 1.0)  # M has no emissions figure
BM_LABOUR = 5900 / (105 + 60 + 100 + 80)
BM_RD = (315 + 50 + 150 + 120) / (10500 + 5000 + 5000 + 4000)

SCORES = {
    L: [
        30 * 20 / BM_TAX,
        20 * 100 / BM_VA,
        20 * 2 / BM_ENERGY,
        10 * 3000 / BM_EMISSION,
        10 * 20 / BM_LABOUR,
        10 * 0.03 / BM_RD,
    ],
    F: [
        30 * 18.75 / BM_TAX,
        20 * 100 / BM_VA,
        20 * 2 / BM_ENERGY,
        10 * 2000 / BM_EMISSION,
        10 * 20 / BM_LABOUR,
        10 * 0.01 / BM_RD,
    ],
    V: [
        30 * 10 / BM_TAX,
        20 * 100 / BM_VA,
        20 * 1 / BM_ENERGY,
        10 * 1000 / BM_EMISSION,
        10 * 10 / BM_LABOUR,
        10 * 0.03 / BM_RD,
    ],
}
EMISSION_AVERAGE = (SCORES[L][3] + SCORES[F][3] + SCORES[V][3]) / 3
SCORES[M] = [
    30 * 10 / BM_TAX,
    20 * 80 / BM_VA,
    20 * 2 / BM_ENERGY,
    EMISSION_AVERAGE,
    10 * 20 / BM_LABOUR,
    10 * 0.03 / BM_RD,
]
BONUS = {F: 3.0}
DEDUCTION = {M: 5.0}
ABOVE_IDS = [
    "tax_per_mu",
    "va_per_mu",
    "va_per_energy",
    "va_per_emission",
    "labour_productivity",
    "rd_intensity",
]

# 规下: Z, T1, T2 — tax_per_mu and tax_per_kwh (万元 per 万kWh)
BM_BELOW_TAX = (18 + 30 + 14) / (4.5 + 6 + 7)
BM_KWH = (30 + 14) / (100 + 70)  # Z's electricity is 0: not a division
BELOW = {
    T1: [50 * 5 / BM_BELOW_TAX, 50 * 0.3 / BM_KWH],
    T2: [50 * 2 / BM_BELOW_TAX, 50 * 0.2 / BM_KWH],
}
BELOW[Z] = [50 * 4 / BM_BELOW_TAX, (BELOW[T1][1] + BELOW[T2][1]) / 2]


def total(u):
    scores = SCORES.get(u) or BELOW[u]
    return sum(scores) + BONUS.get(u, 0) - DEDUCTION.get(u, 0)


def test_every_enterprise_once_with_its_list_and_status(rows):
    assert len(rows) == 8
    assert {u: (r["group"], r["list"], r["status"]) for u, r in rows.items()} == {
        L: ("above", "above", "evaluated"),
        F: ("above", "above", "evaluated"),
        V: ("above", "above", "vetoed"),
        N: ("above", "above", "exempt"),
        M: ("above", "above", "evaluated"),
        Z: ("below", "below", "evaluated"),
        T1: ("below", "tenant", "evaluated"),
        T2: ("below", "tenant", "evaluated"),
    }


def test_land_allocation_keeps_vacancy_with_the_owner(result, rows):
    for u, mu in LAND.items():
        assert rows[u]["land_mu"] == pytest.approx(mu, rel=1e-12), u
    assert rows[L]["vacant_mu"] == pytest.approx(6)
    assert rows[L]["landlord"] and rows[F]["landlord"] and not rows[M]["landlord"]
    assert rows[T2]["main_parcel"] == "P2"
    alloc = result.allocation.group_by("parcel_id").agg(pl.col("land_m2").sum()).sort("parcel_id")
    assert alloc.get_column("land_m2").to_list() == pytest.approx(
        [a * M2_PER_MU for a in (30, 16, 10, 12, 20, 4.5)]
    )


def test_refined_tax_adds_back_fixed_asset_vat(rows):
    assert rows[F]["tax_paid"] == 150
    assert rows[F]["adjusted_tax"] == 225
    assert rows[F]["ind_tax_per_mu"] == pytest.approx(18.75)


def test_above_scale_indicators_and_scores(rows):
    for u in (L, F, V, M):
        got = [rows[u][f"score_{i}"] for i in ABOVE_IDS]
        assert got == pytest.approx(SCORES[u], rel=1e-12), u
        assert rows[u]["total_score"] == pytest.approx(total(u), rel=1e-12), u
    assert rows[L]["ind_tax_per_mu"] == pytest.approx(20)
    assert rows[L]["ind_va_per_mu"] == pytest.approx(100)
    assert rows[L]["ind_va_per_energy"] == pytest.approx(2)
    assert rows[L]["ind_va_per_emission"] == pytest.approx(3000)
    assert rows[L]["ind_labour_productivity"] == pytest.approx(20)
    assert rows[L]["ind_rd_intensity"] == pytest.approx(0.03)
    assert rows[M]["ind_va_per_emission"] is None
    assert "emissions_eq missing" in rows[M]["reason"]
    assert "deduction env_minor −5" in rows[M]["reason"]
    assert "bonus high_tech +3" in rows[F]["reason"]


def test_below_scale_scores_and_zero_denominator(rows):
    for u in (Z, T1, T2):
        assert [rows[u]["score_tax_per_mu"], rows[u]["score_tax_per_kwh"]] == pytest.approx(
            BELOW[u]
        )
        assert rows[u]["score_va_per_mu"] is None  # not a 规下 indicator
    assert rows[Z]["ind_tax_per_kwh"] is None
    assert "electricity_kwh is 0" in rows[Z]["reason"]
    assert rows[T1]["ind_tax_per_kwh"] == pytest.approx(0.3)


def test_grades_ranks_veto_and_exemption(rows):
    # 规上 evaluated: L (1st of 3 → A), F (2nd: 1 of 3 ahead < 70 % → B), M (3rd: 2 of 3 < 70 % → B)
    assert total(L) > total(F) > total(M)
    got = {u: (rows[u]["grade"], rows[u]["rank"]) for u in rows}
    assert got == {
        L: ("A", 1),
        F: ("B", 2),
        M: ("B", 3),
        V: ("D", 4),
        N: (None, None),
        Z: ("A", 1),
        T1: ("A", 1),
        T2: ("B", 2),
    }
    assert "safety_fatal" in rows[V]["reason"] and "一票否决" in rows[V]["reason"]
    assert rows[V]["total_score"] == pytest.approx(sum(SCORES[V]))
    assert rows[N]["total_score"] is None
    assert "registered 2021-03-01, less than 2 years before 2022" in rows[N]["reason"]


def test_parcel_view(result):
    p = {r["parcel_id"]: r for r in result.parcels.iter_rows(named=True)}
    # attributed tax: T2's 14 splits 3/7 to P1 and 4/7 to P2
    tax = {"P1": 420 + 30 + 6, "P2": 225 + 8, "P3": 100, "P4": 60, "P5": 200, "P6": 18}
    va = {"P1": 2100 + 300 + 60, "P2": 1200 + 80, "P3": 1000, "P4": 600, "P5": 1600, "P6": 180}
    area = {"P1": 30, "P2": 16, "P3": 10, "P4": 12, "P5": 20, "P6": 4.5}
    for pid in tax:
        assert p[pid]["tax_per_mu"] == pytest.approx(tax[pid] / area[pid]), pid
        assert p[pid]["value_added_per_mu"] == pytest.approx(va[pid] / area[pid]), pid
        assert p[pid]["area_mu"] == pytest.approx(area[pid])
    assert p["P1"]["occupants"] == 3 and p["P1"]["vacant_share"] == pytest.approx(0.2)
    assert p["P2"]["occupied_share"] == pytest.approx(1.0)
    graded = ["P1", "P2", "P3", "P5", "P6"]  # P4's only firm is exempt
    bm_tax = sum(tax[g] for g in graded) / sum(area[g] for g in graded)
    bm_va = sum(va[g] for g in graded) / sum(area[g] for g in graded)
    for pid in graded:
        expected = 60 * tax[pid] / area[pid] / bm_tax + 40 * va[pid] / area[pid] / bm_va
        assert p[pid]["total_score"] == pytest.approx(expected), pid
    # five parcels: A if fewer than 1.25 ahead, B < 3.5, C < 4.75
    assert {pid: p[pid]["grade"] for pid in p} == {
        "P1": "A",
        "P2": "A",
        "P3": "B",
        "P5": "B",
        "P6": "C",
        "P4": None,
    }
    assert p["P4"]["reason"].startswith("every enterprise on it is exempt")


def test_rd_test_and_policy_amounts(rows):
    assert {u: rows[u]["rd_test"] for u in rows} == {
        L: "pass",
        F: "fail",
        V: "pass",
        N: "pass",
        M: "pass",
        Z: None,
        T1: None,
        T2: None,
    }
    # D (vetoed) V pays +0.3 元/kWh on 800,000 kWh = 24 万元; no earlier years → first D year
    assert rows[V]["surcharge_rate"] == 0.3
    assert rows[V]["surcharge"] == pytest.approx(24.0)
    assert rows[L]["surcharge"] == 0.0 and rows[N]["surcharge_rate"] is None
    # land-use-tax relief against industry 34's aggregate tax per mu over every scorable firm
    industry = (945 + 62) / (63 + 17.5)
    assert rows[L]["industry_tax_per_mu"] == pytest.approx(industry)
    own_tax = {L: 30, F: 16}  # 万元 of land-use tax at 6 元/m² on own land: mu × 666.67 × 6 / 10⁴
    assert rows[L]["land_tax_relief_share"] == 0.6  # 20 / 12.51 = 1.6× the industry
    assert rows[L]["land_tax_relief"] == pytest.approx(0.6 * own_tax[L] * M2_PER_MU * 6 / 1e4)
    assert rows[F]["land_tax_relief"] == pytest.approx(0.6 * own_tax[F] * M2_PER_MU * 6 / 1e4)
    assert rows[M]["land_tax_relief_share"] == 0.0  # 10 / 12.51 < 1
    assert rows[V]["land_tax_relief"] is None and rows[N]["land_tax_relief"] is None


def test_without_the_vat_add_back_the_investing_firm_scores_lower(result, rows):
    m = load_methodology(ZHENHAI_V1)
    plain = m.model_copy(update={"tax": m.tax.model_copy(update={"fixed_asset_vat_credit": False})})
    other = {
        r["uscc"]: r for r in evaluate(district(), YEAR, plain).enterprises.iter_rows(named=True)
    }
    assert other[F]["adjusted_tax"] == 150
    bm = (420 + 150 + 100 + 200) / 63
    assert other[F]["score_tax_per_mu"] == pytest.approx(30 * 12.5 / bm)
    assert other[F]["score_tax_per_mu"] < rows[F]["score_tax_per_mu"]
    # only the tax term moved: the other five scores of F are unchanged
    for i in ABOVE_IDS[1:]:
        assert other[F][f"score_{i}"] == rows[F][f"score_{i}"]


def test_the_shipped_zhenhai_on_the_hand_district():
    """The same district under today's `zhenhai`: class medians (every class here is under 10
    firms, so the list's median), N evaluated (no exemption by age: none applied for), Z's zero
    electricity a data query, no D but the vetoed firm."""
    rows = {
        r["uscc"]: r
        for r in evaluate(district(), YEAR, load_methodology("zhenhai")).enterprises.iter_rows(
            named=True
        )
    }
    # 规上 tax per mu of L, F, V, N, M: 20, 18.75, 10, 5, 10 → median 10
    assert rows[N]["status"] == "evaluated"
    for u in (L, F, V, N, M):
        assert rows[u]["benchmark_class"] == "group"
        assert rows[u]["bm_tax_per_mu"] == pytest.approx(10.0)
    assert rows[L]["score_tax_per_mu"] == pytest.approx(30 * 20 / 10)
    # M has no emissions figure: 黄岩's average score, still evaluated
    assert rows[M]["status"] == "evaluated" and "emissions_eq missing" in rows[M]["reason"]
    # Z's electricity is 0: not scored, the item named
    assert rows[Z]["status"] == "no_data" and rows[Z]["grade"] is None
    assert (
        rows[Z]["reason"]
        == "electricity_kwh is 0: tax_per_kwh cannot be computed (缺少数据，请核实)"
    )
    assert {u: rows[u]["grade"] for u in (L, F, M, N, V)} == {
        L: "A",
        F: "B",
        M: "B",
        N: "C",
        V: "D",
    }
