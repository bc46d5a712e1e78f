"""异议: an enterprise files an objection, the analyst rejects it with a reason or accepts it with a
corrected value (a new committed data version and a new preview run), and the corrected run is
published in place of the old one."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from mujun.web import services
from mujun.web.demo import STREET_DIVISION
from mujun.web.models import DataVersion, Enterprise, Objection, Profile, Result, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm() -> str:
    return Profile.objects.get(role="enterprise").uscc


def _token(client) -> str:
    """A token the server issues the logged-in user for the objection form (one per user in a
    test, as if every post came from the one form the profile page showed)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    return services.issue_token(user, "objection")


def _file(
    client, uscc: str, token: str | None = None, value: float = 123.0, field: str = "tax_paid"
):
    return client.post(
        f"/enterprises/{uscc}/object/",
        {
            "field": field,
            "proposed_value": value,
            "explanation": "税务局的数据漏了第四季度",
            "nonce": token or _token(client),
        },
    )


def test_filing_twice_with_one_nonce_makes_one_objection(login, firm):
    client = login("enterprise")
    token = _token(client)
    assert _file(client, firm, token).status_code == 302
    assert _file(client, firm, token).status_code == 302
    assert Objection.objects.filter(uscc=firm).count() == 1
    item = Objection.objects.get(uscc=firm)
    run = services.published(2022)
    assert (item.run_id, item.year, item.field, item.proposed_value) == (
        run.pk,
        2022,
        "tax_paid",
        123.0,
    )
    assert item.current_value == Result.objects.get(run=run, uscc=firm).tax_paid
    assert item.status == Objection.Status.OPEN


def test_rejection_with_reason_is_shown_to_the_enterprise(login, firm):
    _file(login("enterprise"), firm)
    item = Objection.objects.get(uscc=firm)
    analyst = login("analyst")
    # a rejection needs a reason: without one, nothing changes
    analyst.post(f"/objections/{item.pk}/", {"decision": "reject", "reason": ""})
    assert Objection.objects.get(pk=item.pk).status == Objection.Status.OPEN
    response = analyst.post(
        f"/objections/{item.pk}/", {"decision": "reject", "reason": "税务数据已核实无误"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Objection.Status.REJECTED
    assert item.resolved_by.username == "analyst" and item.resolved_at is not None
    client = login("enterprise")
    page = client.get(f"/objections/{item.pk}/").content.decode()
    assert "已驳回" in page and "税务数据已核实无误" in page
    assert "已驳回" in client.get("/objections/").content.decode()
    # a decided objection is not decided again
    analyst = login("analyst")
    analyst.post(f"/objections/{item.pk}/", {"decision": "accept", "value": 1, "reason": "x"})
    assert Objection.objects.get(pk=item.pk).status == Objection.Status.REJECTED


def test_acceptance_corrects_the_data_and_evaluates_again(login, firm):
    _file(login("enterprise"), firm, value=4321.5)
    item = Objection.objects.get(uscc=firm)
    old_head = services.head()
    old_run = services.published(2022)
    old_tax = Result.objects.get(run=old_run, uscc=firm).tax_paid
    assert old_tax != 4321.5
    analyst = login("analyst")
    response = analyst.post(
        f"/objections/{item.pk}/",
        {"decision": "accept", "value": 4321.5, "reason": "补充了完税证明"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Objection.Status.ACCEPTED
    assert item.resolved_by.username == "analyst" and item.resolved_at is not None
    version = item.correction
    assert version.kind == DataVersion.Kind.CORRECTION
    assert version.status == DataVersion.Status.COMMITTED
    assert version.parent_id == old_head.pk
    assert services.head() == version
    assert firm in version.note and "补充了完税证明" in version.note
    assert version.created_by.username == "analyst"
    # the corrected data in the new version, the old one unchanged
    ds = services.load_dataset(version)
    row = ds.annual.filter(ds.annual["uscc"] == firm, ds.annual["year"] == 2022)
    assert row["tax_paid"][0] == 4321.5
    old = services.load_dataset(old_head).annual
    assert old.filter(old["uscc"] == firm, old["year"] == 2022)["tax_paid"][0] == old_tax
    # a new preview run for the year, on the corrected data
    new_run = Run.objects.get(data=version, year=2022)
    assert response["Location"] == f"/runs/{new_run.pk}/"
    assert new_run.status == Run.Status.PREVIEW
    assert Result.objects.get(run=new_run, uscc=firm).tax_paid == 4321.5
    assert new_run.input_hash != old_run.input_hash
    # publishing supersedes the old run; both stay published and visible
    analyst.post(f"/runs/{new_run.pk}/", {"action": "publish"})
    new_run.refresh_from_db()
    old_run.refresh_from_db()
    assert new_run.status == old_run.status == Run.Status.PUBLISHED
    assert new_run.supersedes_id == old_run.pk
    assert services.published(2022) == new_run
    assert analyst.get(f"/runs/{old_run.pk}/").status_code == 200
    assert str(new_run.pk) in analyst.get(f"/runs/{old_run.pk}/").content.decode()
    assert analyst.get(f"/runs/{new_run.pk}/published.xlsx").status_code == 200
    assert analyst.get(f"/runs/{old_run.pk}/published.xlsx").status_code == 200
    # the enterprise sees its objection accepted, with the reason
    page = login("enterprise").get(f"/enterprises/{firm}/").content.decode()
    assert "已采纳" in page and "补充了完税证明" in page
    # the audit trail has the objection's decision and the new version
    for obj in (item, version):
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)
        )
        assert entries.exists(), obj
    assert LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Objection),
        object_pk=str(item.pk),
        actor__username="analyst",
    ).exists()


