"""Reliability: a crash in the middle of an import, a commit, a run, a publication or an objection's
acceptance leaves nothing half-written; two imports at once are both kept and their commits queue;
a form submitted twice makes one object.

Most tests run inside the test's transaction (the services' own transactions are savepoints there:
a half-written state would still be visible to the test). `test_crash_rolls_back_real_commits`
commits for real (transaction=True) and the module puts the demo district back afterwards, since a
transactional test empties the database; the threaded test needs PostgreSQL.
"""

from __future__ import annotations

import os
import threading

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model

from mujun.web import services
from mujun.web.models import (
    DataTable,
    DataVersion,
    Enterprise,
    LandShare,
    Objection,
    Parcel,
    ParcelResult,
    Preset,
    Profile,
    Result,
    Run,
)

YEAR = 2021


class Crash(RuntimeError):
    pass


def _counts() -> dict:
    return {
        m.__name__: m.objects.count()
        for m in (DataVersion, DataTable, Run, Result, LandShare, ParcelResult, Objection)
    } | {
        "head": services.head().pk,
        "enterprises": sorted(Enterprise.objects.values_list("uscc", "name")),
        "parcels": Parcel.objects.count(),
        "runs": sorted(Run.objects.values_list("pk", "status")),
        "objections": sorted(Objection.objects.values_list("pk", "status")),
    }


