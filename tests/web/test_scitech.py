"""The sci-tech zone pages: targets, pipeline and tasks for the zone, the tracker's notes, and the
People's Congress report built from the database."""

import pytest

from mujun.web.models import Task

pytestmark = pytest.mark.django_db


def test_zone_page_shows_targets_pipeline_and_tasks(login):
    page = login("deputy").get("/scitech/")
    assert page.status_code == 200
    html = page.content.decode()
    for anchor in ('id="targets"', 'id="pipeline"', 'id="tasks"', "甬江"):
        assert anchor in html
    # read-only roles get no list of named firms; the bureau works from it
    assert 'id="candidates"' not in html
    assert 'id="candidates"' in login("analyst").get("/scitech/").content.decode()


def test_enterprise_users_do_not_see_the_zone(login):
    assert login("enterprise").get("/scitech/").status_code == 403


def test_analyst_adds_a_progress_note_and_leader_cannot(login):
    login("analyst").get("/scitech/")  # seeds the tracker
    task = Task.objects.order_by("pk").first()
    notes = task.notes.count()
    done = login("analyst").post(
        f"/scitech/tasks/{task.pk}/", {"status": "done", "text": "验收完成"}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.notes.count() == notes + 1
    refused = login("leader").post(f"/scitech/tasks/{task.pk}/", {"status": "behind", "text": "x"})
    assert refused.status_code == 403
    task.refresh_from_db()
    assert task.status == "done"


def test_report_pdf_from_the_database(login):
    response = login("leader").get("/scitech/report.pdf?year=2022")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert login("leader").get("/scitech/report.pdf?year=1999").status_code == 404
