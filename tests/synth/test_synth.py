"""The synthetic district: valid, deterministic, and shaped like Zhenhai (calibration_facts.md)."""

from __future__ import annotations

import json

import polars as pl
import pytest

from mujun.dataset import Dataset
from mujun.dataset.reference import divisions, industry_classes
from mujun.dataset.schema import M2_PER_MU, QUALIFICATION_KINDS, TABLE
from mujun.dataset.uscc import make_uscc, uscc_problem
from mujun.synth import synthesize
from mujun.synth.profiles import FULL_SIZE

YEARS = range(2016, 2023)
LAST = 2022
PETROCHEM = ("25", "26", "28")
UTILITIES = ("44", "45", "46")
LON = (121.53, 121.77)
LAT = (29.93, 30.06)


@pytest.fixture(scope="module")
def d800() -> dict[str, pl.DataFrame]:
    return synthesize(800, YEARS, 7)


@pytest.fixture(scope="module")
def d5000() -> dict[str, pl.DataFrame]:
    return synthesize(5000, YEARS, 21)


def occupied_years(occupancy: pl.DataFrame, last: int = LAST) -> pl.DataFrame:
    """One row per occupancy row and year it covers (open periods run to `last`)."""
    end = pl.col("year_to").fill_null(last)
    return (
        occupancy.filter(pl.col("year_from") <= end)
        .with_columns(year=pl.int_ranges("year_from", end + 1))
        .explode("year")
    )


def lists(tables: dict[str, pl.DataFrame], year: int) -> pl.DataFrame:
    """Each firm's published list in `year`, from its scale and the parcels it owns."""
    owned = (
        tables["parcels"]
        .group_by("owner_uscc")
        .agg((pl.col("area_m2").sum() / M2_PER_MU).alias("own_mu"))
        .rename({"owner_uscc": "uscc"})
    )
    renting = (
        occupied_years(tables["occupancy"])
        .filter(pl.col("year") == year)
        .select("uscc")
        .unique()
        .with_columns(occupies=pl.lit(True))
    )
    return (
        tables["annual"]
        .filter(pl.col("year") == year)
        .join(owned, on="uscc", how="left")
        .join(renting, on="uscc", how="left")
        .with_columns(
            list=pl.when(pl.col("scale") == "above")
            .then(pl.lit("above"))
            .when(pl.col("own_mu") >= 3)
            .then(pl.lit("below"))
            .when(pl.col("own_mu") > 0)
            .then(pl.lit("below_small"))
            .when(pl.col("occupies"))
            .then(pl.lit("tenant"))
            .otherwise(pl.lit("no_land"))
        )
    )


def test_tables_follow_the_contract(d800):
    assert set(d800) == set(TABLE)
    for name, frame in d800.items():
        assert list(frame.schema.items()) == list(TABLE[name].schema.items()), name
    for name in ("enterprises", "annual", "parcels", "occupancy", "events", "qualifications"):
        assert d800[name].height > 0, name


@pytest.mark.parametrize(
    ("n", "years", "seed"),
    [
        (60, YEARS, 1),
        (60, YEARS, 2),
        (250, [2022], 3),
        (400, [2016, 2019, 2022], 4),
        (1200, range(2019, 2024), 5),
    ],
)
def test_validates(n, years, seed):
    tables = synthesize(n, years, seed)
    Dataset.from_frames(**tables)  # raises DatasetError listing every problem
    assert tables["enterprises"].height == n


def test_validates_800_and_5000(d800, d5000):
    Dataset.from_frames(**d800)
    Dataset.from_frames(**d5000)


def test_deterministic_for_a_seed():
    first = synthesize(300, YEARS, 3)
    again = synthesize(300, YEARS, 3)
    for name in first:
        assert first[name].equals(again[name]), name
    other = synthesize(300, YEARS, 4)
    assert not first["enterprises"].equals(other["enterprises"])
    assert not first["annual"].equals(other["annual"])


def test_progress_is_reported():
    seen: list[tuple[str, float]] = []
    synthesize(100, YEARS, 1, progress=lambda stage, done: seen.append((stage, done)))
    fractions = [done for _, done in seen]
    assert len(seen) >= 4
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        synthesize(5, YEARS, 1)
    with pytest.raises(ValueError):
        synthesize(100, [], 1)


def test_codes_and_names(d800):
    e = d800["enterprises"]
    codes = e.get_column("uscc").to_list()
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert uscc_problem(code) is None
        assert make_uscc(code[2:8], code[8:16]) == code  # the inner GB 11714 check holds too
        assert code[2:8] in ("330211", "330200")
    assert any(code[8:10] == "MA" for code in codes)
    assert e.get_column("name").n_unique() == e.height
    assert e.get_column("name").str.contains("^(宁波|浙江|镇海).+公司$").all()
    assert set(e.get_column("industry_code")) <= industry_classes()
    assert set(e.get_column("division_code")) == set(divisions())
    assert set(d800["parcels"].get_column("division_code")) <= set(divisions())
    zones = set(e.get_column("zones").drop_nulls().str.split(";").explode())
    assert {"甬江科创区", "甬江芯谷", "宁波石化经济技术开发区"} <= zones


