"""Exemption on application (江山 2023 draft), not by age; firms past their promised production
date pulled back in (遂昌 2022). One indicator (tax_per_mu, weight 100), firms on 10 mu each."""

from __future__ import annotations

import datetime as dt

import pytest
from factory import M2_PER_MU, build, uscc
from test_vetoes import method, rows

APPROVED = dt.date(2023, 3, 1)


def district(firms: dict[int, dict], exemptions=(), projects=()):
    """Firm n on its own 10-mu parcel P<n>, paying 100 × n; `firms[n]` overrides its enterprise
    row (`enterprise`) and parcel (`parcel`)."""
    return build(
        enterprises=[{"uscc": uscc(n), **f.get("enterprise", {})} for n, f in firms.items()],
        annual=[{"uscc": uscc(n), "tax_paid": 100.0 * n} for n in firms],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 10 * M2_PER_MU,
                "floor_area_m2": 1000.0,
                **f.get("parcel", {}),
            }
            for n, f in firms.items()
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in firms
        ],
        exemptions=list(exemptions),
        projects=list(projects),
    )


def application(n: int, year: int = 2022, ground: str | None = "other", reason: str = "技改停产"):
    return {
        "uscc": uscc(n),
        "year": year,
        "reason": reason,
        "approved_on": APPROVED,
        "ground": ground,
    }


def project(n: int, due: dt.date):
    return {
        "project_id": f"X{n}",
        "name": f"项目{n}",
        "applicant_uscc": uscc(n),
        "industry_code": "3451",
        "production_due": due,
    }


ON_APPLICATION = {"on_application": True, "min_years_registered": 0, "new_land_years": 0}


def test_an_approved_application_exempts_with_its_reason_and_age_alone_does_not():
    ds = district(
        {
            1: {"enterprise": {"established": dt.date(2021, 6, 1)}},  # young, no application
            2: {},  # applied and approved for 2022
            3: {},  # approved for 2021 only
            4: {},
        },
        exemptions=[application(2), application(3, year=2021)],
    )
    r = rows(ds, method(exemptions=ON_APPLICATION))
    assert [r[uscc(n)]["status"] for n in (1, 2, 3, 4)] == [
        "evaluated",
        "exempt",
        "evaluated",
        "evaluated",
    ]
    assert r[uscc(2)]["reason"] == ("exempt: 技改停产 (application approved 2023-03-01) (申请免评)")
    assert r[uscc(2)]["grade"] is None
    # the exempt firm is out of the benchmark: (100 + 300 + 400) / 30 mu
    assert r[uscc(4)]["score_tax_per_mu"] == pytest.approx(100 * 40 / (800 / 30))
    # the old automatic rule (mujun's default, kept for huangyan-2022) still exempts by age
    by_age = rows(ds, method())
    assert by_age[uscc(1)]["status"] == "exempt" and by_age[uscc(2)]["status"] == "evaluated"


def test_past_the_promised_production_date_a_firm_is_no_longer_new():
    granted = dt.date(2021, 3, 1)  # less than 3 years before 2022: new land
    ds = district(
        {
            1: {},
            2: {"parcel": {"granted_on": granted, "production_due": dt.date(2022, 6, 30)}},
            3: {"parcel": {"granted_on": granted, "production_due": dt.date(2023, 6, 30)}},
            4: {},  # applied on new land, but its project was due in 2021
            5: {},  # applied on other grounds: an application not about being new stands
        },
        exemptions=[application(4, ground="new_land", reason="新供地建设期"), application(5)],
        projects=[project(4, dt.date(2021, 12, 31)), project(5, dt.date(2020, 1, 1))],
    )
    m = method(exemptions={"on_application": True, "min_years_registered": 0})
    r = rows(ds, m)
    assert [r[uscc(n)]["status"] for n in (1, 2, 3, 4, 5)] == [
        "evaluated",
        "evaluated",
        "exempt",
        "evaluated",
        "exempt",
    ]
    assert "past its promised production date 2022-06-30" in r[uscc(2)]["reason"]
    assert "超过约定投产日期" in r[uscc(4)]["reason"]
    assert "granted less than 3 years ago" in r[uscc(3)]["reason"]
    # switched off, the new-land rule and the application hold again
    kept = method(
        exemptions={"on_application": True, "min_years_registered": 0, "past_due_evaluated": False}
    )
    assert rows(ds, kept)[uscc(2)]["status"] == rows(ds, kept)[uscc(4)]["status"] == "exempt"


def test_a_veto_outranks_an_application():
    ds = build(
        enterprises=[{"uscc": uscc(1)}],
        annual=[{"uscc": uscc(1), "energy_tce": 1100.0, "energy_quota_tce": 1000.0}],
        parcels=[
            {"parcel_id": "P1", "owner_uscc": uscc(1), "area_m2": 6000.0, "floor_area_m2": 1.0}
        ],
        exemptions=[application(1)],
    )
    m = method(exemptions=ON_APPLICATION, energy_quota={"veto": True})
    row = rows(ds, m)[uscc(1)]
    assert row["status"] == "vetoed" and row["grade"] == "D"
