"""Small hand-made datasets for tests: every table with sensible defaults, overridable per row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from mujun.dataset import Dataset
from mujun.dataset.schema import TABLE
from mujun.dataset.uscc import make_uscc
from mujun.engine.methodology import Methodology

M2_PER_MU = 10000 / 15
ZHENHAI_V1 = Path(__file__).parent / "presets" / "zhenhai-v1.toml"
"""The `zhenhai` preset before issue 13, for tests of the engine's arithmetic under its rules."""
DIVISION = "330211002"  # 蛟川街道


def uscc(n: int) -> str:
    """A valid, distinct USCC for test firm number n."""
    return make_uscc("330211", f"MA2H{n:04d}")


ENTERPRISE = {
    "name": None,
    "industry_code": "3451",  # 滚动轴承制造
    "division_code": DIVISION,
    "established": dt.date(2010, 1, 1),
    "zones": None,
}
ANNUAL = {
    "year": 2022,
    "scale": "above",
    "revenue": 10000.0,
    "output": 10000.0,
    "value_added": 2000.0,
    "tax_paid": 300.0,
    "fixed_asset_vat_credit": 0.0,
    "vat_refund": 0.0,
    "export_vat_offset": 0.0,
    "one_off_tax": 0.0,
    "energy_tce": 1000.0,
    "emissions_eq": 1.0,
    "rd_expense": 300.0,
    "employees": 100.0,
    "electricity_kwh": 1_000_000.0,
}
PARCEL = {
    "division_code": DIVISION,
    "land_use": "industrial",
    "geometry": None,
    "status": "producing",
    "approved_on": None,
    "granted_on": None,
    "start_due": None,
    "production_due": None,
}


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = TABLE[table].schema
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema, orient="row")


def build(
    enterprises: list[dict],
    annual: list[dict] = (),
    parcels: list[dict] = (),
    occupancy: list[dict] = (),
    events: list[dict] = (),
    qualifications: list[dict] = (),
    talents: list[dict] = (),
    projects: list[dict] = (),
    exemptions: list[dict] = (),
    land_confirmations: list[dict] = (),
) -> Dataset:
    """A dataset from partial rows: defaults fill what a row leaves out."""
    ents = [{**ENTERPRISE, "name": f"测试企业{i}", **e} for i, e in enumerate(enterprises)]
    return Dataset.from_frames(
        enterprises=frame("enterprises", ents),
        annual=frame("annual", [{**ANNUAL, **a} for a in annual]),
        parcels=frame("parcels", [{**PARCEL, **p} for p in parcels]),
        occupancy=frame("occupancy", [{"year_to": None, **o} for o in occupancy]),
        events=frame("events", list(events)),
        qualifications=frame("qualifications", list(qualifications)),
        talents=frame("talents", list(talents)),
        projects=frame("projects", list(projects)),
        exemptions=frame("exemptions", list(exemptions)),
        land_confirmations=frame("land_confirmations", list(land_confirmations)),
    )


def simple(**overrides) -> Methodology:
    """A methodology on 亩均税收 alone (weight 100 in both groups and on parcels), no R&D test;
    `a__b=value` sets a nested key (grading__method="thresholds"), a plain key replaces a section."""
    data = {
        "name": "test",
        "title": "one indicator",
        "groups": {
            "above": {"indicators": [{"id": "tax_per_mu", "weight": 100}]},
            "below": {"indicators": [{"id": "tax_per_mu", "weight": 100}]},
        },
        "rd_test": {"enabled": False},
        "land": {"parcel_indicators": [{"id": "tax_per_mu", "weight": 100}]},
    }
    for key, value in overrides.items():
        target = data
        *path, last = key.split("__")
        for p in path:
            target = target.setdefault(p, {})
        target[last] = value
    return Methodology.model_validate(data)
