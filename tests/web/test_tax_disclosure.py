"""No one works a firm's tax out of what they may open (issue 11, items 1, 4 and 8).

An attacker script, run as each role, downloads everything the role can: the enterprise list's CSV
and XLSX of every year, every published workbook, every parcel's JSON of every year, and the
overview's aggregates. It estimates each firm's tax every way those figures allow (a tax column; land
times 亩均税收; a parcel's tax less its other occupants' known tax; a tax aggregate of a group the firm
dominates). Run as the bureau it finds nearly every firm, so the attack is real; run as land, leader
or deputy it finds none, as a street officer none outside its division, as an enterprise none but
itself. The profile, its explanation and the PDFs are checked for the tax figures they must not show.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections import defaultdict

import pytest
from python_calamine import CalamineWorkbook

from mujun.web import selectors, services
from mujun.web.models import Enterprise, Parcel, ParcelResult, Result, Run

from .conftest import YEARS

pytestmark = pytest.mark.django_db

TAX_AMOUNT = ("实缴税金（万元）", "评价税收（万元）", "调整后税收（万元）")
LAND = ("用地（亩）", "用地面积（亩）")
TOLERANCE = 0.10


def _rows(table: list[list]) -> list[dict]:
    header = [str(h) for h in table[0]]
    return [dict(zip(header, row, strict=False)) for row in table[1:]]


def _number(value) -> float | None:
    if value in (None, "", "—"):
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def gather(client) -> dict:
    """Everything a signed-in user can download: rows about firms (year, row) and parcel JSON."""
    firms: list[tuple[int, dict]] = []
    for year in YEARS:
        for fmt in ("csv", "xlsx"):
            response = client.get(f"/enterprises/?year={year}&export={fmt}")
            if response.status_code != 200:
                continue
            if fmt == "csv":
                table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            else:
                book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
                table = book.get_sheet_by_index(0).to_python()
            firms += [(year, r) for r in _rows(table)]
    parcel_rows: list[tuple[int, dict]] = []
    for run in Run.objects.filter(status=Run.Status.PUBLISHED).defer("published_xlsx"):
        response = client.get(f"/runs/{run.pk}/published.xlsx")
        if response.status_code != 200:
            continue
        book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
        for name in book.sheet_names[1:]:  # after the cover
            rows = _rows(book.get_sheet_by_name(name).to_python())
            (parcel_rows if name == "宗地" else firms).extend((run.year, r) for r in rows)
    parcels = []
    for parcel_id in Parcel.objects.values_list("parcel_id", flat=True):
        for year in YEARS:
            response = client.get(f"/parcels/{parcel_id}/?year={year}")
            if response.status_code == 200:
                parcels.append(response.json())
    return {"firms": firms, "parcel_rows": parcel_rows, "parcels": parcels}


def estimates(seen: dict) -> dict[tuple[int, str], list[float]]:
    """(year, uscc) → every estimate of the firm's tax the downloads allow."""
    out: dict[tuple[int, str], list[float]] = defaultdict(list)
    for year, row in seen["firms"]:
        uscc = row.get("统一社会信用代码")
        for header in TAX_AMOUNT:
            if (v := _number(row.get(header))) is not None:
                out[(year, uscc)].append(v)
        per_mu = next((_number(v) for k, v in row.items() if k.startswith("亩均税收（")), None)
        land = next((_number(row.get(h)) for h in LAND if _number(row.get(h)) is not None), None)
        if per_mu is not None and land is not None:
            out[(year, uscc)].append(per_mu * land)
    # a parcel's tax less what is known of its other occupants
    for p in seen["parcels"]:
        if p.get("tax_per_mu") is None:
            continue
        total = p["tax_per_mu"] * p["area_mu"]
        year = p["year"]
        occupants = [o["uscc"] for o in p.get("occupants", [])]
        unknown = [u for u in occupants if not out.get((year, u))]
        if len(unknown) == 1:
            known = sum(out[(year, u)][0] for u in occupants if u != unknown[0])
            out[(year, unknown[0])].append(total - known)
    return out


