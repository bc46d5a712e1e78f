"""The demo district's pages answer for the bureau and the home page routes each role."""

import pytest

from mujun.web.models import Profile, Run

pytestmark = pytest.mark.django_db


def test_every_year_is_published(district):
    from tests.web.conftest import YEARS

    published = Run.objects.filter(status="published")
    assert sorted(published.values_list("year", flat=True)) == YEARS
    for run in published:
        active = district.annual.filter(district.annual["year"] == run.year)
        assert run.results.count() == active.height
        assert run.input_hash == district.fingerprint()


def test_home_routes_by_role(login):
    assert login("analyst").get("/")["Location"] == "/overview/"
    uscc = Profile.objects.get(role="enterprise").uscc
    assert login("enterprise").get("/")["Location"] == f"/enterprises/{uscc}/"


def test_overview_shows_district_figures(login):
    page = login("leader").get("/overview/")
    assert page.status_code == 200
    assert "亩均税收" in page.content.decode()


def test_anonymous_is_sent_to_login(client):
    response = client.get("/overview/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
