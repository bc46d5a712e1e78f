"""低效用地 worked by hand: a parcel in each category, freeable area, 批而未供 and the year's change.

Every parcel is 15 亩 (10,000 m²); every firm is in industry 3451 (division 34).
- PG: A's own, fully used, tax 1500 → 100 万元/亩: not flagged.
- PU: B uses 4,000 of 10,000 m² floor, tax 1500 → partly_used (40 %), freeable 15 × 0.6 = 9 亩.
- PL: C uses it all, tax 30 → 2 万元/亩 → producing_below_standard.
- PR: D uses half, tenant T the other half paying 15 on its 7.5 亩 (2 万元/亩) → rented_low_tax,
  freeable 7.5 × (1 − 2/5) = 4.5 亩.
- E (no annual rows) holds the unused land: PA approved 2022-03 not granted → approved_not_supplied;
  PS granted 2022-06, start due 2023 → supplied_not_used; PI granted 2018, start due 2019 →
  idle_past_start; PB under construction, floor built, production due 2021 → built_not_producing.
Industry level over the graded parcels PG, PU, PL, PR: (1500 + 1500 + 30 + 1515) / 60 = 75.75 万元/亩;
the standard is max(5, 0.5 × 75.75) = 37.875 under 东阳's rule (the zhenhai-dongyang preset); 镇海's own
(zhenhai) is a flat 4 万元/亩 on parcels of 3 亩 or more.
"""

from __future__ import annotations

import datetime as dt

import pytest
from factory import build, uscc

from mujun.engine import evaluate_years
from mujun.engine.lowland import COLUMNS, land_inventory
from mujun.engine.methodology import Lowland
from mujun.methodologies import load_methodology

A, B, C, D, T, E = (uscc(i) for i in range(1, 7))
AREA = {"area_m2": 10000.0}


def _parcel(pid, owner, floor, **kw):
    return {"parcel_id": pid, "owner_uscc": owner, "floor_area_m2": floor, **AREA, **kw}


def _use(pid, firm, floor):
    return {"parcel_id": pid, "uscc": firm, "year_from": 2015, "floor_area_m2": floor}


def district(years=(2022,), pl_tax=30.0):
    annual = []
    for y in years:
        annual += [
            {"uscc": A, "year": y, "tax_paid": 1500.0},
            {"uscc": B, "year": y, "tax_paid": 1500.0},
            {"uscc": C, "year": y, "tax_paid": pl_tax if y == max(years) else 1500.0},
            {"uscc": D, "year": y, "tax_paid": 1500.0},
            {"uscc": T, "year": y, "scale": "below", "tax_paid": 15.0},
        ]
    return build(
        [{"uscc": u} for u in (A, B, C, D, T, E)],
        annual=annual,
        parcels=[
            _parcel("PG", A, 10000.0),
            _parcel("PU", B, 10000.0),
            _parcel("PL", C, 10000.0),
            _parcel("PR", D, 10000.0),
            _parcel("PA", E, 0.0, status="approved", approved_on=dt.date(2022, 3, 1)),
            _parcel(
                "PS", E, 0.0, status="granted", approved_on=dt.date(2021, 10, 1),
                granted_on=dt.date(2022, 6, 1), start_due=dt.date(2023, 1, 1),
            ),
            _parcel(
                "PI", E, 0.0, status="idle", approved_on=dt.date(2017, 1, 1),
                granted_on=dt.date(2018, 1, 1), start_due=dt.date(2019, 1, 1),
            ),
            _parcel(
                "PB", E, 5000.0, status="under_construction", granted_on=dt.date(2019, 1, 1),
                start_due=dt.date(2019, 6, 1), production_due=dt.date(2021, 12, 31),
            ),
        ],
        occupancy=[
            _use("PG", A, 10000.0),
            _use("PU", B, 4000.0),
            _use("PL", C, 10000.0),
            _use("PR", D, 5000.0),
            _use("PR", T, 5000.0),
        ],
    )  # fmt: skip


@pytest.fixture(scope="module")
def inventory():
    m = load_methodology("zhenhai-dongyang")
    return land_inventory(evaluate_years(district(), [2022], m), 2022, m.lowland)


def test_a_parcel_in_each_category(inventory):
    got = dict(inventory.parcels.select("parcel_id", "category").iter_rows())
    assert got == {
        "PA": "approved_not_supplied",
        "PB": "built_not_producing",
        "PI": "idle_past_start",
        "PL": "producing_below_standard",
        "PR": "rented_low_tax",
        "PS": "supplied_not_used",
        "PU": "partly_used",
    }
    assert inventory.parcels.columns == list(COLUMNS)


