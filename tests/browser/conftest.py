"""The browser suite's fixtures: a small demo district served by `mujun serve` in a subprocess (one per
xdist worker and database, on a free port), Debian's chromium driven by Playwright, and a `login`
helper that opens a fresh browser context per demo user.

The demo runs on SQLite always and, when MUJUN_TEST_DATABASE_URL names a PostgreSQL server, on a
fresh PostgreSQL database too (created here and dropped at the end). Without chromium the suite is
skipped, except on CI (CI=true), where a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
ENTERPRISES = 200
YEARS = "2020-2022"
SEED = 7  # `mujun demo`'s default seed
PASSWORD = "mujun-demo"
SHOTS = Path(__file__).parent / "screenshots"
ON_CI = os.environ.get("CI") == "true"
PG_URL = os.environ.get("MUJUN_TEST_DATABASE_URL")

# builds the demo district into a PostgreSQL database (`mujun demo` always uses SQLite)
PG_DEMO = """
import sys
from mujun.dataset import Dataset
from mujun.synth import synthesize
from mujun.web.commands import prepare
home, url, n, first, last, seed = sys.argv[1:]
prepare(home, url)
from mujun.web.demo import demo_users, load_demo
years = list(range(int(first), int(last) + 1))
ds = Dataset.from_frames(**synthesize(int(n), years, int(seed)))
load_demo(ds, years)
demo_users(ds)
"""


def _mujun(*args: str) -> list[str]:
    return [sys.executable, "-m", "mujun.cli", *args]


def _run(args: list[str], env: dict[str, str]) -> None:
    """Run a build step; on failure raise with its output (not just the exit status)."""
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{args[2:4]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@dataclass
class Server:
    url: str
    backend: str
    home: Path

    def shot(self, page, name: str) -> None:
        """Save a full-page screenshot as screenshots/<name>[-postgresql].png."""
        SHOTS.mkdir(exist_ok=True)
        suffix = "" if self.backend == "sqlite" else f"-{self.backend}"
        page.screenshot(path=str(SHOTS / f"{name}{suffix}.png"), full_page=True)


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mujun serve exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "login/", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"mujun serve did not answer within {timeout}s:\n{log.read_text()}")


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG_URL,
            reason="no MUJUN_TEST_DATABASE_URL (`make test` runs these in its PostgreSQL pass)",
        ),
    ),
]


@pytest.fixture(scope="session", params=BACKENDS, ids=["on_sqlite", "on_postgresql"])
def server(request, tmp_path_factory):
    """The demo district served on a free port; one per xdist worker and database."""
    backend = request.param
    root = tmp_path_factory.mktemp(f"browser-{backend}")
    home = root / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("MUJUN_DATABASE_URL", "MUJUN_HOME")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # plain http on 127.0.0.1: the development settings (production redirects to https)
    serve_args = ["--dev", "--home", str(home)]
    dropdb = None
    # settings only create the home folder when they make a secret key there, and the suite's
    # MUJUN_SECRET_KEY skips that: make it here
    home.mkdir(parents=True)
    if backend == "sqlite":
        _run(
            _mujun(
                "demo",
                "--out",
                str(root),
                "--no-serve",
                "--enterprises",
                str(ENTERPRISES),
                "--years",
                YEARS,
                "--seed",
                str(SEED),
            ),
            env,
        )
    else:
        name = f"mujun_browser_{uuid.uuid4().hex[:12]}"
        _pg_admin(PG_URL, f'CREATE DATABASE "{name}"')
        dropdb = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        url = _with_database(PG_URL, name)
        first, last = YEARS.split("-")
        try:
            args = [str(home), url, str(ENTERPRISES), first, last, str(SEED)]
            _run(
                [sys.executable, "-c", PG_DEMO, *args],
                {**env, "MUJUN_DATABASE_URL": url},
            )
        except RuntimeError:
            _pg_admin(PG_URL, dropdb)
            raise
        serve_args += ["--database", url]
    port = _free_port()
    log = root / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _mujun("serve", *serve_args, "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(base, proc, log)
        yield Server(base, backend, home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if dropdb:
            _pg_admin(PG_URL, dropdb)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if ON_CI:
            pytest.fail(f"{CHROMIUM} is missing (CI=true: the browser tests must run)")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _sessions():
    """{(server url, username): storage state}: each user logs in through the form once per server."""
    return {}


@pytest.fixture
def login(browser, server, _sessions):
    """login('street') → a page of a fresh browser context, logged in as that demo user (through the
    login form the first time, with that login's cookies afterwards) and on the page `/` sends it to."""
    contexts = []

    def as_user(username: str):
        key = (server.url, username)
        context = browser.new_context(
            base_url=server.url,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
            storage_state=_sessions.get(key),
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        if key in _sessions:
            page.goto("/")
        else:
            page.goto("/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("main form button[type=submit]")
            _sessions[key] = context.storage_state()
        assert "/login/" not in page.url, f"{username} could not log in"
        return page

    yield as_user
    for context in contexts:
        context.close()
