"""Monte Carlo: no spread reproduces the preset; seeded runs repeat; the transition matrix of a
preset against itself is diagonal. Sobol' indices: on hand-made lists whose answer is known (a weight
that cannot move a rank has no effect; where only the benchmark method can move one, it has all of
it), and seeded."""

from __future__ import annotations

from typing import get_args

import polars as pl
import pytest
from factory import M2_PER_MU, build, uscc

from mujun.dataset import Dataset
from mujun.engine import evaluate
from mujun.engine.compare import ORDER, compare
from mujun.engine.methodology import BenchmarkMethod, Methodology
from mujun.engine.sensitivity import TARGETS, benchmark_choices, monte_carlo, sobol
from mujun.methodologies import load_methodology
from mujun.synth import synthesize

ZHENHAI = load_methodology("zhenhai")


@pytest.fixture(scope="module")
def ev():
    ds = Dataset.from_frames(**synthesize(400, [2021, 2022], 11))
    return evaluate(ds, 2022, ZHENHAI)


def test_zero_spread_reproduces_the_presets_grades(ev):
    result = monte_carlo(ev, draws=20, concentration=None)
    p = result.probabilities
    evaluated = ev.enterprises.filter(pl.col("status") == "evaluated")
    assert p.height == evaluated.height
    assert (p["stability"] == 1.0).all()
    assert (p["modal_grade"] == p["own_grade"]).all()
    assert result.stability["median_abs_rank_shift"].to_list() == [0.0] * result.stability.height


def test_zero_spread_of_the_preset_ratios_matches_the_engine(ev):
    # the same weights through the matrix product (not the engine's totals) give the same grades
    result = monte_carlo(ev, draws=5, concentration=1e12, seed=3)
    assert (result.probabilities["modal_grade"] == result.probabilities["own_grade"]).mean() > 0.99


def test_probabilities_sum_to_one_and_seeds_repeat(ev):
    a = monte_carlo(ev, draws=50, concentration=20, methods=("preset", "median"), seed=5)
    b = monte_carlo(ev, draws=50, concentration=20, methods=("preset", "median"), seed=5)
    c = monte_carlo(ev, draws=50, concentration=20, methods=("preset", "median"), seed=6)
    sums = a.probabilities.select(pl.sum_horizontal("p_A", "p_B", "p_C", "p_D")).to_series()
    assert sums.to_list() == pytest.approx([1.0] * len(sums))
    assert a.probabilities.equals(b.probabilities) and a.stability.equals(b.stability)
    assert not a.probabilities.equals(c.probabilities)
    assert (a.probabilities["stability"] < 1).any()  # spread moves some grades
    assert set(a.influence["indicator"]) == {
        "tax_per_mu", "va_per_mu", "va_per_energy", "va_per_emission", "labour_productivity",
        "rd_intensity", "tax_per_kwh",
    }  # fmt: skip


def test_a_preset_against_itself_is_diagonal(ev):
    result = compare(
        ev, evaluate(Dataset.from_frames(**synthesize(400, [2021, 2022], 11)), 2022, ZHENHAI)
    )
    matrix = result.transitions
    for i, g in enumerate(ORDER):
        row = matrix.row(i, named=True)
        assert all(row[h] == 0 for h in ORDER if h != g)
    assert result.changed.height == 0
    assert sum(matrix.row(i, named=True)[g] for i, g in enumerate(ORDER)) == ev.enterprises.height


def test_comparing_two_presets_lists_every_change(ev):
    other = evaluate(
        Dataset.from_frames(**synthesize(400, [2021, 2022], 11)),
        2022,
        load_methodology("huangyan-2022"),
    )
    result = compare(ev, other)
    off_diagonal = sum(
        result.transitions.row(i, named=True)[h]
        for i, g in enumerate(ORDER)
        for h in ORDER
        if h != g
    )
    assert off_diagonal == result.changed.height > 0
    assert result.totals.filter(pl.col("measure") == "surcharge (万元)")["B huangyan-2022"][0] == 0


def test_the_monte_carlo_draws_from_any_benchmark_method_of_the_model(ev):
    result = monte_carlo(ev, draws=10, concentration=None, methods=("industry_division",), seed=1)
    assert (
        result.probabilities.height == ev.enterprises.filter(pl.col("status") == "evaluated").height
    )


# --- Sobol' indices ----------------------------------------------------------------------------


def methodology(indicators: list[dict], cap: float | None = None) -> Methodology:
    return Methodology.model_validate(
        {
            "name": "test",
            "title": "hand-made",
            "groups": {
                "above": {"indicators": indicators},
                "below": {"indicators": [{"id": "tax_per_mu", "weight": 100}]},
            },
            "scoring": {"cap": cap},
            "rd_test": {"enabled": False},
            "land": {"parcel_indicators": [{"id": "tax_per_mu", "weight": 100}]},
        }
    )