def aggregate_estimates(user) -> dict[tuple[int, str], list[float]]:
    """The overview's tax aggregates: a group's tax (亩均税收 × its land) bounds each firm's in it,
    and is the firm's when the group is the firm (or the firm pays nearly all of it); blank groups
    are given back, together, by the district's total less the groups shown."""
    out: dict[tuple[int, str], list[float]] = defaultdict(list)
    for year in YEARS:
        run = services.published(year)
        figures = selectors.district_overview(user, run)
        rows = selectors.results(user, run).filter(status="evaluated", land_mu__gt=0)
        kpi = figures["kpi"]
        district = kpi["tax_per_mu"] * kpi["land_mu"] if kpi["tax_per_mu"] is not None else None
        partitions = [
            [("division_code", d["code"], d["tax_per_mu"]) for d in figures["divisions"]],
            [
                ("industry_code__startswith", i["code"], i["tax_per_mu"])
                for i in figures["industries"]
            ],
        ]
        for groups in partitions:
            shown, blank = 0.0, []
            for field, code, per_mu in groups:
                members = list(rows.filter(**{field: code}).values_list("uscc", "land_mu"))
                if per_mu is None:
                    blank += members
                    continue
                total = per_mu * sum(land for _, land in members)
                shown += total
                for uscc, _ in members:
                    out[(year, uscc)].append(total)
            if district is not None and blank:
                for uscc, _ in blank:
                    out[(year, uscc)].append(district - shown)
    return out


def truth() -> dict[tuple[int, str], float]:
    out = {}
    for year in YEARS:
        run = services.published(year)
        for uscc, tax in Result.objects.filter(run=run, adjusted_tax__gt=0).values_list(
            "uscc", "adjusted_tax"
        ):
            out[(year, uscc)] = tax
    return out


def found(guesses: dict, actual: dict) -> set[tuple[int, str]]:
    return {
        key
        for key, values in guesses.items()
        if key in actual and any(abs(v - actual[key]) <= TOLERANCE * actual[key] for v in values)
    }


def entitled(username: str) -> set[str]:
    """The firms whose tax the demo user may see."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    return {f.uscc for f in Enterprise.objects.all() if user.has_perm("mujun.view_tax", f)}


def test_the_attack_finds_every_firm_as_the_bureau(login):
    """The positive control: with the bureau's downloads, each way of estimating works."""
    actual = truth()
    seen = gather(login("analyst"))
    everything = found(estimates(seen), actual)
    assert len(everything) >= 0.95 * len(actual)
    # land × 亩均税收 alone (what the leader's CSV allowed before the fix)
    no_amounts = {
        "firms": [
            (y, {k: v for k, v in r.items() if k not in TAX_AMOUNT}) for y, r in seen["firms"]
        ],
        "parcels": [],
    }
    assert len(found(estimates(no_amounts), actual)) >= 0.8 * len(actual)
    # a parcel's tax less the rest: single-occupant parcels give their firm exactly
    parcels_only = found(estimates({"firms": [], "parcels": seen["parcels"]}), actual)
    assert len(parcels_only) >= 50
    from django.contrib.auth import get_user_model

    analyst = get_user_model().objects.get(username="analyst")
    assert found(aggregate_estimates(analyst), actual)  # small industries are one firm


@pytest.mark.parametrize("role", ["land", "leader", "deputy", "street", "enterprise"])
def test_no_role_derives_a_tax_it_may_not_see(login, role):
    from django.contrib.auth import get_user_model

    actual = truth()
    allowed = entitled(role)
    client = login(role)
    seen = gather(client)
    assert seen["firms"] or role == "enterprise"  # the role did download the lists
    if role in ("land", "leader", "deputy"):
        assert seen["parcels"] and seen["parcel_rows"]
    guesses = estimates(seen)
    user = get_user_model().objects.get(username=role)
    if role != "enterprise":  # an enterprise has no overview
        for key, values in aggregate_estimates(user).items():
            guesses[key] += values
    leaked = {key for key in found(guesses, actual) if key[1] not in allowed}
    assert not leaked, (
        f"{role} derives the tax of {len(leaked)} firm-years, e.g. {sorted(leaked)[:3]}"
    )
    # and no firm it may not see is given a tax figure or a total score in any workbook row
    for _, row in seen["firms"] + seen["parcel_rows"]:
        uscc = row.get("统一社会信用代码") or ""
        if uscc in allowed:
            continue
        shown = {
            k for k, v in row.items() if ("税" in k or k == "综合得分") and v not in ("", None)
        }
        assert not shown or row.get("宗地编号"), (role, uscc, shown)
    for _, row in seen["parcel_rows"]:
        occupants = [u for u in (row.get("使用企业") or "").split(";") if u]
        if not set(occupants) <= allowed:
            assert row.get("亩均税收（万元/亩）") in ("", None), (role, row.get("宗地编号"))


