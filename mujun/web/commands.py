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
    from django.conf import settings
    from django.core.management import call_command

    # the embedded database's folder (made by the secret key's first use, unless
    # MUJUN_SECRET_KEY is set: then nothing else would make it)
    Path(settings.HOME).mkdir(parents=True, exist_ok=True)

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


DEV_SETTINGS = "mujun.web.settings"
PRODUCTION_SETTINGS = "mujun.web.settings_production"


def serve_settings(dev: bool, environ=os.environ) -> str:
    """The settings module `mujun serve` runs: the production settings (HTTPS through the TLS
    proxy, Secure cookies, HSTS, 8-hour sessions) unless `--dev` asks for the development ones
    (plain http on this machine). A site's own DJANGO_SETTINGS_MODULE (one that imports the
    production settings and adds to them) is kept; mujun's development module is never taken
    from the environment by accident."""
    if dev:
        return DEV_SETTINGS
    own = environ.get("DJANGO_SETTINGS_MODULE")
    return own if own and own != DEV_SETTINGS else PRODUCTION_SETTINGS


def default_workers() -> int:
    """One server process per core (up to 4) where gunicorn runs (POSIX), else one."""
    if os.name != "posix":
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def serve(host: str, port: int, threads: int = 8, workers: int = 1) -> None:
    """Serve the app: with several workers, gunicorn's processes (each with `threads` threads: Python
    runs one thread at a time per process, so processes are what use the cores); with one, waitress
    (pure Python, also on Windows)."""
    from mujun.web.wsgi import application

    if workers > 1 and os.name == "posix":
        from gunicorn.app.base import BaseApplication

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("threads", threads)
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("timeout", 300)
                self.cfg.set("keepalive", 30)
                self.cfg.set("accesslog", None)

            def load(self):
                return application

        Server().run()
        return
    from waitress import serve as waitress_serve

    # pass the TLS proxy's X-Forwarded-* headers on, as gunicorn does: Django reads the scheme
    # (SECURE_PROXY_SSL_HEADER) and mujun.web.middleware the client's address from a trusted
    # proxy only; waitress' default drops them and the production settings redirect forever
    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="mujun",
        clear_untrusted_proxy_headers=False,
    )


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

    from auditlog.context import disable_auditlog
    from django.core.management import call_command
    from django.core.serializers.base import DeserializationError
    from django.db import DatabaseError, transaction

    # a damaged file (not gzip, cut short, not JSON, not a list of objects) is refused before
    # anything is touched; a file that does not load rolls the flush back with it
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            objects = json.load(stream)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"unreadable: {exc}") from exc
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and isinstance(o.get("model"), str) and "fields" in o for o in objects
    ):
        raise ValueError("not a list of Django objects")
    with tempfile.TemporaryDirectory() as tmp:
        fixture = Path(tmp) / "backup.json"
        with fixture.open("w", encoding="utf-8") as f:
            json.dump(objects, f)
        try:
            # the backup holds the audit trail itself: loading it is not logged again
            with transaction.atomic(), disable_auditlog():
                call_command("flush", interactive=False, verbosity=0)
                call_command("loaddata", str(fixture), verbosity=0)
        except (DeserializationError, DatabaseError, LookupError) as exc:
            raise ValueError(f"does not load: {exc}") from exc
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
