"""Vetoes from a firm's own data (淘汰类 industry, energy above its quota) and from events, on the
smallest district that shows each; one indicator (tax_per_mu, weight 100), numbers by hand."""

from __future__ import annotations

import pytest
from factory import M2_PER_MU, build, uscc
from factory import simple as method

from mujun.engine import evaluate
from mujun.methodologies import MethodologyError, parse_methodology


def district(firms: dict[int, dict], events=()):
    """Firm n on its own parcel of 10 mu, paying 100 × n 万元 (10 × n per mu)."""
    return build(
        enterprises=[{"uscc": uscc(n), **f.pop("enterprise", {})} for n, f in firms.items()],
        annual=[{"uscc": uscc(n), "tax_paid": 100.0 * n, **f} for n, f in firms.items()],
        parcels=[
            {
                "parcel_id": f"P{n}",
                "owner_uscc": uscc(n),
                "area_m2": 10 * M2_PER_MU,
                "floor_area_m2": 1000.0,
            }
            for n in firms
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in firms
        ],
        events=list(events),
    )


def rows(ds, m):
    return {r["uscc"]: r for r in evaluate(ds, 2022, m).enterprises.iter_rows(named=True)}


COKING = {"code": "2521", "item": "淘汰类 (test entry)", "source": "test"}


def four_firms():
    return district(
        {
            1: {"energy_quota_tce": None},  # no quota: not checked
            2: {"enterprise": {"industry_code": "2521"}},  # 炼焦
            3: {"energy_tce": 1200.0, "energy_quota_tce": 1000.0},  # 20 % over its quota
            4: {"energy_tce": 1000.0, "energy_quota_tce": 1000.0},  # at its quota: fine
        }
    )


def test_an_industry_listed_as_obsolete_and_energy_above_the_quota_force_d():
    m = method(industry_vetoes=[COKING], energy_quota={"veto": True, "source": "test"})
    r = rows(four_firms(), m)
    assert [r[uscc(n)]["status"] for n in (1, 2, 3, 4)] == [
        "evaluated",
        "vetoed",
        "vetoed",
        "evaluated",
    ]
    assert r[uscc(2)]["grade"] == r[uscc(3)]["grade"] == "D"
    assert r[uscc(2)]["reason"].startswith(
        "vetoed: 淘汰类 industry 2521 (2521: 淘汰类 (test entry))"
    )
    assert "一票否决" in r[uscc(2)]["reason"]
    assert r[uscc(3)]["reason"].startswith(
        "vetoed: energy use 1200.0 tce above its quota 1000.0 tce in 2022 (超用能限额)"
    )
    # vetoed firms are still scored and in the benchmark: (100 + 200 + 300 + 400) / 40 mu = 25
    assert r[uscc(4)]["score_tax_per_mu"] == pytest.approx(100 * 40 / 25)
    assert r[uscc(2)]["score_tax_per_mu"] == pytest.approx(100 * 20 / 25)


def test_without_the_rules_nobody_is_vetoed_and_a_tolerance_lifts_the_quota():
    r = rows(four_firms(), method())
    assert {row["status"] for row in r.values()} == {"evaluated"}
    tolerant = method(energy_quota={"veto": True, "tolerance": 0.25})  # 1200 ≤ 1000 × 1.25
    assert rows(four_firms(), tolerant)[uscc(3)]["status"] == "evaluated"


def test_a_veto_event_and_a_data_veto_are_both_named():
    ds = district(
        {1: {}, 2: {"energy_tce": 1200.0, "energy_quota_tce": 1000.0}},
        events=[{"uscc": uscc(2), "year": 2022, "kind": "obsolete_capacity"}],
    )
    m = method(vetoes=["obsolete_capacity"], energy_quota={"veto": True, "source": "test"})
    reason = rows(ds, m)[uscc(2)]["reason"]
    assert reason.startswith(
        "vetoed: obsolete_capacity in 2022; energy use 1200.0 tce above its quota 1000.0 tce"
    )


HEAD = """name = "x"
title = "x"
illustrative = true
"""
GROUPS = """
[groups.above]
indicators = [{ id = "tax_per_mu", weight = 100 }]
[groups.below]
indicators = [{ id = "tax_per_mu", weight = 100 }]
"""


@pytest.mark.parametrize(
    ("top", "table", "message"),
    [
        ('vetoes = ["safety_fatal", "env_majr"]', "", "vetoes.1: Value error, unknown event kind"),
        (
            'deductions = [{ event = "env_minr", points = 5 }]',
            "",
            "deductions.0.event: Value error, unknown event kind 'env_minr'",
        ),
        (
            'bonuses = [{ qualification = "hightech", points = 3 }]',
            "",
            "bonuses.0.qualification: Value error, unknown qualification 'hightech'",
        ),
        (
            "",
            '[exemptions]\nevents = ["relocaton"]',
            "exemptions.events.0: Value error, unknown event kind 'relocaton'",
        ),
        (
            'industry_vetoes = [{ code = "C25", item = "x", source = "y" }]',
            "",
            "industry_vetoes.0.code",
        ),
    ],
)
def test_a_kind_the_contract_does_not_know_is_refused_when_the_preset_is_loaded(
    top, table, message
):
    """A typo in a veto or deduction would otherwise be a rule that hits nobody."""
    with pytest.raises(MethodologyError) as err:
        parse_methodology(HEAD + top + "\n" + GROUPS + table, "county.toml")
    assert "county.toml: invalid methodology" in str(err.value)
    assert message in str(err.value)
