"""Explanation: contributions add up, and the what-it-takes amounts are exact."""

from __future__ import annotations

import polars as pl
import pytest
from factory import M2_PER_MU, ZHENHAI_V1
from hand_district import YEAR, F, L, M, Z, district

from mujun.dataset import Dataset
from mujun.engine import evaluate
from mujun.engine.explain import contributions, decompose, describe_input, target, what_it_takes
from mujun.methodologies import load_methodology

ZHENHAI = load_methodology(ZHENHAI_V1)  # one benchmark per group (held below) and a cap


def held(ev):
    """The preset with this evaluation's benchmarks fixed: 'the benchmarks held'."""
    data = ZHENHAI.model_dump()
    for group in ("above", "below"):
        bms = ev.benchmarks.filter(pl.col("group") == group, pl.col("industry_division").is_null())
        values = dict(zip(bms["indicator"], bms["benchmark"], strict=True))
        data["groups"][group]["benchmark"] = "fixed"
        for spec in data["groups"][group]["indicators"]:
            spec["fixed"] = {YEAR: values[spec["id"]]}
    return type(ZHENHAI).model_validate(data)


def with_changes(
    ds: Dataset, uscc: str, *, tax: float = 0.0, parcel_area: tuple[str, float] | None = None
):
    annual = ds.annual.with_columns(
        pl.when(pl.col("uscc") == uscc)
        .then(pl.col("tax_paid") + tax)
        .otherwise(pl.col("tax_paid"))
        .alias("tax_paid")
    )
    parcels = ds.parcels
    if parcel_area:
        pid, area = parcel_area
        parcels = parcels.with_columns(
            pl.when(pl.col("parcel_id") == pid)
            .then(area)
            .otherwise(pl.col("area_m2"))
            .alias("area_m2")
        )
    return Dataset.from_frames(**{**ds.tables(), "annual": annual, "parcels": parcels})


@pytest.fixture(scope="module")
def ev():
    return evaluate(district(), YEAR, ZHENHAI)


def test_contributions_add_up_to_the_score(ev):
    for u in (L, F, M, Z):
        table = contributions(ev, u)
        row = ev.detail.filter(pl.col("uscc") == u).row(0, named=True)
        assert table["score"].sum() + row["bonus"] - row["deduction"] == pytest.approx(
            row["total_score"]
        )
        assert table["weight"].sum() == 100
    l_table = contributions(ev, L)
    assert l_table.filter(indicator="tax_per_mu")["benchmark"][0] == pytest.approx(15)
    # the industry median of tax per mu over the scorable 规上 firms L 20, F 18.75, V 10, M 10
    assert l_table.filter(indicator="tax_per_mu")["industry_median"][0] == pytest.approx(
        (18.75 + 10) / 2
    )


def test_target_is_the_weakest_score_of_the_next_grade(ev):
    assert target(ev, F) == (
        "A",
        pytest.approx(ev.detail.filter(pl.col("uscc") == L)["total_score"][0]),
    )
    assert target(ev, L) == (None, None)


@pytest.mark.parametrize("firm", [F, M])
def test_the_tax_it_takes_reaches_the_next_grade_exactly(ev, firm):
    m = held(ev)
    plan = what_it_takes(ev, firm)
    change = next(c for c in plan["inputs"] if c.what == "adjusted_tax")
    assert change.delta > 0
    ds = district()
    reached = evaluate(with_changes(ds, firm, tax=change.delta + 1e-9), YEAR, m)
    short = evaluate(with_changes(ds, firm, tax=change.delta - 0.01), YEAR, m)  # 100 yuan less
    get = lambda e: e.detail.filter(pl.col("uscc") == firm).row(0, named=True)  # noqa: E731
    assert get(reached)["total_score"] == pytest.approx(plan["target_score"], abs=1e-6)
    assert get(reached)["own_grade"] == plan["target_grade"] == "A"
    assert get(short)["own_grade"] == plan["own_grade"] == "B"
    # in the indicator's own unit, the tax per mu that alone reaches it
    per_mu = next(c for c in plan["indicators"] if c.what == "tax_per_mu")
    assert per_mu.delta * get(reached)["land_mu"] == pytest.approx(change.delta)


def test_the_land_it_takes_reaches_the_next_grade(ev):
    m = held(ev)
    plan = what_it_takes(ev, M)
    land = next(c for c in plan["inputs"] if c.what == "land_mu")
    assert land.delta < 0  # M alone on P5 must give land back
    reached = evaluate(
        with_changes(district(), M, parcel_area=("P5", (land.needed - 1e-9) * M2_PER_MU)), YEAR, m
    )
    short = evaluate(
        with_changes(district(), M, parcel_area=("P5", (land.needed + 0.01) * M2_PER_MU)), YEAR, m
    )
    get = lambda e: e.detail.filter(pl.col("uscc") == M).row(0, named=True)  # noqa: E731
    assert get(reached)["own_grade"] == "A"
    assert get(short)["own_grade"] == "B"
    assert "e.g. by returning vacant land" in describe_input(land)


def test_a_capped_indicator_says_it_is_not_enough(ev):
    plan = what_it_takes(ev, M)
    gap = plan["gap"]
    rd = next(c for c in plan["indicators"] if c.what == "rd_intensity")
    row = ev.detail.filter(pl.col("uscc") == M).row(0, named=True)
    assert (row["score_rd_intensity"] + gap > 30) == (rd.needed is None)
    emissions = next(c for c in plan["indicators"] if c.what == "va_per_emission")
    assert emissions.needed is None and "missing denominator" in emissions.reason


def test_decomposition_adds_up():
    ds = district()
    richer = with_changes(ds, F, tax=100.0)
    a, b = evaluate(ds, YEAR, ZHENHAI), evaluate(richer, YEAR, ZHENHAI)
    parts = decompose(a, b, F)
    total_change = (
        b.detail.filter(pl.col("uscc") == F)["total_score"][0]
        - a.detail.filter(pl.col("uscc") == F)["total_score"][0]
    )
    assert parts["change"].sum() == pytest.approx(total_change)
    tax = parts.filter(component="tax_per_mu").row(0, named=True)
    assert tax["own_value"] + tax["benchmark"] == pytest.approx(tax["change"])
    assert tax["own_value"] > 0 and tax["benchmark"] < 0  # F got better; the benchmark rose with it
