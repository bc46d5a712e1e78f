"""`huangyan-2022` reproduces 黄岩's published arithmetic (methodology-sources.md §2–3):
score = Σ weight × value ÷ benchmark, with the published benchmarks as fixed values, no cap."""

from __future__ import annotations

import pytest
from factory import M2_PER_MU, build, uscc

from mujun.engine import evaluate
from mujun.methodologies import load_methodology

# the published benchmarks for the 2021 and 2022 evaluations
ABOVE = {
    2021: {
        "tax": 26.01,
        "va": 132.27,
        "energy": 2.54,
        "emission": 4861.08,
        "labour": 17.45,
        "rd": 0.0305,
    },
    2022: {
        "tax": 24.097,
        "va": 136.16,
        "energy": 2.694,
        "emission": 4929.81,
        "labour": 18.14,
        "rd": 0.0302,
    },
}
BELOW = {2021: {"tax": 16.601058, "kwh": 0.236565}, 2022: {"tax": 11.5932, "kwh": 0.2352}}


def firm_at(
    year: int, scale: str, n: int, factor: float = 1.0, mu: float = 10.0, **override
) -> dict:
    """Annual row of a firm whose every indicator is `factor` × the published benchmark."""
    if scale == "above":
        b = ABOVE[year]
        va = factor * b["va"] * mu
        row = {
            "value_added": va,
            "output": va * 4,
            "tax_paid": factor * b["tax"] * mu,
            "energy_tce": va / (factor * b["energy"]),
            "emissions_eq": va / (factor * b["emission"]),
            "employees": va / (factor * b["labour"]),
            "revenue": 10_000.0,
            "rd_expense": factor * b["rd"] * 10_000.0,
        }
    else:
        b = BELOW[year]
        tax = factor * b["tax"] * mu
        row = {"tax_paid": tax, "electricity_kwh": tax / (factor * b["kwh"]) * 10_000}
    return {"uscc": uscc(n), "year": year, "scale": scale, **row, **override}


def district(year: int, rows: list[dict], mu: float = 10.0):
    ns = [r["uscc"] for r in rows]
    return build(
        enterprises=[{"uscc": u} for u in ns],
        annual=rows,
        parcels=[
            {
                "parcel_id": f"P{i}",
                "owner_uscc": u,
                "area_m2": mu * M2_PER_MU,
                "floor_area_m2": 1000.0,
            }
            for i, u in enumerate(ns)
        ],
        occupancy=[
            {"parcel_id": f"P{i}", "uscc": u, "year_from": 2010, "floor_area_m2": 1000.0}
            for i, u in enumerate(ns)
        ],
    )


@pytest.mark.parametrize("year", [2021, 2022])
def test_a_firm_at_the_published_benchmarks_scores_100(year):
    ds = district(year, [firm_at(year, "above", 1), firm_at(year, "below", 2)])
    rows = {
        r["uscc"]: r
        for r in evaluate(ds, year, load_methodology("huangyan-2022")).enterprises.iter_rows(
            named=True
        )
    }
    above, below = rows[uscc(1)], rows[uscc(2)]
    assert above["total_score"] == pytest.approx(100, abs=1e-9)
    assert [
        above[f"score_{i}"]
        for i in (
            "tax_per_mu",
            "va_per_mu",
            "va_per_energy",
            "va_per_emission",
            "labour_productivity",
            "rd_intensity",
        )
    ] == pytest.approx([30, 20, 20, 10, 10, 10])
    assert below["total_score"] == pytest.approx(100, abs=1e-9)
    assert [below["score_tax_per_mu"], below["score_tax_per_kwh"]] == pytest.approx([50, 50])


def test_hand_computed_firms_no_cap_and_missing_emissions():
    year = 2022
    b = ABOVE[year]
    rows = [
        firm_at(year, "above", 1, factor=3.0),  # three times every benchmark, no cap: 300
        firm_at(year, "above", 2),  # at the benchmarks: 100
        # tax per mu 12.0485 (half), everything else at the benchmark, no emissions figure:
        firm_at(year, "above", 3, tax_paid=b["tax"] * 10 / 2, emissions_eq=None),
        firm_at(year, "below", 4, factor=0.5),
    ]
    ev = evaluate(district(year, rows), year, load_methodology("huangyan-2022"))
    got = {r["uscc"]: r for r in ev.enterprises.iter_rows(named=True)}
    assert got[uscc(1)]["total_score"] == pytest.approx(300)
    assert got[uscc(2)]["total_score"] == pytest.approx(100)
    # firm 3: 15 for tax; its missing emissions item gets the group's average score (30 + 10) / 2
    assert got[uscc(3)]["score_tax_per_mu"] == pytest.approx(15)
    assert got[uscc(3)]["score_va_per_emission"] == pytest.approx((30 + 10) / 2)
    assert got[uscc(3)]["total_score"] == pytest.approx(15 + 20 + 20 + 20 + 10 + 10)
    assert got[uscc(4)]["total_score"] == pytest.approx(50)
    # 黄岩 counts the tax actually paid: refined-tax terms are off
    assert ev.methodology.tax.fixed_asset_vat_credit is False