def own_parcels(annual: dict[int, dict]) -> Dataset:
    """规上 firms n, each alone on its own parcel of 10 亩, with these annual values."""
    return build(
        enterprises=[{"uscc": uscc(n)} for n in annual],
        annual=[{"uscc": uscc(n), **a} for n, a in annual.items()],
        parcels=[
            {"parcel_id": f"P{n}", "owner_uscc": uscc(n), "area_m2": 10 * M2_PER_MU,
             "floor_area_m2": 1000.0}
            for n in annual
        ],
        occupancy=[
            {"parcel_id": f"P{n}", "uscc": uscc(n), "year_from": 2000, "floor_area_m2": 1000.0}
            for n in annual
        ],
    )  # fmt: skip


def indices(result, target: str) -> dict[str, dict]:
    rows = result.indices.filter((pl.col("list") == "above") & (pl.col("target") == target))
    return {r["input"]: r for r in rows.iter_rows(named=True)}


def test_a_weight_that_cannot_move_a_rank_has_no_effect():
    # tax and value added per mu trade off (the more tax, the less value added), so their weights
    # decide the order; every firm has the same value added per tce, so however heavy its weight,
    # it adds the same to everyone's score and moves nothing
    firms = {
        n: {"tax_paid": 100.0 + 10 * n + 7 * (n % 3), "value_added": 3000.0 - 100 * n,
            "energy_tce": (3000.0 - 100 * n) / 2}
        for n in range(1, 21)
    }  # fmt: skip
    m = methodology(
        [
            {"id": "tax_per_mu", "weight": 40},
            {"id": "va_per_mu", "weight": 40},
            {"id": "va_per_energy", "weight": 20},
        ]
    )
    ev = evaluate(own_parcels(firms), 2022, m)
    result = sobol(ev, base_samples=128, spread=0.5, methods=("preset",), seed=3)
    assert set(result.inputs.filter(pl.col("group") == "above")["input"]) == {
        "weight:tax_per_mu", "weight:va_per_mu", "weight:va_per_energy",
    }  # fmt: skip
    for target in TARGETS:
        si = indices(result, target)
        assert si["weight:va_per_energy"]["ST"] == pytest.approx(0.0, abs=1e-12)
        assert abs(si["weight:va_per_energy"]["S1"]) < 0.1
        for weight in ("weight:tax_per_mu", "weight:va_per_mu"):
            assert si[weight]["ST"] > 0.3  # the order is their ratio's: each has a large share
    moved = result.targets.filter(pl.col("list") == "above")
    assert (moved["mean"] > 0).all()


def test_where_only_the_benchmark_method_can_move_a_rank_it_has_all_the_effect():
    # every firm has the same value added per mu, so the weights cannot reorder anyone; the tax
    # per mu is skewed, so the median benchmark (100) is far below the aggregate one (269) and,
    # with the cap, puts 9 firms at the top score instead of 1: tied, all A, which moves ranks and
    # grades
    taxes = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, *range(160, 240, 10), 3000]
    firms = {n: {"tax_paid": float(t)} for n, t in enumerate(taxes, 1)}
    m = methodology(
        [{"id": "tax_per_mu", "weight": 50}, {"id": "va_per_mu", "weight": 50}], cap=1.5
    )
    ev = evaluate(own_parcels(firms), 2022, m)
    assert benchmark_choices(ev, "above") == (
        "preset", *(x for x in get_args(BenchmarkMethod) if x not in ("aggregate", "fixed")),
    )  # fmt: skip
    result = sobol(ev, base_samples=128, seed=3)
    for target in TARGETS:
        si = indices(result, target)
        assert si["benchmark"]["ST"] == pytest.approx(1.0, abs=0.15)
        assert si["benchmark"]["S1"] == pytest.approx(1.0, abs=0.2)
        for weight in ("weight:tax_per_mu", "weight:va_per_mu"):
            assert si[weight]["ST"] == pytest.approx(0.0, abs=1e-12)


def test_sobol_repeats_with_its_seed(ev):
    a = sobol(ev, base_samples=16, seed=5)
    b = sobol(ev, base_samples=16, seed=5)
    c = sobol(ev, base_samples=16, seed=6)
    assert a.indices.equals(b.indices) and a.targets.equals(b.targets)
    assert not a.indices.equals(c.indices)
    assert set(a.indices["list"]) == {"above", "below", "below_small", "tenant"}
    assert a.indices.height == 2 * (7 + 3 * 3)  # 2 targets; above 6 weights + method, below 2 + 1
    assert a.indices["input_label"].str.contains("亩均税收").any()
    runs = dict(a.targets.select("group", "runs").unique().iter_rows())
    assert runs == {"above": 16 * (7 + 2), "below": 16 * (3 + 2)}


def test_sobol_refuses_what_it_cannot_estimate(ev):
    with pytest.raises(ValueError, match="power of 2"):
        sobol(ev, base_samples=100)
    with pytest.raises(ValueError, match="nothing varies"):
        sobol(ev, base_samples=16, spread=0.0, methods=("preset",))
    with pytest.raises(ValueError, match="methods"):
        sobol(ev, base_samples=16, methods=("mode",))
