"""The overview: the district's figures stored at publication equal the live ones; a street officer
gets its own division's figures."""

import json

import pytest

from mujun.web import selectors
from mujun.web.models import Result, Run

pytestmark = pytest.mark.django_db


def same(a, b) -> bool:
    """Equal, floats to 12 significant digits: the database sums floats in whatever order its plan
    takes (PostgreSQL), so the last bits of a stored and a live sum may differ."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12)
    return a == b


def test_stored_figures_equal_the_live_ones():
    runs = selectors.published_runs()
    for year, run in runs.items():
        rows = Result.objects.filter(run=run)
        live = json.loads(json.dumps(selectors.overview_figures(rows)))
        assert same(run.figures.overview, live)
        before = runs.get(year - 1)
        stored = run.figures.movers
        assert stored["previous"] == (before.pk if before else None)
        if before is not None:
            best, worst = selectors.movers_between(rows, Result.objects.filter(run=before))
            assert same(stored["best"], json.loads(json.dumps(best)))
            assert same(stored["worst"], json.loads(json.dumps(worst)))


def test_street_officer_sees_its_division(login):
    page = login("street").get("/overview/")
    divisions = page.context["divisions"]
    assert [d["code"] for d in divisions] == ["330211001"]
    analyst = login("analyst").get("/overview/")
    assert len(analyst.context["divisions"]) > 1
    latest = Run.objects.filter(status="published").order_by("-year").first()
    assert same(analyst.context["kpi"], latest.figures.overview["kpi"])
