"""`mujun backup` and `mujun restore` round-trip a small demo (built by `mujun demo`) into another
home: the same objects of every model, the same results, the logins still work; a damaged backup
is refused with exit code 1 and the database is left as it was."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MUJUN = (
    [sys.executable, "-m", "mujun.cli"]
    if not (Path(sys.executable).parent / "mujun").exists()
    else [str(Path(sys.executable).parent / "mujun")]
)

INSPECT = r"""
import hashlib, json, sys
from mujun.web import setup
setup(home=sys.argv[1])
from django.apps import apps
from django.contrib.auth import get_user_model
from mujun.web.models import Result
def state():
  counts = {m._meta.label: m.objects.count() for m in apps.get_models()
            if m._meta.app_label in ("web", "auth", "auditlog")}
  rows = sorted(
    json.dumps([r.run.year, r.run.status, r.uscc, r.name, r.tax_paid, r.adjusted_tax,
                r.total_score, r.grade, r.rank, r.values], sort_keys=True, default=str)
    for r in Result.objects.select_related("run")
  )
  users = dict(get_user_model().objects.values_list("username", "password"))
  roles = sorted(get_user_model().objects.values_list("username", "profile__role",
                                                      "profile__division_code", "profile__uscc"))
  return {"counts": counts, "results": hashlib.sha256("\n".join(rows).encode()).hexdigest(),
          "n_results": len(rows), "users": users, "roles": [list(r) for r in roles]}
def logins():
  return {u.username: u.check_password("mujun-demo") for u in get_user_model().objects.all()}
"""


def _env(home: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MUJUN_DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MUJUN_TEST_DATABASE_URL")
    }
    env["MUJUN_HOME"] = str(home)
    return env


def _mujun(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MUJUN, *args], env=_env(home), cwd=cwd, capture_output=True, text=True, timeout=300
    )


def _inspect(home: Path, logins: bool = False) -> dict:
    show = "{**state(), 'logins': logins()}" if logins else "state()"
    out = subprocess.run(
        [sys.executable, "-c", INSPECT + f"print(json.dumps({show}))", str(home)],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# one process restores every damaged file in turn (through the CLI's own command) and reports
# the exit code, whether a traceback escaped, and the database's state after each
DAMAGED = r"""
from typer.testing import CliRunner
from mujun.cli import app
out = {"before": state(), "after": {}}
for path in sys.argv[2:]:
    r = CliRunner().invoke(app, ["restore", path, "--home", sys.argv[1]])
    out["after"][path] = [r.exit_code, None if r.exception is None or isinstance(r.exception, SystemExit)
                          else repr(r.exception), state()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    """A small demo home (60 firms, 2 years, published) and its backup."""
    root = tmp_path_factory.mktemp("backup")
    out = root / "demo"
    made = _mujun(
        "demo",
        "--out",
        str(out),
        "--no-serve",
        "--enterprises",
        "60",
        "--years",
        "2021-2022",
        home=out / "home",
        cwd=root,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    backup = root / "mujun-backup.json.gz"
    done = _mujun("backup", str(backup), "--home", str(out / "home"), home=out / "home", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert backup.is_file() and not backup.with_name(backup.name + ".partial").exists()
    return out / "home", backup


def test_round_trip_and_damaged_backups(demo, tmp_path):
    home, backup = demo
    original = _inspect(home)
    assert original["n_results"] > 100
    assert original["counts"]["web.Run"] == 2
    assert "admin" in original["users"] and len(original["users"]) == 7
    new_home = tmp_path / "home2"
    restored = _mujun("restore", str(backup), "--home", str(new_home), home=new_home, cwd=tmp_path)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    copy = _inspect(new_home, logins=True)
    assert copy.pop("logins") == dict.fromkeys(original["users"], True)  # the passwords work
    assert copy["counts"] == original["counts"]
    assert copy["results"] == original["results"]
    assert copy["roles"] == original["roles"]
    assert copy["users"] == original["users"]  # the same password hashes

    # then, over the restored database: the backup again (replaces, not duplicates), every
    # damaged file (exit 1, no traceback, nothing changed), a missing file
    damaged = _damaged(backup, tmp_path)
    files = [str(backup), *map(str, damaged), str(tmp_path / "missing.json.gz")]
    done = subprocess.run(
        [sys.executable, "-c", INSPECT + DAMAGED, str(new_home), *files],
        env=_env(new_home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == copy
    code, exc, state = report["after"][str(backup)]
    assert (code, exc) == (0, None) and state == copy
    for path in files[1:]:
        code, exc, state = report["after"][path]
        assert code == 1 and exc is None, (path, code, exc)
        assert state == copy, path


def _damaged(backup: Path, tmp_path: Path) -> list[Path]:
    data = backup.read_bytes()
    objects = json.loads(gzip.decompress(data))
    files = {
        "not-gzip.json.gz": b"this is not a backup",
        "cut-short.json.gz": data[: len(data) // 2],
        "not-json.json.gz": gzip.compress(b'[{"model": '),
        "not-a-list.json.gz": gzip.compress(b'{"model": "web.run"}'),
        "unknown-model.json.gz": gzip.compress(
            json.dumps([{"model": "web.nosuchthing", "pk": 1, "fields": {}}]).encode()
        ),
        # results without their runs: loads half-way, then fails the foreign keys
        "dangling.json.gz": gzip.compress(
            json.dumps([o for o in objects if o["model"] != "web.run"]).encode()
        ),
    }
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(path)
    return paths