def test_a_street_officers_workbook_is_its_division(login):
    from django.contrib.auth import get_user_model

    street = get_user_model().objects.get(username="street")
    run = services.published(2022)
    response = login("street").get(f"/runs/{run.pk}/published.xlsx")
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    divisions = {
        r["镇街代码"]
        for name in book.sheet_names[1:]
        for r in _rows(book.get_sheet_by_name(name).to_python())
    }
    assert divisions == {street.profile.division_code}
    firms = sum(len(book.get_sheet_by_name(n).to_python()) - 1 for n in book.sheet_names[1:-1])
    assert (
        firms == Result.objects.filter(run=run, division_code=street.profile.division_code).count()
    )


def test_the_bureau_downloads_the_stored_workbook(login):
    run = Run.objects.filter(status=Run.Status.PUBLISHED).order_by("year").last()
    response = login("analyst").get(f"/runs/{run.pk}/published.xlsx")
    assert response.content == bytes(run.published_xlsx)
    # the others' are written on demand, the same bytes every time
    leader = login("leader")
    first = leader.get(f"/runs/{run.pk}/published.xlsx").content
    assert (
        first != response.content and first == leader.get(f"/runs/{run.pk}/published.xlsx").content
    )


TAX_WORDS = (
    "亩均税收",
    "单位用电税收",
    "实缴税金",
    "调整后税收",
    "综合得分",
    "加回",
    "扣除一次性税收",
)


@pytest.mark.parametrize("role", ["analyst", "land", "leader"])
def test_profile_and_explanation_show_tax_only_with_the_right(login, role):
    """The profile of a graded 规上 firm: its tax indicators, total score and the points to the next
    grade are for the bureau; land and leaders read the other indicators and the grades."""
    client = login(role)
    run = services.published(2022)
    firm = (
        Result.objects.filter(run=run, list="above", status="evaluated", grade__in=["B", "C"])
        .order_by("uscc")
        .first()
    )
    page = client.get(f"/enterprises/{firm.uscc}/").content.decode()
    explanation = client.get(f"/enterprises/{firm.uscc}/explain/?year=2022").content.decode()
    assert "亩均增加值" in page and "亩均增加值" in explanation
    if role == "analyst":
        assert all(w in page for w in ("亩均税收", "综合得分")) and "亩均税收" in explanation
        return
    assert not [w for w in TAX_WORDS if w in page or w in explanation]
    # the score's gap to the next grade would give the total away
    gap = f"{firm.total_score:,.2f}"
    assert gap not in page and gap not in explanation


@pytest.mark.parametrize("role", ["analyst", "land"])
def test_the_profile_shows_each_tax_term_as_counted_only_with_the_right(login, role):
    """Beside tax paid and adjusted tax, the terms added back (here 固定资产进项税抵扣)."""
    run = services.published(2022)
    firm = (
        Result.objects.filter(run=run, values__tax_fixed_asset_vat_credit__gt=0)
        .order_by("uscc")
        .first()
    )
    page = login(role).get(f"/enterprises/{firm.uscc}/").content.decode()
    assert ("加回固定资产进项税抵扣" in page) == (role == "analyst")