def test_every_enterprise_has_annual_rows(d800):
    active = d800["annual"].get_column("uscc").unique()
    assert active.len() == d800["enterprises"].height


def test_four_lists_in_the_last_year(d800):
    counts = dict(lists(d800, LAST).group_by("list").len().iter_rows())
    for name in ("above", "below", "below_small", "tenant"):
        assert counts.get(name, 0) >= 20, counts
    assert counts.get("no_land", 0) == 0


def test_tenants_on_two_parcels_and_vacancies(d800):
    owners = d800["parcels"].get_column("owner_uscc").unique().implode()
    per_year = occupied_years(d800["occupancy"])
    tenants = per_year.filter(~pl.col("uscc").is_in(owners))
    two = tenants.group_by("uscc", "year").agg(pl.col("parcel_id").n_unique().alias("parcels"))
    assert two.filter(pl.col("parcels") >= 2).height > 0
    last = (
        per_year.filter(pl.col("year") == LAST)
        .group_by("parcel_id")
        .agg(
            pl.col("floor_area_m2").sum().alias("occupied"),
            pl.col("uscc").is_in(owners).not_().sum().alias("tenants"),
        )
        .join(d800["parcels"], on="parcel_id")
    )
    assert last.filter(pl.col("occupied") < pl.col("floor_area_m2")).height > 0
    assert last.filter(pl.col("tenants") >= 2).height > 0
    assert (last.get_column("occupied") <= last.get_column("floor_area_m2")).all()


def test_owners_occupy_their_own_parcels(d800):
    own = d800["occupancy"].join(d800["parcels"].select("parcel_id", "owner_uscc"), on="parcel_id")
    assert own.filter(pl.col("uscc") == pl.col("owner_uscc")).height > 0
    landlords = own.group_by("parcel_id").agg(
        (pl.col("uscc") == pl.col("owner_uscc")).any().alias("owner_there"),
        (pl.col("uscc") != pl.col("owner_uscc")).sum().alias("tenants"),
    )
    let = landlords.filter(pl.col("tenants") > 0)
    assert let.height > 0 and let.get_column("owner_there").all()


def test_veto_in_the_last_year(d800):
    events = d800["events"]
    vetoes = events.filter(pl.col("kind").is_in(["safety_fatal", "env_major", "tax_dishonest"]))
    assert vetoes.filter(pl.col("year") == LAST).height >= 1
    assert set(events.get_column("kind")) <= {
        "safety_fatal",
        "env_major",
        "tax_dishonest",
        "env_minor",
        "safety_minor",
        "relocation",
    }
    assert events.height < 0.05 * d800["annual"].height


def test_utilities_present(d800):
    codes = d800["enterprises"].get_column("industry_code").str.slice(0, 2)
    assert codes.is_in(UTILITIES).sum() >= 1


@pytest.mark.parametrize("size", ["d800", "d5000"])
def test_calibration(size, request):
    tables = request.getfixturevalue(size)
    last = lists(tables, LAST)
    above = last.filter((pl.col("list") == "above") & pl.col("own_mu").is_not_null())
    tax_per_mu = (above.get_column("tax_paid") / above.get_column("own_mu")).median()
    assert 15 <= tax_per_mu <= 60
    va_per_mu = (above.get_column("value_added") / above.get_column("own_mu")).median()
    assert 60 <= va_per_mu <= 250
    scale = last.filter(pl.col("scale") == "above").join(
        tables["enterprises"].select("uscc", "industry_code"), on="uscc"
    )
    petro = scale.filter(pl.col("industry_code").str.slice(0, 2).is_in(PETROCHEM))
    share = petro.get_column("output").sum() / scale.get_column("output").sum()
    assert 0.5 <= share <= 0.8


def test_a_refinery_over_1000_yi_at_full_size():
    tables = synthesize(FULL_SIZE, YEARS, 5)
    last = tables["annual"].filter(pl.col("year") == LAST)
    top = last.sort("output", descending=True).row(0, named=True)
    assert top["output"] > 10_000_000  # 万元: 1000亿元
    code = tables["enterprises"].filter(pl.col("uscc") == top["uscc"]).get_column("industry_code")
    assert code.item() == "2511"