def test_standard_and_freeable_area(inventory):
    r = {x["parcel_id"]: x for x in inventory.parcels.iter_rows(named=True)}
    assert r["PL"]["industry_tax_per_mu"] == pytest.approx(4545 / 60)
    assert r["PL"]["standard_tax_per_mu"] == pytest.approx(0.5 * 4545 / 60)
    assert r["PL"]["tax_per_mu"] == pytest.approx(2.0)
    assert r["PL"]["freeable_mu"] == pytest.approx(15 * (1 - 2 / (0.5 * 4545 / 60)))
    assert r["PU"]["freeable_mu"] == pytest.approx(9.0)
    assert r["PR"]["tenant_tax_per_mu"] == pytest.approx(2.0)
    assert r["PR"]["freeable_mu"] == pytest.approx(4.5)
    assert r["PR"]["owner_uscc"] == D and T in r["PR"]["occupant_usccs"]
    for pid in ("PA", "PS", "PI", "PB"):
        assert r[pid]["freeable_mu"] == pytest.approx(15.0)
    assert r["PL"]["rules"] == "producing_below_standard"


def test_totals_and_supply(inventory):
    totals = inventory.totals
    assert totals.get_column("parcels").sum() == 7
    assert totals.get_column("area_mu").sum() == pytest.approx(7 * 15.0)
    s = inventory.supply.row(0, named=True)
    # PS was approved in 2021 and granted in 2022; PA was approved in 2022 and is still waiting
    assert s["stock_start_mu"] == pytest.approx(15.0)
    assert s["granted_from_stock_mu"] == pytest.approx(15.0)
    assert s["supply_rate"] == pytest.approx(1.0)
    assert s["stock_end_mu"] == pytest.approx(15.0) and s["stock_end_parcels"] == 1
    assert inventory.change is None


def test_precedence_is_preset_data():
    m = load_methodology("zhenhai-dongyang")
    ev = evaluate_years(district(), [2022], m)
    swapped = Lowland(categories=["supplied_not_used", "idle_past_start"])
    inv = land_inventory(ev, 2022, swapped).parcels
    got = {r["parcel_id"]: (r["category"], r["rules"]) for r in inv.iter_rows(named=True)}
    # PI and PB, idle past their start date, are listed first as supplied-not-used; rules name both
    assert got == {
        "PB": ("supplied_not_used", "supplied_not_used;idle_past_start"),
        "PI": ("supplied_not_used", "supplied_not_used;idle_past_start"),
        "PS": ("supplied_not_used", "supplied_not_used"),
    }


def test_years_below_standard_and_change_since_last_year():
    m = load_methodology("zhenhai-dongyang")
    evs = evaluate_years(district(years=(2021, 2022)), [2021, 2022], m)
    inv = land_inventory(evs, 2022, m.lowland)
    years = dict(inv.parcels.select("parcel_id", "years_below_standard").iter_rows())
    assert years["PL"] == 1  # C paid 1500 in 2021
    assert years["PU"] == 2
    change = {r["measure"]: r["parcels"] for r in inv.change.iter_rows(named=True)}
    # PA was approved in 2022 (not there in 2021); PS was still approved-not-supplied in 2021
    assert change == {"revitalized": 0, "newly_flagged": 2, "still_flagged": 5}


def _categories(ds, lowland) -> dict[str, str]:
    m = load_methodology("zhenhai")
    inv = land_inventory(evaluate_years(ds, [2022], m), 2022, lowland)
    return dict(inv.parcels.select("parcel_id", "category").iter_rows())


def test_zhenhai_flags_3_mu_or_more_under_4_wan_per_mu():
    """镇海: "占地3亩以上的亩均税收4万元以下" — a flat standard, no industry-relative test."""
    zhenhai = load_methodology("zhenhai").lowland
    dongyang = load_methodology("zhenhai-dongyang").lowland
    m = load_methodology("zhenhai")
    inv = land_inventory(evaluate_years(district(), [2022], m), 2022, zhenhai)
    r = {x["parcel_id"]: x for x in inv.parcels.iter_rows(named=True)}
    assert r["PL"]["category"] == "producing_below_standard"
    assert r["PL"]["standard_tax_per_mu"] == pytest.approx(4.0)
    assert r["PL"]["freeable_mu"] == pytest.approx(15 * (1 - 2 / 4))
    # 4.5 万元/亩 (67.5 on 15 亩): not low for 镇海, low for 东阳 (under 5, and under half its industry)
    at_4_5 = district(pl_tax=67.5)
    assert "PL" not in _categories(at_4_5, zhenhai)
    assert _categories(at_4_5, dongyang)["PL"] == "producing_below_standard"
    # the size floor: with it above the parcels' 15 亩, none is below standard
    floor = zhenhai.model_copy(update={"min_area_mu": 16.0})
    assert "PL" not in _categories(district(), floor)
