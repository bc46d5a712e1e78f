"""What `mujun init`, `serve`, `backup` and `restore` do (mujun.cli parses the options)."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

from mujun.web import setup


def prepare(home: Path | None, database_url: str | None = None) -> None:
    """Point Django at a home folder (or a database URL) and bring the schema up to date."""
    setup(database_url=database_url, home=str(home) if home else None)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def create_admin(username: str, password: str) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from mujun.web.models import Profile, Role
    from mujun.web.services import ensure_preset

    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"user {username!r} exists already")
    validate_password(password)
    user = User.objects.create_superuser(username, password=password)
    Profile.objects.create(user=user, role=Role.ADMIN)
    for name in ("zhenhai", "huangyan-2022"):
        ensure_preset(name, user)


def serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    from mujun.web.wsgi import application

    waitress_serve(application, host=host, port=port, threads=threads, ident="mujun")


EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def backup(out: Path) -> int:
    """Write the whole database as gzipped JSON (Django's serializer, portable between SQLite and
    PostgreSQL). Returns the number of objects."""
    from django.core.management import call_command

    tmp = out.with_name(out.name + ".partial")
    with gzip.open(tmp, "wt", encoding="utf-8") as stream:
        call_command(
            "dumpdata",
            natural_foreign=True,
            natural_primary=True,
            exclude=EXCLUDE,
            stdout=stream,
            indent=None,
        )
    os.replace(tmp, out)  # a crash mid-way leaves no half-written backup
    import json

    with gzip.open(out, "rt", encoding="utf-8") as stream:
        return len(json.load(stream))


def restore(path: Path) -> int:
    """Replace the database's content with a backup, all-or-nothing."""
    import json
    import tempfile

    from django.core.management import call_command
    from django.db import transaction

    with gzip.open(path, "rt", encoding="utf-8") as stream:
        objects = json.load(stream)
    with tempfile.TemporaryDirectory() as tmp:
        fixture = Path(tmp) / "backup.json"
        with fixture.open("w", encoding="utf-8") as f:
            json.dump(objects, f)
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(fixture), verbosity=0)
    return len(objects)


def reset_sqlite(home: Path) -> None:
    """The demo rebuilds its own embedded database from scratch."""
    for name in (
        "mujun.sqlite3",
        "mujun.sqlite3-journal",
        "mujun.sqlite3-wal",
        "mujun.sqlite3-shm",
    ):
        path = home / name
        if path.exists():
            path.unlink()
    shutil.rmtree(home / "static", ignore_errors=True)
