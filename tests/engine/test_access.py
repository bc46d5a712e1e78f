"""产业准入 worked by hand: verdicts, the most specific industry entry, inclusive thresholds, ranks."""

from __future__ import annotations

import polars as pl
import pytest
from factory import build, frame, uscc

from mujun.dataset.schema import PROJECTS
from mujun.engine import evaluate
from mujun.engine.access import output_columns, project_frame, screen
from mujun.engine.errors import EngineError
from mujun.engine.methodology import Access
from mujun.methodologies import load_methodology

ACCESS = Access.model_validate(
    {
        "thresholds": {
            "investment_per_mu": {"min": 400.0, "fails_as": "refused", "source": "绍兴"},
            "plot_ratio": {"min": 1.2, "fails_as": "refused", "source": "绍兴"},
            "tax_per_mu": {"min": 30.0, "fails_as": "refused", "source": "绍兴"},
            "va_per_mu": {"min": 116.5, "fails_as": "conditional", "source": "温岭"},
            "rd_intensity": {"min": 0.02, "fails_as": "conditional", "source": "镇海"},
        },
        "by_industry": [
            {
                "code": "26",
                "thresholds": {"plot_ratio": {"min": 1.0, "source": "chemicals"}},
            }
        ],
        "industries": [
            {"code": "39", "category": "encouraged", "source": "镇海 鼓励"},
            {"code": "3985", "category": "prohibited", "source": "test 禁止"},
            {"code": "26", "category": "controlled", "source": "镇海 控制"},
        ],
        "rank_min_peers": 1,
    }
)
GOOD = {
    "industry_code": "3982",
    "land_area_m2": 10000.0,  # 15 亩
    "floor_area_m2": 15000.0,  # plot ratio 1.5
    "investment": 9000.0,  # 600 万元/亩
    "promised_tax_per_mu": 40.0,
    "promised_va_per_mu": 200.0,
    "promised_rd_intensity": 0.03,
}


def projects(*rows: dict) -> pl.DataFrame:
    return frame(
        "projects",
        [{"project_id": f"X{i}", "name": f"项目{i}", **GOOD, **r} for i, r in enumerate(rows)],
    )


def one(row: dict, access: Access = ACCESS) -> dict:
    return screen(projects(row), access).row(0, named=True)


def test_a_good_project_in_an_encouraged_division_is_admitted():
    r = one({})
    assert r["verdict"] == "admitted" and r["failed"] == "" and r["reason"] == ""
    assert r["industry_rule"] == "39" and r["industry_category"] == "encouraged"
    assert r["investment_per_mu"] == pytest.approx(600.0)
    assert r["plot_ratio_margin"] == pytest.approx(0.3)


def test_refused_for_one_condition_only():
    r = one({"floor_area_m2": 11000.0})  # plot ratio 1.1 < 1.2, everything else met
    assert r["verdict"] == "refused"
    assert r["failed"] == "plot_ratio"
    assert r["cond_plot_ratio"] == "failed"
    assert r["plot_ratio_margin"] == pytest.approx(-0.1)
    others = [c for c in r if c.startswith("cond_") and c != "cond_plot_ratio"]
    assert all(r[c] == "met" for c in others)
    assert "plot_ratio 1.1 < 1.2 (绍兴) → refused" in r["reason"]


def test_a_soft_condition_makes_it_conditional():
    r = one({"promised_rd_intensity": 0.01})
    assert (r["verdict"], r["failed"]) == ("conditional", "rd_intensity")


def test_a_prohibited_class_inside_an_encouraged_division_is_refused():
    r = one({"industry_code": "3985"})
    assert r["industry_rule"] == "3985" and r["industry_category"] == "prohibited"
    assert r["cond_industry"] == "failed"
    assert (r["verdict"], r["failed"]) == ("refused", "industry")


def test_controlled_industry_uses_its_own_threshold_and_is_conditional():
    r = one({"industry_code": "2614", "floor_area_m2": 10000.0})  # plot ratio 1.0: ok for 26
    assert r["plot_ratio_min"] == 1.0 and r["plot_ratio_source"] == "chemicals"
    assert r["cond_plot_ratio"] == "met"
    assert (r["verdict"], r["failed"]) == ("conditional", "industry")


def test_an_unlisted_industry_gets_the_unlisted_verdict():
    assert one({"industry_code": "1713"})["verdict"] == "admitted"
    strict = ACCESS.model_copy(update={"unlisted": "conditional"})
    assert one({"industry_code": "1713"}, strict)["verdict"] == "conditional"


def test_thresholds_are_inclusive_and_unrounded():
    exact = one(
        {
            "investment": 6000.0,  # exactly 400 万元/亩 on 15 亩
            "floor_area_m2": 12000.0,  # exactly 1.2
            "promised_tax_per_mu": 30.0,
            "promised_va_per_mu": 116.5,
            "promised_rd_intensity": 0.02,
        }
    )
    assert exact["verdict"] == "admitted", exact["reason"]
    assert exact["tax_per_mu_margin"] == 0.0 and exact["plot_ratio_margin"] == 0.0
    below = one({"promised_tax_per_mu": 29.999999})
    assert (below["verdict"], below["failed"]) == ("refused", "tax_per_mu")


def test_a_missing_promise_fails_and_no_project_is_dropped():
    frame_ = screen(projects({}, {"promised_tax_per_mu": None}, {"land_area_m2": None}), ACCESS)
    assert frame_.height == 3
    assert frame_.get_column("cond_tax_per_mu").to_list()[1] == "missing"
    assert frame_.get_column("verdict").to_list() == ["admitted", "refused", "refused"]
    assert frame_.columns == output_columns(ACCESS)


def test_rank_among_the_industry_firms():
    firms = [{"uscc": uscc(i), "industry_code": "3982"} for i in range(1, 5)]
    taxes = [150.0, 300.0, 600.0, 900.0]  # 10, 20, 40, 60 万元/亩 on 15 亩
    ds = build(
        firms,
        annual=[{"uscc": uscc(i + 1), "tax_paid": t} for i, t in enumerate(taxes)],
        parcels=[
            {
                "parcel_id": f"P{i}",
                "owner_uscc": uscc(i),
                "area_m2": 10000.0,
                "floor_area_m2": 10000.0,
            }
            for i in range(1, 5)
        ],
        occupancy=[
            {"parcel_id": f"P{i}", "uscc": uscc(i), "year_from": 2015, "floor_area_m2": 10000.0}
            for i in range(1, 5)
        ],
    )
    ev = evaluate(ds, 2022, load_methodology("zhenhai"))
    r = screen(projects({}), ACCESS, ev).row(0, named=True)
    assert (r["rank_level"], r["rank_peers"]) == ("class", 4)
    assert r["tax_per_mu_percentile"] == pytest.approx(0.75)  # 40 ≥ 10, 20, 40


def test_project_from_toml_data():
    p = project_frame({"name": "芯片封装", **GOOD}, PROJECTS.schema)
    assert p.row(0, named=True)["project_id"] == "project"
    with pytest.raises(EngineError, match="unknown key 'tax'"):
        project_frame({"tax": 1.0, **GOOD}, PROJECTS.schema)
    with pytest.raises(EngineError, match="industry_code is required"):
        project_frame({"land_area_m2": 1.0}, PROJECTS.schema)


def test_zhenhai_preset_screens_with_sources():
    access = load_methodology("zhenhai").access
    r = one({"industry_code": "2631"}, access)
    assert r["verdict"] == "refused" and r["industry_category"] == "prohibited"
    assert all(r[c] for c in r if c.endswith("_source"))