def test_accepting_needs_a_value_and_a_reason(login, firm):
    _file(login("enterprise"), firm)
    item = Objection.objects.get(uscc=firm)
    versions = DataVersion.objects.count()
    analyst = login("analyst")
    analyst.post(f"/objections/{item.pk}/", {"decision": "accept", "reason": "ok"})
    analyst.post(f"/objections/{item.pk}/", {"decision": "accept", "value": 9, "reason": ""})
    assert Objection.objects.get(pk=item.pk).status == Objection.Status.OPEN
    assert DataVersion.objects.count() == versions


def test_another_enterprise_cannot_see_or_file(login, firm, client):
    from django.contrib.auth import get_user_model

    _file(login("enterprise"), firm)
    item = Objection.objects.get(uscc=firm)
    other = (
        Enterprise.objects.exclude(uscc=firm)
        .filter(division_code=STREET_DIVISION)
        .order_by("uscc")
        .first()
    )
    user = get_user_model().objects.create_user("other-firm", password="x-long-password-1")
    Profile.objects.create(user=user, role="enterprise", uscc=other.uscc)
    client.force_login(user)
    assert client.get(f"/objections/{item.pk}/").status_code == 404
    assert client.get(f"/enterprises/{firm}/").status_code == 404
    assert str(item.pk) not in client.get("/objections/").content.decode().split("<table")[1]
    assert _file(client, firm).status_code == 404
    assert Objection.objects.filter(uscc=firm).count() == 1
    # its own firm: allowed
    assert _file(client, other.uscc).status_code == 302
    assert Objection.objects.filter(uscc=other.uscc, created_by=user).count() == 1


def _accept(firm: str, field: str, value: float, caplog):
    """An objection on `field` accepted with `value` by the analyst: the page the analyst is sent
    to, with nothing of the data changed."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="enterprise")
    item = services.file_objection(services.published(2022), firm, field, value, "更正", user)
    head, versions, runs = services.head(), DataVersion.objects.count(), Run.objects.count()
    analyst = get_user_model().objects.get(username="analyst")
    from django.test import Client

    client = Client()
    client.force_login(analyst)
    with caplog.at_level(logging.WARNING, logger="mujun.web.services"):
        response = client.post(
            f"/objections/{item.pk}/",
            {"decision": "accept", "value": value, "reason": "核实"},
            follow=True,
        )
    assert response.status_code == 200
    assert Objection.objects.get(pk=item.pk).status == Objection.Status.OPEN
    assert (services.head(), DataVersion.objects.count(), Run.objects.count()) == (
        head,
        versions,
        runs,
    )
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    return response.content.decode()


def test_accepting_a_negative_value_is_refused_with_a_message(firm, caplog):
    page = _accept(firm, "tax_paid", -5.0, caplog)
    assert "更正值未通过数据检查" in page and "negative" in page
    assert any("fails validation" in r.getMessage() for r in caplog.records)


def test_an_implausible_correction_is_refused(firm, caplog):
    """The contract's plausibility ceiling, the same one an import meets."""
    page = _accept(firm, "employees", 1e300, caplog)
    assert "更正值未通过数据检查" in page and "implausible amount" in page
    assert any("fails validation" in r.getMessage() for r in caplog.records)