def _pdf_text(content: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "summary.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def test_a_street_officers_summary_pdf_is_its_division(login, tmp_path):
    from django.contrib.auth import get_user_model

    street = get_user_model().objects.get(username="street")
    run = services.published(2022)
    text = _pdf_text(login("street").get(f"/runs/{run.pk}/summary.pdf").content, tmp_path)
    names = selectors.division_names()
    own = names[street.profile.division_code]
    others = [n for c, n in names.items() if c != street.profile.division_code]
    assert own in text and not [n for n in others if n in text]
    firms = Result.objects.filter(
        run=run, division_code=street.profile.division_code, status="evaluated", land_mu__gt=0
    ).count()
    assert re.search(rf"参评企业 {firms} 家", text)
    # the zone report spans divisions: refused
    assert login("street").get("/scitech/report.pdf?year=2022").status_code == 403


def test_aggregates_dominated_by_one_firm_are_blank_for_readers_without_tax(login):
    from django.contrib.auth import get_user_model

    leader = get_user_model().objects.get(username="leader")
    analyst = get_user_model().objects.get(username="analyst")
    run = services.published(2022)
    full = {i["code"]: i for i in selectors.district_overview(analyst, run)["industries"]}
    cut = {i["code"]: i for i in selectors.district_overview(leader, run)["industries"]}
    small = [c for c, i in full.items() if i["firms"] < 3]
    assert small  # the test district has industries of one or two firms
    assert all(cut[c]["tax_per_mu"] is None for c in small)
    assert all(full[c]["tax_per_mu"] is not None for c in small)
    shown = [c for c, i in cut.items() if i["tax_per_mu"] is not None]
    assert shown and all(cut[c]["tax_per_mu"] == full[c]["tax_per_mu"] for c in shown)


@pytest.mark.parametrize("role", ["street", "enterprise"])
def test_a_shared_parcel_does_not_give_the_other_occupants_tax(login, role):
    """A parcel of the street's division (or the enterprise's own) that another division's firm
    shares: its 亩均税收 times its area, less what the reader knows, would be that firm's tax."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=role)
    run = services.published(2022)
    if role == "street":
        parcel = (
            ParcelResult.objects.filter(run=run, division_code=user.profile.division_code)
            .exclude(occupants=[])
            .order_by("parcel_id")
            .first()
        )
    else:
        parcel = ParcelResult.objects.filter(run=run, owner_uscc=user.profile.uscc).first()
    own = [o["uscc"] for o in parcel.occupants]
    other = (
        Result.objects.filter(run=run, adjusted_tax__gt=0)
        .exclude(uscc__in=own)
        .exclude(division_code=user.profile.division_code or "-")
        .order_by("uscc")
        .first()
    )
    taxes = dict(
        Result.objects.filter(run=run, uscc__in=[*own, other.uscc]).values_list(
            "uscc", "adjusted_tax"
        )
    )
    occupants = [
        *parcel.occupants,
        {"uscc": other.uscc, "name": other.name, "role": "tenant", "land_mu": 1.0},
    ]
    ParcelResult.objects.filter(pk=parcel.pk).update(
        occupants=occupants, tax_per_mu=sum(taxes.values()) / parcel.area_mu
    )
    data = login(role).get(f"/parcels/{parcel.parcel_id}/?year=2022").json()
    assert other.uscc in [o["uscc"] for o in data["occupants"]]
    assert data["tax_per_mu"] is None
    # the bureau still reads it
    data = login("analyst").get(f"/parcels/{parcel.parcel_id}/?year=2022").json()
    assert data["tax_per_mu"] == pytest.approx(sum(taxes.values()) / parcel.area_mu)


@pytest.mark.parametrize("role", ["analyst", "land"])
def test_the_land_inventory_shows_tax_only_with_the_right(login, role):
    """A parcel flagged for low tax frees area × (1 − 亩均税收 ÷ standard): for land officers
    neither the tax nor that area, per parcel or in the totals."""
    from mujun.engine.lowland import TAX_BASED

    response = login(role).get("/land/?year=2022")
    assert response.status_code == 200
    rows = response.context["rows"]
    by_tax = [r for r in rows if r["category"] in TAX_BASED]
    assert by_tax  # the test district has such parcels
    totals = [*response.context["by_category"], *response.context["divisions"]]
    if role == "analyst":
        assert all(r["tax_per_mu"] is not None and r["freeable_mu"] is not None for r in by_tax)
        return
    assert all(r["tax_per_mu"] is None for r in rows)
    assert all(r["freeable_mu"] is None and "亩均税收 " not in r["reason"] for r in by_tax)
    assert all(t["freeable_mu"] is None for t in totals if t["category"] in TAX_BASED)
    others = [r for r in rows if r["category"] not in TAX_BASED]
    assert others and all(r["freeable_mu"] is not None for r in others)


def test_the_land_inventory_hides_a_shared_parcels_tax_from_the_street(login, monkeypatch):
    """A flagged parcel of the street's division that another division's firm shares."""
    import dataclasses

    import polars as pl
    from django.contrib.auth import get_user_model

    from mujun.web import land

    street = get_user_model().objects.get(username="street").profile.division_code
    other = Enterprise.objects.exclude(division_code=street).order_by("uscc").first().uscc
    real = land.inventory
    shared = {}

    def with_a_shared_parcel(year, runs):
        inv = real(year, runs)
        mine = inv.parcels.filter(pl.col("division_code") == street).sort("parcel_id")
        shared["id"] = mine["parcel_id"][0]
        parcels = inv.parcels.with_columns(
            pl.when(pl.col("parcel_id") == shared["id"])
            .then(pl.concat_str(pl.col("occupant_usccs"), pl.lit(";" + other)))
            .otherwise(pl.col("occupant_usccs"))
            .alias("occupant_usccs")
        )
        return dataclasses.replace(inv, parcels=parcels)

    monkeypatch.setattr(land, "inventory", with_a_shared_parcel)
    rows = {r["parcel_id"]: r for r in login("street").get("/land/?year=2022").context["rows"]}
    assert rows[shared["id"]]["tax_per_mu"] is None
    assert [r for p, r in rows.items() if p != shared["id"] and r["tax_per_mu"] is not None]
