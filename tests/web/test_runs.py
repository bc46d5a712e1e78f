"""Runs: created from the runs page (one per nonce), published once, the published list stored and
reproducible to the byte, a published run frozen, the comparison with the run in force."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.db import transaction

from mujun.web import services
from mujun.web.audit import ImmutableError
from mujun.web.models import LandShare, ParcelResult, Preset, Result, Run

pytestmark = pytest.mark.django_db


TOKENS: dict[tuple[str, str], str] = {}


def _create(client, year: int, preset: str, form: str) -> Run:
    """Post the runs form; the same `form` label posts the same server-issued token again."""
    from django.contrib.auth import get_user_model
    from django.core import signing

    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    token = TOKENS.setdefault((user.username, form), services.issue_token(user, "run"))
    preset_pk = Preset.objects.filter(name=preset).order_by("-version").first().pk
    response = client.post("/runs/", {"year": year, "preset": preset_pk, "nonce": token})
    assert response.status_code == 302, response.content.decode()[:500]
    run = Run.objects.get(nonce=signing.loads(token, salt=services.TOKEN_SALT)["n"])
    assert response["Location"] == f"/runs/{run.pk}/"
    return run


def test_create_and_publish(login, district):
    client = login("analyst")
    before = Run.objects.count()
    run = _create(client, 2022, "huangyan-2022", "run-1")
    assert _create(client, 2022, "huangyan-2022", "run-1") == run  # the same form twice
    assert Run.objects.count() == before + 1
    assert run.status == Run.Status.PREVIEW and run.published_xlsx is None
    assert run.created_by.username == "analyst"
    preset = Preset.objects.filter(name="huangyan-2022").order_by("-version").first()
    assert run.input_hash == district.fingerprint()
    assert run.methodology_hash == preset.methodology_hash
    assert run.methodology_hash != services.published(2022).methodology_hash
    active = district.annual.filter(district.annual["year"] == 2022).height
    assert run.results.count() == active
    assert run.summary["totals"]["enterprises"] == active

    old = services.published(2022)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"#{old.pk}" in page and 'class="small matrix"' in page
    # how many of the preset's numbers have no source (黄岩 leaves its grade cuts to mujun)
    illustrative = len(services.methodology_of(preset).illustrative(evaluation=True))
    assert illustrative > 0 and run.summary["illustrative"] == illustrative
    assert f'<dd id="illustrative">{illustrative} ' in page
    assert client.post(f"/runs/{run.pk}/", {"action": "publish"}).status_code == 302
    run.refresh_from_db()
    assert run.status == Run.Status.PUBLISHED and run.supersedes_id == old.pk
    assert run.published_by.username == "analyst"
    stored = bytes(run.published_xlsx)
    assert stored[:2] == b"PK"
    assert stored == services.published_xlsx(services.evaluation_of(run))
    published_at = run.published_at
    # publishing twice is publishing once
    client.post(f"/runs/{run.pk}/", {"action": "publish"})
    services.publish_run(run)
    run.refresh_from_db()
    assert run.published_at == published_at
    assert bytes(run.published_xlsx) == stored
    publishes = LogEntry.objects.filter(object_pk=str(run.pk), additional_data__action="publish")
    assert publishes.count() == 1
    # the old run stays, superseded
    assert services.published(2022) == run
    assert Run.objects.get(pk=old.pk).status == Run.Status.PUBLISHED
    download = client.get(f"/runs/{run.pk}/published.xlsx")
    assert download.status_code == 200 and download.content == stored


def test_transition_matrix_counts_every_common_firm(login):
    client = login("analyst")
    run = _create(client, 2022, "huangyan-2022", "run-matrix")
    old = services.published(2022)
    from mujun.web.views import _transitions

    matrix, changed = _transitions(run, old)
    total = sum(sum(row) for row in matrix["rows"].values())
    common = set(Result.objects.filter(run=run).values_list("uscc", flat=True)) & set(
        Result.objects.filter(run=old).values_list("uscc", flat=True)
    )
    assert total == len(common)
    moved = sum(
        n
        for g, row in matrix["rows"].items()
        for h, n in zip(matrix["grades"], row, strict=True)
        if g != h
    )
    assert moved == len(changed)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"{len(changed)} " in page


def test_summary_pdf(login):
    run = services.published(2021)
    response = login("leader").get(f"/runs/{run.pk}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_published_run_never_changes():
    run = services.published(2020)
    for field, value in (
        ("year", 2019),
        ("status", Run.Status.PREVIEW),
        ("input_hash", "0" * 64),
        ("published_xlsx", b"PK-forged"),
    ):
        fresh = Run.objects.get(pk=run.pk)
        setattr(fresh, field, value)
        with pytest.raises(ImmutableError), transaction.atomic():
            fresh.save()
    Run.objects.get(pk=run.pk).save()  # saving with nothing changed is harmless
    row = Result.objects.filter(run=run).first()
    row.total_score = 100.0
    with pytest.raises(ImmutableError), transaction.atomic():
        row.save()
    with pytest.raises(ImmutableError), transaction.atomic():
        row.delete()
    with pytest.raises(ImmutableError), transaction.atomic():
        Result.objects.create(**{**_fields(row), "uscc": "X" * 18})
    with pytest.raises(ImmutableError), transaction.atomic():
        ParcelResult.objects.filter(run=run).first().delete()
    with pytest.raises(ImmutableError), transaction.atomic():
        LandShare.objects.filter(run=run).first().delete()
    with pytest.raises(ImmutableError), transaction.atomic():
        Run.objects.get(pk=run.pk).delete()
    assert Result.objects.filter(run=run).count() == run.results.count() > 0


def test_a_committed_versions_tables_never_change():
    table = services.head().tables.first()
    table.rows += 1
    with pytest.raises(ImmutableError), transaction.atomic():
        table.save()
    with pytest.raises(ImmutableError), transaction.atomic():
        table.delete()


def test_a_preview_run_may_be_deleted(login):
    run = _create(login("analyst"), 2021, "zhenhai", "run-preview")
    run.delete()
    assert not Result.objects.filter(run_id=run.pk).exists()


def _fields(row: Result) -> dict:
    return {
        f.attname: getattr(row, f.attname)
        for f in Result._meta.concrete_fields
        if f.attname != "id"
    }
