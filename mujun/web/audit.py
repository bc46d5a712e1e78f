"""The audit trail (django-auditlog): every import, correction, run, publication, objection and
permission change is a log entry with its actor. Models are registered here; actions that are not a
model change (an export, a login) are logged with `record`."""

from __future__ import annotations

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from mujun.web.models import DataVersion, Objection, Preset, Profile, Run

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