def test_annual_amounts_are_plausible(d5000):
    a = d5000["annual"]
    assert (a.get_column("value_added") >= 0).all()
    assert (a.get_column("value_added") <= a.get_column("output")).all()
    assert (a.get_column("scale") == "above").to_list() == (
        a.get_column("revenue") >= 2000
    ).to_list()
    above = a.filter(pl.col("scale") == "above")
    missing = above.get_column("emissions_eq").null_count() / above.height
    assert 0.005 <= missing <= 0.06
    assert a.filter(pl.col("fixed_asset_vat_credit") > 0).height > 0
    assert a.filter(pl.col("one_off_tax") > 0).height > 0
    assert a.filter(pl.col("one_off_tax") == 0).height > 0.9 * a.height
    rd = above.get_column("rd_expense").sum() / above.get_column("revenue").sum()
    assert 0.01 <= rd <= 0.04
    ordinary = a.filter(pl.col("scale") == "below")
    tax_per_10k_kwh = ordinary.get_column("tax_paid").sum() / (
        ordinary.get_column("electricity_kwh").sum() / 1e4
    )
    assert 0.1 <= tax_per_10k_kwh <= 0.4


def test_entries_exits_and_scale_changes(d5000):
    a = d5000["annual"].sort("uscc", "year")
    span = a.group_by("uscc").agg(pl.col("year").min().alias("first"), pl.col("year").max())
    assert span.filter(pl.col("first") > 2016).height > 0
    assert span.filter(pl.col("year") < LAST).height > 0
    recent = d5000["enterprises"].filter(pl.col("established").dt.year() >= LAST - 1)
    assert recent.height > 0
    moves = a.with_columns(before=pl.col("scale").shift().over("uscc")).filter(
        pl.col("before").is_not_null() & (pl.col("before") != pl.col("scale"))
    )
    assert moves.filter(pl.col("scale") == "above").height > 0  # 升规
    assert moves.filter(pl.col("scale") == "below").height > 0  # 降规
    rows_per_year = a.group_by("year").len().get_column("len")
    assert moves.height < 0.1 * rows_per_year.sum()


def test_qualifications(d800, d5000):
    q = d5000["qualifications"]
    kinds = set(q.get_column("kind"))
    assert {"high_tech", "tech_sme", "srdi", "little_giant", "champion", "listed"} <= kinds
    assert kinds <= set(QUALIFICATION_KINDS)
    assert (
        q.get_column("valid_to").drop_nulls()
        >= q.filter(pl.col("valid_to").is_not_null()).get_column("valid_from")
    ).all()
    assert q.get_column("valid_from").dt.year().max() <= LAST
    joined = q.join(d5000["enterprises"].select("uscc", "established"), on="uscc")
    assert (joined.get_column("valid_from") >= joined.get_column("established")).all()
    # 高新技术企业: about a tenth of above-scale firms hold a valid certificate
    last = lists(d5000, LAST).filter(pl.col("scale") == "above")
    day = pl.date(LAST, 12, 31)
    valid = q.filter(
        (pl.col("kind") == "high_tech")
        & (pl.col("valid_from") <= day)
        & (pl.col("valid_to") >= day)
    )
    holders = last.filter(pl.col("uscc").is_in(valid.get_column("uscc").implode())).height
    assert 0.05 <= holders / last.height <= 0.25
    assert {"high_tech", "tech_sme"} <= set(d800["qualifications"].get_column("kind"))


def test_parcels_geometry_and_dates(d800):
    p = d800["parcels"]
    assert p.get_column("parcel_id").str.contains(r"^ZH-330211\d{3}-\d{5}$").all()
    for text in p.get_column("geometry").to_list():
        geo = json.loads(text)
        assert geo["type"] == "Polygon"
        ring = geo["coordinates"][0]
        assert len(ring) >= 4 and ring[0] == ring[-1]
        for lon, lat in ring:
            assert LON[0] <= lon <= LON[1] and LAT[0] <= lat <= LAT[1]
    statuses = set(p.get_column("status"))
    assert {"producing", "idle"} <= statuses
    assert (
        p.get_column("status")
        .value_counts()
        .filter(pl.col("status") == "producing")
        .item(0, "count")
        > 0.7 * p.height
    )
    built = p.filter(pl.col("status") == "producing")
    ratio = built.get_column("floor_area_m2") / built.get_column("area_m2")
    assert ratio.min() >= 0.79 and ratio.max() <= 2.0
    dated = p.filter(pl.col("granted_on").is_not_null())
    assert (dated.get_column("approved_on") <= dated.get_column("granted_on")).all()
    assert (dated.get_column("granted_on") <= dated.get_column("start_due")).all()
    assert (dated.get_column("start_due") <= dated.get_column("production_due")).all()


def test_tenants_occupy_in_every_active_year(d800):
    owners = d800["parcels"].get_column("owner_uscc").unique().implode()
    tenant_rows = d800["annual"].filter(~pl.col("uscc").is_in(owners)).select("uscc", "year")
    covered = occupied_years(d800["occupancy"]).select("uscc", "year").unique()
    assert tenant_rows.height > 0
    assert tenant_rows.join(covered, on=["uscc", "year"], how="anti").height == 0
    floor = d800["occupancy"].filter(~pl.col("uscc").is_in(owners)).get_column("floor_area_m2")
    assert floor.min() >= 200 and floor.max() <= 5000
