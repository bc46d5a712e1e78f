"""The benchmark's pandas baseline must keep agreeing with the engine, so that `make bench`
compares like with like. Timings are never asserted here: targets are checked by `make bench`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest
from factory import ZHENHAI_V1

from mujun.dataset import Dataset
from mujun.engine import evaluate_years as engine_evaluate_years
from mujun.methodologies import load_methodology
from mujun.synth import synthesize


def _baseline_module():
    try:
        from bench import pandas_baseline
    except ImportError:
        # plain `pytest` puts tests/ on sys.path but not the project root, so `bench` is this
        # folder: load the module from its file instead
        path = Path(__file__).resolve().parents[2] / "bench" / "pandas_baseline.py"
        spec = importlib.util.spec_from_file_location("_bench_pandas_baseline", path)
        pandas_baseline = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = pandas_baseline
        spec.loader.exec_module(pandas_baseline)
    return pandas_baseline


pb = _baseline_module()
YEARS = [2020, 2021, 2022]


def _agreement(ds: Dataset, years: list[int]):
    m = load_methodology(ZHENHAI_V1)  # the rules the baseline implements
    engine = pb.engine_frames(engine_evaluate_years(ds, years, m), m)
    baseline = pb.results_frames(pb.evaluate_years(ds.tables(), years, m))
    return pb.compare(*engine, *baseline), engine[0]


def test_baseline_agrees_with_engine_on_a_synthetic_district():
    ds = Dataset.from_frames(**synthesize(400, YEARS, seed=3))
    agreement, firms = _agreement(ds, YEARS)
    assert agreement.firm_rows == ds.annual.height
    assert agreement.agree, str(agreement)
    assert set(firms["grade"].drop_nulls()) == {"A", "B", "C", "D"}


def test_baseline_agrees_on_awkward_data():
    """Missing tax (no_data), zero employees and energy (zero denominators: group average),
    missing electricity and emissions, loss-making years, a year evaluated alone (history)."""
    tables = synthesize(400, YEARS, seed=5)
    i = pl.int_range(pl.len())
    tables["annual"] = tables["annual"].with_columns(
        pl.when(i % 37 == 3).then(None).otherwise(pl.col("tax_paid")).alias("tax_paid"),
        pl.when(i % 41 == 5).then(0.0).otherwise(pl.col("employees")).alias("employees"),
        pl.when(i % 43 == 7).then(0.0).otherwise(pl.col("energy_tce")).alias("energy_tce"),
        pl.when(i % 29 == 2)
        .then(None)
        .otherwise(pl.col("electricity_kwh"))
        .alias("electricity_kwh"),
        pl.when(i % 31 == 4).then(None).otherwise(pl.col("emissions_eq")).alias("emissions_eq"),
        pl.when(i % 23 == 6)
        .then(-pl.col("value_added").abs())
        .otherwise(pl.col("value_added"))
        .alias("value_added"),
    )
    ds = Dataset.from_frames(**tables)
    for years in (YEARS, [2022]):
        agreement, firms = _agreement(ds, years)
        assert agreement.agree, str(agreement)
        assert {"evaluated", "no_data", "vetoed", "exempt"} <= set(firms["status"])


def test_baseline_refuses_choices_it_does_not_implement():
    with pytest.raises(NotImplementedError, match="huangyan-2022"):
        pb.evaluate_years({}, YEARS, load_methodology("huangyan-2022"))
