"""Monte Carlo: no spread reproduces the preset; seeded runs repeat; the transition matrix of a
preset against itself is diagonal."""

from __future__ import annotations

import polars as pl
import pytest

from mujun.dataset import Dataset
from mujun.engine import evaluate
from mujun.engine.compare import ORDER, compare
from mujun.engine.sensitivity import monte_carlo
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
