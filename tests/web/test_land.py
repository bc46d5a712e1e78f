"""Land pages: the low-efficiency inventory (scoped for street officers), the map layer, the project
screening form and the commitment check."""

import pytest

from mujun.web.models import Parcel

pytestmark = pytest.mark.django_db

PROJECT = {
    "name": "新材料项目",
    "industry_code": "2651",
    "land_area_m2": 20000,
    "floor_area_m2": 30000,
    "investment": 20000,
    "promised_tax_per_mu": 40,
    "promised_va_per_mu": 200,
    "promised_va_per_energy": 5,
    "promised_va_per_emission": 5000,
    "promised_rd_intensity": 0.03,
}


def test_inventory_for_land_officers_and_street_scope(login):
    district = login("land").get("/land/")
    assert district.status_code == 200
    street = login("street").get("/land/")
    assert street.status_code == 200
    # the street's inventory holds its own division's parcels only
    mine = set(Parcel.objects.filter(division_code="330211001").values_list("parcel_id", flat=True))
    others = Parcel.objects.exclude(division_code="330211001").values_list("parcel_id", flat=True)
    html = street.content.decode()
    assert not any(f"<td>{p}</td>" in html for p in others)
    assert any(f"<td>{p}</td>" in district.content.decode() for p in list(mine) + list(others))
    assert login("leader").get("/land/").status_code == 403
    assert login("enterprise").get("/land/").status_code == 403


def test_map_layer_marks_flagged_parcels(login):
    data = login("land").get("/map/data.json?layer=lowland").json()
    flagged = [p for p in data["parcels"] if p.get("lowland")]
    assert flagged, "the synthetic district has low-efficiency land"
    assert login("leader").get("/map/?layer=lowland").status_code == 403


def test_screening_form_gives_a_verdict_with_each_condition(login):
    page = login("analyst").post("/land/projects/", PROJECT)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verdict"' in html
    assert any(v in html for v in ("admitted", "conditional", "refused"))
    worse = login("analyst").post("/land/projects/", {**PROJECT, "investment": 1})
    assert "refused" in worse.content.decode()


def test_commitment_check_is_listed(login):
    html = login("analyst").get("/land/projects/").content.decode()
    assert 'id="commitments"' in html


HOSTILE_IDS = ["<img src=x onerror=alert(1)>", "ZH/2021/017"]


@pytest.mark.parametrize("parcel_id", HOSTILE_IDS)
def test_a_parcel_with_markup_or_a_slash_in_its_id_opens(login, parcel_id):
    from urllib.parse import quote

    from django.urls import reverse

    model = Parcel.objects.order_by("parcel_id").first()
    Parcel.objects.create(
        parcel_id=parcel_id,
        owner_uscc=model.owner_uscc,
        division_code=model.division_code,
        area_m2=5000.0,
        geometry=model.geometry,
    )
    client = login("land")
    # as the map asks for it (encodeURIComponent: / as %2F) and as Django names it
    for url in (f"/parcels/{quote(parcel_id, safe='')}/", reverse("parcel", args=[parcel_id])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["parcel_id"] == parcel_id


def test_the_map_escapes_parcel_ids_in_its_tooltip_and_panel():
    """Plotly draws hover text as markup, so the map script escapes every value from the data in
    it (the panel too); ids in the data travel as JSON strings, never into the page's HTML."""
    from pathlib import Path

    import mujun.web

    js = (Path(mujun.web.__file__).parent / "static" / "web" / "mujun.js").read_text()
    hover = js[js.index("text.push(") : js.index(");", js.index("text.push("))]
    assert hover.startswith("text.push(esc(p.id)")
    assert "p.id +" not in js and "p.parcel_id +" not in js
    assert "esc(p.parcel_id)" in js and "esc(p.lowland)" in hover
