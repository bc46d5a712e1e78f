"""达产复核 worked by hand: met, then behind; overdue; not yet due; the clawback."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from factory import build, frame, uscc

from mujun.engine import evaluate_years
from mujun.engine.commitments import check_commitments, output_columns
from mujun.engine.errors import EngineError
from mujun.engine.methodology import Commitments
from mujun.methodologies import load_methodology

A, GONE = uscc(1), uscc(2)
# A's tax on its 15 亩: 2020 600 (40/亩), 2021 460 (30.67/亩, met), 2022 300 (20/亩, behind)
TAX = {2020: 600.0, 2021: 460.0, 2022: 300.0}


@pytest.fixture(scope="module")
def evaluations():
    ds = build(
        [{"uscc": A}, {"uscc": GONE}],
        annual=[{"uscc": A, "year": y, "tax_paid": t} for y, t in TAX.items()]
        + [{"uscc": GONE, "year": 2020}],
        parcels=[
            {"parcel_id": "P1", "owner_uscc": A, "area_m2": 10000.0, "floor_area_m2": 10000.0},
            {"parcel_id": "P2", "owner_uscc": GONE, "area_m2": 5000.0, "floor_area_m2": 5000.0},
        ],
        occupancy=[
            {"parcel_id": "P1", "uscc": A, "year_from": 2015, "floor_area_m2": 10000.0},
            {"parcel_id": "P2", "uscc": GONE, "year_from": 2015, "floor_area_m2": 5000.0},
        ],
    )
    return evaluate_years(ds, [2020, 2021, 2022], load_methodology("zhenhai"))


def projects() -> pl.DataFrame:
    base = {"land_area_m2": 10000.0, "industry_code": "3451", "promised_tax_per_mu": 30.0}
    return frame(
        "projects",
        [
            {"project_id": "X1", "name": "扩建", "applicant_uscc": A,
             "production_due": dt.date(2019, 6, 30), **base},
            {"project_id": "X2", "name": "停产", "applicant_uscc": GONE,
             "production_due": dt.date(2019, 6, 30), **base},
            {"project_id": "X3", "name": "在建", "applicant_uscc": A,
             "production_due": dt.date(2022, 3, 1), **base},
            {"project_id": "X4", "name": "招商", "applicant_uscc": None,
             "production_due": dt.date(2020, 3, 1), **base},
            {"project_id": "X5", "name": "无日期", "applicant_uscc": A, **base},
        ],
    )  # fmt: skip


def rows(evaluations, year, settings=Commitments()):
    table = check_commitments(projects(), evaluations, year, settings)
    assert table.columns == output_columns() and table.height == 5
    return {r["project_id"]: r for r in table.iter_rows(named=True)}


def test_met_in_year_two(evaluations):
    r = rows(evaluations, 2021)["X1"]
    assert r["status"] == "met" and r["behind"] == "" and r["clawback"] == 0.0
    assert r["first_checked_year"] == 2020
    assert r["actual_tax_per_mu"] == pytest.approx(460 / 15)
    assert r["check_va_per_mu"] == "no_promise"


def test_behind_in_year_three(evaluations):
    r = rows(evaluations, 2022)["X1"]
    assert r["status"] == "behind" and r["behind"] == "tax_per_mu"
    assert r["gap_tax_per_mu"] == pytest.approx(-10.0)
    assert r["years_behind"] == 1  # 2021 was met
    assert r["clawback"] == pytest.approx(10.0 * 15)  # the shortfall on 15 亩, rate 1
    assert "tax_per_mu 20.0 < promised 30.0 (-33.3%)" in r["reason"]


def test_clawback_waits_for_years_in_a_row(evaluations):
    later = Commitments.model_validate({"clawback": {"after_years_behind": 2}})
    assert rows(evaluations, 2022, later)["X1"]["clawback"] == 0.0


def test_tolerance_lets_a_small_shortfall_pass(evaluations):
    lenient = Commitments(tolerance=0.35)
    assert rows(evaluations, 2022, lenient)["X1"]["status"] == "met"


def test_overdue_not_due_and_no_date(evaluations):
    r = rows(evaluations, 2022)
    assert r["X2"]["status"] == "overdue" and r["X2"]["years_overdue"] == 2
    assert r["X2"]["clawback"] == pytest.approx(15.0)  # 1 万元/亩 on 15 亩
    assert r["X4"]["status"] == "overdue" and "no applicant" in r["X4"]["reason"]
    assert r["X3"]["status"] == "not_due" and r["X3"]["first_checked_year"] == 2023
    assert r["X5"]["status"] == "no_due_date"


def test_the_year_must_be_evaluated(evaluations):
    with pytest.raises(EngineError, match="2023"):
        check_commitments(projects(), evaluations, 2023, Commitments())