def _crash_after(monkeypatch, n: int) -> None:
    """bulk_insert writes its first n tables and half of the next, then the process 'dies'."""
    real = services.bulk_insert
    calls = []

    def flaky(model, objects):
        if len(calls) >= n:
            real(model, objects[: len(objects) // 2])  # half of this table written
            raise Crash(f"crash while writing {model.__name__}")
        calls.append(model)
        real(model, objects)

    monkeypatch.setattr(services, "bulk_insert", flaky)


def _preset() -> Preset:
    return Preset.objects.get(name="zhenhai")


def _tiny_batches(monkeypatch):
    """Many small batches (bulk_create's, on SQLite): each one a separate INSERT."""
    monkeypatch.setattr(services, "BATCH", 50)


# ---------------------------------------------------------------- (a) crashes


@pytest.mark.django_db
@pytest.mark.parametrize("after", [0, 1, 2])
def test_crash_during_a_run(monkeypatch, after):
    before = _counts()
    _crash_after(monkeypatch, after)
    with pytest.raises(Crash):
        services.create_run(YEAR, _preset(), services.head(), nonce="crash-run")
    assert _counts() == before
    assert not Run.objects.filter(nonce="crash-run").exists()


@pytest.mark.django_db
def test_crash_during_an_import(monkeypatch):
    before = _counts()
    real = services._parquet
    done = []

    def flaky(frame):
        if len(done) == 2:
            raise Crash("disk full")
        done.append(frame)
        return real(frame)

    monkeypatch.setattr(services, "_parquet", flaky)
    ds = services.load_dataset(services.head())
    with pytest.raises(Crash):
        services.store_dataset(ds, DataVersion.Kind.IMPORT, nonce="crash-import")
    assert _counts() == before


@pytest.mark.django_db
def test_crash_during_a_commit(monkeypatch):
    ds = services.load_dataset(services.head())
    staged = services.store_dataset(ds, DataVersion.Kind.IMPORT, nonce="crash-commit")
    before = _counts()
    _crash_after(monkeypatch, 1)  # the enterprises are rewritten, then the parcels fail
    with pytest.raises(Crash):
        services.commit_version(staged)
    assert _counts() == before
    assert DataVersion.objects.get(pk=staged.pk).status == DataVersion.Status.STAGED


@pytest.mark.django_db
def test_crash_during_publication(monkeypatch):
    run = services.create_run(YEAR, _preset(), services.head(), nonce="crash-publish")
    before = _counts()
    entries = LogEntry.objects.count()

    def broken(ev):
        raise Crash("render failed")

    monkeypatch.setattr(services, "published_xlsx", broken)
    with pytest.raises(Crash):
        services.publish_run(run)
    assert _counts() == before
    assert LogEntry.objects.count() == entries
    run.refresh_from_db()
    assert run.status == Run.Status.PREVIEW and run.published_xlsx is None
    assert services.published(YEAR).pk != run.pk


@pytest.mark.django_db
def test_crash_while_accepting_an_objection(monkeypatch):
    from django.contrib.auth import get_user_model

    uscc = Profile.objects.get(role="enterprise").uscc
    user = get_user_model().objects.get(username="enterprise")
    item = services.file_objection(services.published(2022), uscc, "tax_paid", 1.0, "x", user)
    before = _counts()
    _crash_after(monkeypatch, 3)  # the directory is refreshed, the new run's rows fail
    with pytest.raises(Crash):
        services.accept_objection(item, 1.0, "ok", get_user_model().objects.get(username="analyst"))
    assert _counts() == before
    item.refresh_from_db()
    assert item.status == Objection.Status.OPEN and item.correction is None


def _load_demo_if_empty(district) -> None:
    from django.contrib.auth import get_user_model

    from mujun.web.demo import demo_users, load_demo
    from tests.web.conftest import YEARS

    if not get_user_model().objects.filter(username="admin").exists():
        load_demo(district, YEARS)
        demo_users(district)


@pytest.fixture(scope="module")
def _reseed_at_the_end(django_db_blocker, district):
    """After the module's transactional tests emptied the database, load the demo district again
    for the tests that follow on this worker."""
    yield
    with django_db_blocker.unblock():
        _load_demo_if_empty(district)


@pytest.fixture
def reseed(_reseed_at_the_end, district):
    """A transactional test empties the database when it ends: the next one loads it again."""
    _load_demo_if_empty(district)


@pytest.mark.django_db(transaction=True)
def test_crash_rolls_back_real_commits(monkeypatch, reseed):
    """Without the test's own transaction around it: the rollback is the database's."""
    _tiny_batches(monkeypatch)
    before = _counts()
    _crash_after(monkeypatch, 1)  # the results written in batches, half the land shares, crash
    with pytest.raises(Crash):
        services.create_run(YEAR, _preset(), services.head(), nonce="real-crash")
    assert _counts() == before
    assert not Result.objects.exclude(run__in=Run.objects.all()).exists()


# ---------------------------------------------------------------- (b) two imports at once


@pytest.mark.django_db
def test_two_imports_committed_in_either_order():
    """Two analysts stage at once; the one committed last is the current data, the other its parent,
    and nothing of either is lost (sequential commits: SQLite's immediate transactions and
    PostgreSQL's advisory lock both queue them)."""
    base = services.head()
    ds = services.load_dataset(base)
    annual = ds.annual.with_columns(ds.annual["tax_paid"] * 1.01)
    other = ds.__class__.from_frames(**{**ds.tables(), "annual": annual})
    first = services.store_dataset(ds, DataVersion.Kind.IMPORT, nonce="a")
    second = services.store_dataset(other, DataVersion.Kind.IMPORT, nonce="b")
    assert first.pk < second.pk
    services.commit_version(second)
    assert services.head() == second
    services.commit_version(first)  # staged earlier, committed later
    assert services.head() == first
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.parent_id == base.pk and first.parent_id == second.pk
    assert services.load_dataset(second).fingerprint() == other.fingerprint()
    assert services.load_dataset(first).fingerprint() == ds.fingerprint()
    for v in (first, second):
        assert v.status == DataVersion.Status.COMMITTED
        assert v.tables.count() == len(ds.tables())


@pytest.mark.skipif(
    not os.environ.get("MUJUN_TEST_DATABASE_URL", "").startswith("postgres"),
    reason="threads with their own connections need PostgreSQL (SQLite tests run in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_two_imports_in_threads(reseed):
    from django.db import connections

    base = services.head()
    ds = services.load_dataset(base)
    variants = [
        ds.__class__.from_frames(
            **{**ds.tables(), "annual": ds.annual.with_columns(ds.annual["tax_paid"] * f)}
        )
        for f in (1.01, 1.02)
    ]
    barrier = threading.Barrier(2)
    versions, errors = {}, []

    def work(i):
        try:
            barrier.wait()
            v = services.store_dataset(variants[i], DataVersion.Kind.IMPORT, nonce=f"thread-{i}")
            barrier.wait()
            versions[i] = services.commit_version(v)
            services.create_run(YEAR, _preset(), versions[i], nonce="same-run")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    stored = {v.pk: DataVersion.objects.get(pk=v.pk) for v in versions.values()}
    assert all(v.status == DataVersion.Status.COMMITTED for v in stored.values())
    last = max(stored.values(), key=lambda v: (v.decided_at, v.pk))
    first = min(stored.values(), key=lambda v: (v.decided_at, v.pk))
    assert services.head() == last
    assert first.parent_id == base.pk and last.parent_id == first.pk
    for i, v in versions.items():
        assert services.load_dataset(stored[v.pk]).fingerprint() == variants[i].fingerprint()
    assert Run.objects.filter(nonce="same-run").count() == 1


# ---------------------------------------------------------------- (c) double submits


@pytest.mark.django_db
def test_run_nonce_race_makes_one_run(monkeypatch):
    """The second submission passes the first look-up (it raced the first) and hits the unique
    nonce: it gets the first run back, nothing else is stored."""
    first = services.create_run(YEAR, _preset(), services.head(), nonce="race")
    runs, results = Run.objects.count(), Result.objects.count()
    real = Run.objects.filter
    missed = []

    def filter_(*args, **kwargs):
        if kwargs.get("nonce") == "race" and not missed:
            missed.append(1)
            return Run.objects.none()
        return real(*args, **kwargs)

    monkeypatch.setattr(Run.objects, "filter", filter_)
    again = services.create_run(YEAR, _preset(), services.head(), nonce="race")
    assert missed and again == first
    assert (Run.objects.count(), Result.objects.count()) == (runs, results)


@pytest.mark.django_db
def test_double_publish_is_one_publication(login):
    run = services.create_run(YEAR, _preset(), services.head(), nonce="pub-twice")
    stale = Run.objects.get(pk=run.pk)  # a second request loaded the run before the first ended
    services.publish_run(run)
    first = Run.objects.get(pk=run.pk)
    services.publish_run(stale)
    client = login("analyst")
    client.post(f"/runs/{run.pk}/", {"action": "publish"})
    now = Run.objects.get(pk=run.pk)
    assert (now.published_at, now.supersedes_id) == (first.published_at, first.supersedes_id)
    assert (
        LogEntry.objects.filter(object_pk=str(run.pk), additional_data__action="publish").count()
        == 1
    )
    # and the same run form posted twice
    preset = _preset().pk
    before = Run.objects.count()
    token = services.issue_token(get_user_model().objects.get(username="analyst"), "run")
    for _ in range(2):
        client.post("/runs/", {"year": YEAR, "preset": preset, "nonce": token})
    assert Run.objects.count() == before + 1


@pytest.mark.django_db
def test_double_import_and_objection_are_one(login):
    ds = services.load_dataset(services.head())
    a = services.store_dataset(ds, DataVersion.Kind.IMPORT, nonce="imp-twice")
    b = services.store_dataset(ds, DataVersion.Kind.IMPORT, nonce="imp-twice")
    assert a == b and DataVersion.objects.filter(nonce="imp-twice").count() == 1
    from django.contrib.auth import get_user_model

    uscc = Profile.objects.get(role="enterprise").uscc
    user = get_user_model().objects.get(username="enterprise")
    run = services.published(2022)
    o1 = services.file_objection(run, uscc, "tax_paid", 1.0, "x", user, nonce="obj-twice")
    o2 = services.file_objection(run, uscc, "tax_paid", 1.0, "x", user, nonce="obj-twice")
    assert o1 == o2 and Objection.objects.filter(nonce="obj-twice").count() == 1
