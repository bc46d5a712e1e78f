"""The audit trail (django-auditlog): every import, correction, run, publication, objection and
permission change is a log entry with its actor. Models are registered here; actions that are not a
model change (an export, a login) are logged with `record`.

Records that never change are guarded here too (signals, so the admin and any code path are
covered; QuerySet.update and raw SQL are not): a published run and its results, a committed data
version's tables; users (deactivated, never deleted)."""

from __future__ import annotations

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver

from mujun.web.models import (
    DataTable,
    DataVersion,
    LandShare,
    Objection,
    ParcelResult,
    Preset,
    Profile,
    Result,
    Run,
)

auditlog.register(DataVersion, exclude_fields=["report_xlsx"])
auditlog.register(Run, exclude_fields=["published_xlsx", "summary"])
auditlog.register(Preset)
auditlog.register(Objection)
auditlog.register(Profile)
auditlog.register(
    get_user_model(),
    include_fields=[
        "username",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
    ],
    m2m_fields={"groups", "user_permissions"},
)
auditlog.register(Group, m2m_fields={"permissions"})


def record(instance, action: str, actor=None, **data) -> LogEntry:
    """Log an action on an object that is not itself a field change (publish, export, commit)."""
    return LogEntry.objects.log_create(
        instance,
        action=LogEntry.Action.ACCESS,
        changes={"action": ["", action]},
        actor=actor,
        additional_data={"action": action, **data},
        force_log=True,
    )


# ---------------------------------------------------------------- immutable records


class ImmutableError(ValueError):
    """A change to a record that never changes: a published run and its rows, a committed data
    version's tables."""


def _row(model, pk) -> dict | None:
    row = model.objects.filter(pk=pk).values().first()
    if row is None:
        return None
    return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}


@receiver(pre_save, sender=Run)
def _published_run_never_changes(sender, instance: Run, raw=False, **kwargs) -> None:
    """A published run is frozen: saving it again is allowed only with nothing changed (publishing
    itself is the save that turns a preview into a published run)."""
    if raw or instance.pk is None:
        return
    stored = _row(Run, instance.pk)
    if stored is None or stored["status"] != Run.Status.PUBLISHED:
        return
    now = {
        f.attname: bytes(v) if isinstance(v := getattr(instance, f.attname), memoryview) else v
        for f in Run._meta.concrete_fields
    }
    changed = sorted(k for k, v in stored.items() if now.get(k) != v)
    if changed:
        raise ImmutableError(f"run {instance.pk} is published and never changes ({changed})")


@receiver(pre_delete, sender=get_user_model())
def _users_are_kept(sender, instance, **kwargs) -> None:
    """A user is deactivated, never deleted: the audit trail's entries name their actor by key, and
    a delete would leave them without one (auditlog sets it to NULL)."""
    raise ImmutableError(f"user {instance.username!r} is kept for the audit trail: deactivate it")


@receiver(pre_delete, sender=Run)
def _published_run_is_kept(sender, instance: Run, **kwargs) -> None:
    if Run.objects.filter(pk=instance.pk, status=Run.Status.PUBLISHED).exists():
        raise ImmutableError(f"run {instance.pk} is published and is kept")


def _frozen_rows(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    if Run.objects.filter(pk=instance.run_id, status=Run.Status.PUBLISHED).exists():
        raise ImmutableError(f"run {instance.run_id} is published: its results never change")


def _frozen_tables(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    if DataVersion.objects.filter(
        pk=instance.version_id, status=DataVersion.Status.COMMITTED
    ).exists():
        raise ImmutableError(f"data version {instance.version_id} is committed and never changes")


for _model in (Result, ParcelResult, LandShare):
    pre_save.connect(_frozen_rows, sender=_model, dispatch_uid=f"frozen-{_model.__name__}")
    pre_delete.connect(_frozen_rows, sender=_model, dispatch_uid=f"frozen-del-{_model.__name__}")
pre_save.connect(_frozen_tables, sender=DataTable, dispatch_uid="frozen-DataTable")
pre_delete.connect(_frozen_tables, sender=DataTable, dispatch_uid="frozen-del-DataTable")
