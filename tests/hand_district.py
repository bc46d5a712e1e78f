"""The small district worked by hand in tests/engine/test_hand_district.py (see its docstring)."""

from __future__ import annotations

import datetime as dt

from factory import M2_PER_MU, ZHENHAI_V1, build, uscc

L, F, V, N, M, Z, T1, T2 = (uscc(i) for i in range(1, 9))
PRESET = ZHENHAI_V1
"""The `zhenhai` preset as it was when these numbers were worked by hand (N exempt by age)."""
YEAR = 2022


def _annual(u, scale, revenue, output, va, tax, energy, emissions, rd, employees, kwh, credit=0.0):
    return {
        "uscc": u,
        "scale": scale,
        "revenue": revenue,
        "output": output,
        "value_added": va,
        "tax_paid": tax,
        "fixed_asset_vat_credit": credit,
        "energy_tce": energy,
        "emissions_eq": emissions,
        "rd_expense": rd,
        "employees": employees,
        "electricity_kwh": kwh,
    }


def district():
    parcels = [
        ("P1", L, 30, 30000),
        ("P2", F, 16, 16000),
        ("P3", V, 10, 10000),
        ("P4", N, 12, 12000),
        ("P5", M, 20, 20000),
        ("P6", Z, 4.5, 4500),
    ]
    occupancy = [
        ("P1", L, 15000),
        ("P1", T1, 6000),
        ("P1", T2, 3000),
        ("P2", F, 12000),
        ("P2", T2, 4000),
        ("P3", V, 10000),
        ("P4", N, 12000),
        ("P5", M, 20000),
        ("P6", Z, 4500),
    ]
    return build(
        enterprises=[
            {"uscc": u, **({"established": dt.date(2021, 3, 1)} if u == N else {})}
            for u in (L, F, V, N, M, Z, T1, T2)
        ],
        annual=[
            _annual(L, "above", 10500, 12000, 2100, 420, 1050, 0.7, 315, 105, 2_000_000),
            _annual(F, "above", 5000, 6000, 1200, 150, 600, 0.6, 50, 60, 1_000_000, credit=75),
            _annual(V, "above", 5000, 5000, 1000, 100, 1000, 1.0, 150, 100, 800_000),
            _annual(N, "above", 3000, 3000, 600, 60, 300, 0.3, 90, 30, 500_000),
            _annual(M, "above", 4000, 4500, 1600, 200, 800, None, 120, 80, 1_500_000),
            _annual(Z, "below", 900, 900, 180, 18, 90, 0.1, 0, 15, 0),
            _annual(T1, "below", 1500, 1500, 300, 30, 100, 0.1, 10, 20, 1_000_000),
            _annual(T2, "below", 700, 700, 140, 14, 70, 0.1, 0, 10, 700_000),
        ],
        parcels=[
            {"parcel_id": p, "owner_uscc": o, "area_m2": mu * M2_PER_MU, "floor_area_m2": float(f)}
            for p, o, mu, f in parcels
        ],
        occupancy=[
            {"parcel_id": p, "uscc": u, "year_from": 2015, "floor_area_m2": float(f)}
            for p, u, f in occupancy
        ],
        events=[
            {"uscc": V, "year": YEAR, "kind": "safety_fatal", "note": "一起死亡事故"},
            {"uscc": M, "year": YEAR, "kind": "env_minor", "note": "超标排放"},
        ],
        qualifications=[
            {
                "uscc": F,
                "kind": "high_tech",
                "level": "national",
                "valid_from": dt.date(2020, 12, 1),
                "valid_to": dt.date(2023, 11, 30),
            },
        ],
    )
