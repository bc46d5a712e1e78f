"""Invariants of the engine on random small districts (hypothesis)."""

from __future__ import annotations

import polars as pl
from factory import M2_PER_MU, build, uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.dataset import Dataset
from mujun.engine import evaluate
from mujun.methodologies import load_methodology

ZHENHAI = load_methodology("zhenhai")
GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}
# amounts to the 100 yuan (0.01 万元), as the bureaus report them: no subnormal floats
money = st.integers(0, 500_000).map(lambda cents: cents / 100)


@st.composite
def districts(draw):
    n = draw(st.integers(2, 9))
    firms = [uscc(i) for i in range(n)]
    annual = []
    for u in firms:
        va = draw(money)
        annual.append(
            {
                "uscc": u,
                "scale": draw(st.sampled_from(["above", "above", "below"])),
                "tax_paid": draw(money),
                "fixed_asset_vat_credit": draw(st.sampled_from([0.0, 0.0, 50.0])),
                "value_added": va,
                "output": va * 3 + 1,
                "revenue": va * 3 + 1,
                "energy_tce": draw(st.one_of(st.just(0.0), money)),
                "emissions_eq": draw(
                    st.one_of(st.none(), st.integers(1, 1000).map(lambda x: x / 100))
                ),
                "employees": float(draw(st.integers(1, 500))),
                "rd_expense": draw(money) / 20,
                "electricity_kwh": float(draw(st.integers(0, 10_000_000))),
            }
        )
    parcels, occupancy = [], []
    for p in range(draw(st.integers(1, 5))):
        owner = draw(st.sampled_from(firms))
        floor = draw(st.floats(100, 50_000))
        parcels.append(
            {
                "parcel_id": f"P{p}",
                "owner_uscc": owner,
                "area_m2": draw(st.floats(0.5, 80)) * M2_PER_MU,
                "floor_area_m2": floor,
            }
        )
        users = draw(st.lists(st.sampled_from(firms), unique=True, max_size=4))
        shares = [draw(st.floats(0.05, 1.0)) for _ in users]
        scale = max(1.0, sum(shares) / draw(st.floats(0.3, 1.0)))
        for u, s in zip(users, shares, strict=True):
            occupancy.append(
                {
                    "parcel_id": f"P{p}",
                    "uscc": u,
                    "year_from": 2015,
                    "floor_area_m2": floor * s / scale,
                }
            )
    events = []
    if draw(st.booleans()):
        events.append({"uscc": draw(st.sampled_from(firms)), "year": 2022, "kind": "safety_fatal"})
    return build([{"uscc": u} for u in firms], annual, parcels, occupancy, events)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(districts())
def test_land_is_conserved_per_parcel(ds):
    ev = evaluate(ds, 2022, ZHENHAI)
    allocated = ev.allocation.group_by("parcel_id").agg(pl.col("land_m2").sum())
    joined = ds.parcels.join(allocated, on="parcel_id", how="left").with_columns(
        pl.col("land_m2").fill_null(0.0)
    )
    for area, land in joined.select("area_m2", "land_m2").iter_rows():
        assert abs(area - land) <= 1e-9 * area


@SETTINGS
@given(districts())
def test_every_enterprise_appears_exactly_once(ds):
    ev = evaluate(ds, 2022, ZHENHAI)
    assert sorted(ev.enterprises.get_column("uscc").to_list()) == sorted(
        ds.annual.get_column("uscc").to_list()
    )
    graded = ev.enterprises.filter(pl.col("grade").is_not_null())
    assert graded.filter(pl.col("status") == "exempt").height == 0


@SETTINGS
@given(districts(), st.data())
def test_raising_a_firms_tax_never_lowers_its_score_or_grade(ds, data):
    u = data.draw(st.sampled_from(ds.annual.get_column("uscc").to_list()))
    extra = data.draw(money.filter(lambda x: x > 0))
    richer = Dataset.from_frames(
        **{
            **ds.tables(),
            "annual": ds.annual.with_columns(
                pl.when(pl.col("uscc") == u)
                .then(pl.col("tax_paid") + extra)
                .otherwise(pl.col("tax_paid"))
                .alias("tax_paid")
            ),
        }
    )
    before = evaluate(ds, 2022, ZHENHAI).enterprises.filter(uscc=u).row(0, named=True)
    after = evaluate(richer, 2022, ZHENHAI).enterprises.filter(uscc=u).row(0, named=True)
    if before["total_score"] is not None:
        assert after["total_score"] >= before["total_score"] - 1e-9
    if before["grade"] is not None:
        assert GRADE_ORDER[after["grade"]] <= GRADE_ORDER[before["grade"]]
        assert after["rank"] <= before["rank"]


@SETTINGS
@given(districts(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_results(ds, rnd):
    shuffled = Dataset.from_frames(
        **{
            name: frame.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 2**31))
            for name, frame in ds.tables().items()
        }
    )
    a, b = evaluate(ds, 2022, ZHENHAI), evaluate(shuffled, 2022, ZHENHAI)
    assert a.enterprises.equals(b.enterprises)
    assert a.parcels.equals(b.parcels)
    assert a.input_hash == b.input_hash


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(districts(), st.randoms(use_true_random=False))
def test_the_same_input_gives_byte_identical_files(tmp_path_factory, ds, rnd):
    from mujun.reports.output import write_enterprises, write_parcels

    shuffled = Dataset.from_frames(
        **{
            name: frame.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 2**31))
            for name, frame in ds.tables().items()
        }
    )
    folder = tmp_path_factory.mktemp("out")
    for name, data in (("a", ds), ("b", shuffled)):
        ev = evaluate(data, 2022, ZHENHAI)
        for suffix in ("csv", "xlsx", "parquet"):
            write_enterprises(ev, folder / f"{name}.{suffix}")
            write_parcels(ev, folder / f"{name}-parcels.{suffix}")
    for suffix in ("csv", "xlsx", "parquet"):
        assert (folder / f"a.{suffix}").read_bytes() == (folder / f"b.{suffix}").read_bytes()
        assert (folder / f"a-parcels.{suffix}").read_bytes() == (
            folder / f"b-parcels.{suffix}"
        ).read_bytes()