def test_a_correction_goes_through_the_dataset_validation(firm, monkeypatch):
    """The corrected data is validated like an import: what the validator refuses is refused."""
    from django.contrib.auth import get_user_model

    from mujun.dataset import Dataset, DatasetError
    from mujun.dataset.problems import Problem

    calls = []

    def refuse(cls, today=None, **frames):
        calls.append(frames["annual"])
        raise DatasetError([Problem("annual", 2, "employees", "not a number", "not_finite")])

    monkeypatch.setattr(Dataset, "from_frames", classmethod(refuse))
    user = get_user_model().objects.get(username="enterprise")
    item = services.file_objection(services.published(2022), firm, "employees", 12.0, "更正", user)
    with pytest.raises(services.ServiceError, match="not a number"):
        services.accept_objection(
            item, 12.0, "核实", get_user_model().objects.get(username="analyst")
        )
    annual = calls[0]
    assert annual.filter(annual["uscc"] == firm, annual["year"] == 2022)["employees"][0] == 12.0
    assert Objection.objects.get(pk=item.pk).status == Objection.Status.OPEN


def test_a_forged_token_is_refused(login, firm, caplog):
    client = login("enterprise")
    with caplog.at_level(logging.WARNING, logger="mujun.web.services"):
        response = _file(client, firm, token="0123456789abcdef0123456789abcdef")
    assert response.status_code == 302
    assert "此表单已过期或不是发给您的" in client.get(response["Location"]).content.decode()
    # a token the server issued to another user, or for another form, is no better
    from django.contrib.auth import get_user_model

    analyst = get_user_model().objects.get(username="analyst")
    _file(client, firm, token=services.issue_token(analyst, "objection"))
    user = get_user_model().objects.get(username="enterprise")
    _file(client, firm, token=services.issue_token(user, "data"))
    # an altered one neither
    token = services.issue_token(user, "objection")
    _file(client, firm, token=token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not Objection.objects.filter(uscc=firm).exists()
    assert sum("token" in r.getMessage() for r in caplog.records) == 4


def test_a_burst_of_objections_stops_at_the_limit(login, firm, settings, caplog):
    settings.MUJUN_OBJECTIONS_PER_HOUR = 30
    client = login("enterprise")
    for _ in range(30):
        assert _file(client, firm).status_code == 302
    assert Objection.objects.filter(uscc=firm).count() == 30
    with caplog.at_level(logging.WARNING, logger="mujun.web.services"):
        response = _file(client, firm)  # the 31st
    assert Objection.objects.filter(uscc=firm).count() == 30
    page = client.get(response["Location"]).content.decode()
    assert "每家企业每小时最多提交 30 条异议" in page
    assert any("objection refused" in r.getMessage() for r in caplog.records)
    # a replay of an accepted form is no new objection and no refusal: it is the same one
    token = _token(client)
    Objection.objects.filter(uscc=firm).update(created_at=timezone.now() - dt.timedelta(hours=2))
    assert _file(client, firm, token).status_code == 302
    assert _file(client, firm, token).status_code == 302
    assert Objection.objects.filter(uscc=firm).count() == 31


# ---------------------------------------------------------------- 公示: the publicity period


def test_the_publicity_period_counts_working_days():
    import datetime as dt

    friday = dt.date(2026, 12, 4)
    assert services.working_days_after(friday, 5) == dt.date(2026, 12, 11)
    assert services.working_days_after(dt.date(2026, 12, 5), 1) == dt.date(2026, 12, 7)  # Sat → Mon
    assert services.working_days_after(friday, 0) == friday


def test_publication_sets_the_deadline_from_the_preset():
    from django.utils import timezone

    run = services.published(2022)
    days = services.methodology_of(run.preset).publication.objection_days
    assert days == 5
    start = timezone.localdate(run.published_at)
    assert run.objection_deadline == services.working_days_after(start, days)
    assert not services.objection_closed(run)


def test_after_the_publicity_period_the_list_is_final(login, firm):
    """逾期视为无异议: no objection after the deadline, and the firm's page says the list is final."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    run = services.published(2022)
    client = login("enterprise")
    page = client.get(f"/enterprises/{firm}/").content.decode()
    assert "公示至" in page and 'id="object-form"' in page
    # the deadline passed (the test moves it: a published run's other fields never change)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Run.objects.filter(pk=run.pk).update(objection_deadline=yesterday)
    run.refresh_from_db()
    user = get_user_model().objects.get(username="enterprise")
    with pytest.raises(services.ServiceError, match="公示期已于"):
        services.file_objection(run, firm, "tax_paid", 1.0, "更正", user)
    page = client.get(f"/enterprises/{firm}/").content.decode()
    assert f"公示期已于 {yesterday:%Y-%m-%d} 结束" in page and 'id="object-form"' not in page
    assert not Objection.objects.filter(uscc=firm, run=run).exists()


def _accept_with(login, firm, scope: str | None) -> tuple[Run, Run]:
    _file(login("enterprise"), firm, value=4321.5)
    item = Objection.objects.get(uscc=firm)
    data = {"decision": "accept", "value": 4321.5, "reason": "补充了完税证明"}
    if scope:
        data["scope"] = scope
    login("analyst").post(f"/objections/{item.pk}/", data)
    item.refresh_from_db()
    return item.run, Run.objects.get(data=item.correction, year=2022)


def _results(run: Run) -> dict[str, tuple]:
    rows = Result.objects.filter(run=run).values_list("uscc", "total_score", "grade", "values")
    return {u: (s, g, v.get("bm_tax_per_mu")) for u, s, g, v in rows}


def test_during_the_publicity_only_the_objector_is_scored_again(login, firm):
    """公示期内的异议: the firm is scored on its corrected data against the published benchmarks;
    every other firm keeps its published result (the default)."""
    published, new = _accept_with(login, firm, None)
    assert new.rescored_from == published and new.rescored_uscc == firm
    before, after = _results(published), _results(new)
    assert set(before) == set(after)
    moved = {u for u in before if before[u] != after[u]}
    assert moved <= {firm}
    assert after[firm][2] == before[firm][2]  # against the published benchmark
    assert Result.objects.get(run=new, uscc=firm).tax_paid == 4321.5
    page = login("analyst").get(f"/runs/{new.pk}/").content.decode()
    assert f"仅重新评价了 {firm}" in page
    # the run's workbook is the same evaluation: the firm's corrected figure, the others as published
    ev = services.evaluation_of(new)
    assert ev.enterprises.filter(ev.enterprises["uscc"] == firm)["tax_paid"][0] == 4321.5
    assert ev.benchmarks.equals(services.evaluation_of(published).benchmarks)


def test_the_analyst_may_recompute_the_whole_year(login, firm):
    published, new = _accept_with(login, firm, "all")
    assert new.rescored_from is None and new.rescored_uscc == ""
    before, after = _results(published), _results(new)
    # the corrected tax moves the benchmark, and with it other firms' scores
    assert len({u for u in before if u in after and before[u] != after[u]} - {firm}) > 0
    assert "仅重新评价了" not in login("analyst").get(f"/runs/{new.pk}/").content.decode()


def test_an_objection_to_the_land_area_confirms_it(login, firm):
    """用地面积确认: the firm objects to the area it was evaluated on; accepted, the confirmed area
    goes into the data (land_confirmations) and the firm is scored on it."""
    run = services.published(2022)
    evaluated_on = Result.objects.get(run=run, uscc=firm).land_mu
    _file(login("enterprise"), firm, field="land_mu", value=round(evaluated_on * 0.8, 2))
    item = Objection.objects.get(uscc=firm, field="land_mu")
    assert item.current_value == pytest.approx(evaluated_on)
    confirmed = round(evaluated_on * 0.8, 2)
    login("analyst").post(
        f"/objections/{item.pk}/",
        {"decision": "accept", "value": confirmed, "reason": "实地测量"},
    )
    item.refresh_from_db()
    assert item.status == Objection.Status.ACCEPTED
    table = services.load_dataset(item.correction).land_confirmations
    assert table.filter(table["uscc"] == firm).select("year", "land_mu").rows() == [
        (2022, confirmed)
    ]
    new = Run.objects.get(data=item.correction, year=2022)
    result = Result.objects.get(run=new, uscc=firm)
    assert result.land_mu == pytest.approx(confirmed)
    assert "用地面积确认" in result.reason
    # a confirmed area must be positive: refused, nothing changed
    _file(login("enterprise"), firm, field="land_mu", value=-1.0)
    bad = Objection.objects.get(uscc=firm, field="land_mu", status=Objection.Status.OPEN)
    head = services.head()
    login("analyst").post(
        f"/objections/{bad.pk}/", {"decision": "accept", "value": -1, "reason": "x"}
    )
    assert services.head() == head
    assert Objection.objects.get(pk=bad.pk).status == Objection.Status.OPEN
