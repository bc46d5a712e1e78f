"""The sci-tech zone pages: targets, pipeline and tasks for the zone, the tracker's notes, and the
People's Congress report built from the database."""

import logging
import re

import pytest

from mujun.web.models import Task, TaskNote

pytestmark = pytest.mark.django_db


def _token(client, task) -> str:
    """The one-time token the task page's note form carries (issued by the server)."""
    html = client.get(f"/scitech/tasks/{task.pk}/").content.decode()
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


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
    client = login("analyst")
    done = client.post(
        f"/scitech/tasks/{task.pk}/",
        {"status": "done", "text": "验收完成", "nonce": _token(client, task)},
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


def test_one_note_form_posted_three_times_makes_one_note(login):
    client = login("analyst")
    client.get("/scitech/")
    task = Task.objects.order_by("pk").first()
    notes = task.notes.count()
    form = {"status": "in_progress", "text": "推进会已召开", "nonce": _token(client, task)}
    for _ in range(3):
        assert client.post(f"/scitech/tasks/{task.pk}/", form).status_code == 302
    assert task.notes.count() == notes + 1
    assert TaskNote.objects.filter(text="推进会已召开").count() == 1


def test_concurrent_posts_of_one_note_form_race_to_one_note(login, monkeypatch):
    """Posts at once all pass the look-up for their token before any has written: the unique
    nonce lets one note in and the others get that one back."""
    from django.contrib.auth import get_user_model

    from mujun.web import services

    login("analyst").get("/scitech/")
    task = Task.objects.order_by("pk").first()
    user = get_user_model().objects.get(username="analyst")
    nonce = services.token_nonce(services.issue_token(user, "task-note"), user, "task-note")
    first = services.add_task_note(task, "in_progress", "并发三次", user, nonce)
    real = TaskNote.objects.filter
    missed = []

    def filter_(*args, **kwargs):
        if kwargs.get("nonce") == nonce and not missed:  # this post raced the first
            missed.append(1)
            return TaskNote.objects.none()
        return real(*args, **kwargs)

    monkeypatch.setattr(TaskNote.objects, "filter", filter_)
    second = services.add_task_note(task, "in_progress", "并发三次", user, nonce)
    third = services.add_task_note(task, "in_progress", "并发三次", user, nonce)
    assert missed and first == second == third
    assert TaskNote.objects.filter(text="并发三次").count() == 1


def test_a_forged_note_token_is_refused(login, caplog):
    client = login("analyst")
    client.get("/scitech/")
    task = Task.objects.order_by("pk").first()
    notes = task.notes.count()
    with caplog.at_level(logging.WARNING, logger="mujun.web.services"):
        response = client.post(
            f"/scitech/tasks/{task.pk}/",
            {"status": "done", "text": "伪造", "nonce": "9f1c0e6b2d8a4c3f9e7b5a1d2c3e4f5a"},
            follow=True,
        )
    assert "此表单已过期或不是发给您的" in response.content.decode()
    assert task.notes.count() == notes
    assert any("token refused" in r.getMessage() for r in caplog.records)
