"""`python -m bench web`: the web app on PostgreSQL with a district of 150,000 enterprises × 7 years.

1. PostgreSQL at MUJUN_BENCH_DATABASE_URL (default postgresql://mujun:mujun@127.0.0.1:5432/
   mujun_bench); the database is created when missing. Unreachable: the bench says so and skips.
2. Load: synthesize the district (mujun.synth, the engine bench's seed), then store, commit,
   evaluate and publish every year through the real services (mujun.web.demo.load_demo): about a
   million result rows, written with COPY. Timed. When the database already holds a committed
   version with the same fingerprint and every year published, it is reused (--rebuild drops it).
3. Serve it with the real server (`mujun serve`: one process per core, 8 threads each; a subprocess) and hit it from many
   client threads on loopback (stdlib http.client, keep-alive; each client logs in once through the
   login form as a bench analyst). Per page, in turn: profiles of random enterprises (seeded), then
   the overview, the enterprise list, the map's data and the explanation fragment. Warm-up first.
   Per page: requests, p50, p95, max, throughput; the profile's p50 and p95 against the 300 ms goal.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_URL = "postgresql://mujun:mujun@127.0.0.1:5432/mujun_bench"
YEARS = list(range(2016, 2023))
SEED = 7
DEFAULT_ENTERPRISES = 150_000
GOAL_MS = 300.0
USER = "bench-analyst"
PASSWORD = "bench-analyst-pw-7"


def _say(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# the database


def database_url() -> str:
    return os.environ.get("MUJUN_BENCH_DATABASE_URL", DEFAULT_URL)


def _maintenance(url: str):
    """A connection to the server's `postgres` database (to create or drop the bench database)."""
    import psycopg

    p = urlparse(url)
    return psycopg.connect(
        host=p.hostname or "127.0.0.1",
        port=p.port or 5432,
        user=p.username,
        password=p.password,
        dbname="postgres",
        connect_timeout=3,
        autocommit=True,
    )


def reachable(url: str) -> str | None:
    """None when PostgreSQL answers (the bench database is created if missing); else why not."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    name = urlparse(url).path.lstrip("/")
    try:
        with _maintenance(url) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def drop_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    with _maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _home() -> Path:
    home = OUT / "web-home"
    home.mkdir(parents=True, exist_ok=True)
    return home


def load(url: str, enterprises: int, seed: int, rebuild: bool) -> dict:
    """Bring the bench database up to date with the district; returns what was done and timings."""
    if rebuild:
        drop_database(url)
    from mujun.web.commands import prepare

    prepare(_home(), url)

    from mujun.dataset import Dataset
    from mujun.synth import synthesize

    t0 = time.perf_counter()
    ds = Dataset.from_frames(**synthesize(enterprises, YEARS, seed=seed))
    fingerprint = ds.fingerprint()
    synth_s = time.perf_counter() - t0

    from django.contrib.auth import get_user_model

    from mujun.web import selectors, services
    from mujun.web.demo import load_demo
    from mujun.web.models import DataVersion, Profile, Result, Role

    current = services.head()
    published = selectors.published_runs()
    cached = (
        current is not None
        and current.fingerprint == fingerprint
        and all(y in published and published[y].data_id == current.pk for y in YEARS)
    )
    out = {"synth_s": synth_s, "cached": cached, "fingerprint": fingerprint}
    if not cached:
        if current is not None or DataVersion.objects.exists():
            # another district (or a half-finished load): start from an empty database
            from django.db import connections

            connections.close_all()
            drop_database(url)
            prepare(_home(), url)
        per_year = {}
        t0 = time.perf_counter()
        marks = [t0]

        def on_year(year: int) -> None:
            marks.append(time.perf_counter())
            per_year[year] = marks[-1] - marks[-2]
            _say(f"  {year}: evaluated, stored and published in {per_year[year]:.1f} s")

        load_demo(ds, YEARS, on_year=on_year)
        out["load_s"] = time.perf_counter() - t0
        out["per_year_s"] = per_year
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    User = get_user_model()
    if not User.objects.filter(username=USER).exists():
        user = User.objects.create_user(USER, password=PASSWORD)
        Profile.objects.create(user=user, role=Role.ANALYST)
    out["results"] = Result.objects.count()
    out["usccs"] = ds.enterprises["uscc"].to_list()
    return out


# ---------------------------------------------------------------------------------------------
# the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, threads: int, workers: int) -> subprocess.Popen:
    mujun = Path(sys.executable).parent / "mujun"
    cmd = [str(mujun)] if mujun.exists() else [sys.executable, "-m", "mujun.cli"]
    cmd += ["serve", "--database", url, "--port", str(port), "--threads", str(threads)]
    cmd += ["--workers", str(workers)]
    env = {**os.environ, "MUJUN_HOME": str(_home())}
    env.pop("MUJUN_DEBUG", None)
    log = (OUT / "web-server.log").open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (see {OUT / 'web-server.log'})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start within 60 s")


# ---------------------------------------------------------------------------------------------
# the clients

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Client:
    """One logged-in browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login/")
        token = _CSRF.search(page.decode())
        if status != 200 or not token:
            raise RuntimeError(f"login page: HTTP {status}")
        form = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/",
        }
        status, _ = self.request("POST", "/login/", urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login failed: HTTP {status}")


def _hammer(
    clients: list[Client], paths: list[str], seconds: float | None = None
) -> tuple[list[float], float, int]:
    """Every client requests from the shared queue of paths as fast as answered (no new request
    after `seconds`); returns the latencies (ms), the wall time (s) and the failures."""
    lock = threading.Lock()
    deadline = None if seconds is None else time.perf_counter() + seconds
    queue = iter(paths)
    latencies: list[float] = []
    failures = [0]

    def work(client: Client) -> None:
        while True:
            with lock:
                path = next(queue, None)
            if path is None or (deadline is not None and time.perf_counter() > deadline):
                return
            t0 = time.perf_counter()
            try:
                status, _ = client.request("GET", path)
            except Exception:
                status = 0
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, failures[0]


WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency.max, summary.duration))
end
"""


def wrk_profile(port: int, client: Client, paths: list[str], connections: int, seconds: int):
    """The profile measured by wrk (a C load generator, when installed): the Python clients share
    the two cores and the GIL with nothing else, but their own parsing inflates what they measure."""
    import shutil

    if shutil.which("wrk") is None:
        return None
    script = OUT / "profile.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths), encoding="utf-8")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    out = subprocess.run(
        [
            *("wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}"),
            *("-s", str(script), f"http://127.0.0.1:{port}/"),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        return None
    requests, errors, p50, p95, top, duration = (int(v) for v in line.split()[1:])
    return {
        "requests": requests,
        "errors": errors,
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "max": top / 1000,
        "rate": requests / (duration / 1e6),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------------------------------------
# the benchmark


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench web",
        description="The web app on PostgreSQL: load a district, serve it, measure the pages "
        "under many concurrent clients.",
    )
    p.add_argument("--enterprises", type=int, default=DEFAULT_ENTERPRISES)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--rebuild", action="store_true", help="drop the bench database and reload")
    p.add_argument("--clients", type=int, default=32, help="concurrent client threads")
    p.add_argument("--threads", type=int, default=8, help="threads per server process")
    p.add_argument(
        "--workers", type=int, default=None, help="server processes (default: mujun serve's)"
    )
    p.add_argument("--profiles", type=int, default=2000, help="profile requests measured")
    p.add_argument("--others", type=int, default=200, help="most requests of each other page")
    p.add_argument(
        "--other-clients",
        type=int,
        default=4,
        help="concurrent clients for the other pages (the overview and the map's data take "
        "seconds each at 150,000 enterprises)",
    )
    p.add_argument(
        "--pages",
        default="profile,explain,overview,enterprise list,map data",
        help="the pages to measure, comma-separated",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=30.0,
        help="no new request of a secondary page after this long (the map's data takes seconds)",
    )
    p.add_argument(
        "--check-goals", action="store_true", help="exit 2 when the profile misses 300 ms"
    )
    a = p.parse_args(argv)
    url = database_url()
    shown = re.sub(r"//([^:@/]+):[^@/]*@", r"//\1:…@", url)
    why = reachable(url)
    if why is not None:
        _say(
            f"web bench SKIPPED: PostgreSQL is not reachable at {shown} ({why}). Start it (e.g. "
            "`pg_ctlcluster 15 main start`) or set MUJUN_BENCH_DATABASE_URL."
        )
        return 0
    _say(f"web bench: {a.enterprises:,} enterprises × {len(YEARS)} years on {shown}")
    loaded = load(url, a.enterprises, a.seed, a.rebuild)
    _say(f"  district synthesized and validated in {loaded['synth_s']:.1f} s")
    if loaded["cached"]:
        _say(
            f"  the database already holds this district (fingerprint "
            f"{loaded['fingerprint'][:12]}, {loaded['results']:,} results): reused "
            "(--rebuild reloads it)"
        )
    else:
        _say(
            f"  loaded in {loaded['load_s']:.1f} s: store, commit, evaluate and publish "
            f"{len(YEARS)} years, {loaded['results']:,} result rows"
        )
    from django.db import connections

    connections.close_all()

    rng = random.Random(a.seed)
    usccs = loaded["usccs"]
    port = _free_port()
    from mujun.web.commands import default_workers

    a.workers = a.workers or default_workers()
    server = start_server(url, port, a.threads, a.workers)
    try:
        clients = [Client(port) for _ in range(a.clients)]
        for c in clients:
            c.login(USER, PASSWORD)
        _say(
            f"server: mujun serve --workers {a.workers} --threads {a.threads} on 127.0.0.1:{port}; {a.clients} clients "
            "logged in (keep-alive)"
        )
        pages = {
            "profile": lambda: f"/enterprises/{rng.choice(usccs)}/",
            "explain": lambda: f"/enterprises/{rng.choice(usccs)}/explain/",
            "overview": lambda: "/overview/",
            "enterprise list": lambda: f"/enterprises/?page={rng.randint(1, 50)}",
            "map data": lambda: "/map/data.json",
        }
        chosen = [name.strip() for name in a.pages.split(",")]
        pages = {name: make for name, make in pages.items() if name in chosen}
        counts = {name: a.profiles if name == "profile" else a.others for name in pages}
        # warm-up: every page a few times per client (templates, caches, connections)
        warm = [make() for make in pages.values() for _ in clients[:2]]
        if "profile" in pages:
            warm += [pages["profile"]() for _ in range(2 * a.clients)]
        _, warm_s, warm_failed = _hammer(clients, warm)
        _say(f"warm-up: {len(warm)} requests in {warm_s:.1f} s ({warm_failed} failed)")
        rows = []
        for name, make in pages.items():
            paths = [make() for _ in range(counts[name])]
            if name == "profile":
                lat, wall, failed = _hammer(clients, paths)
                n = len(clients)
            else:
                n = min(len(clients), a.other_clients)
                lat, wall, failed = _hammer(clients[:n], paths, a.seconds)
            rows.append((name, n, lat, wall, failed))
            p50, p95 = _percentile(lat, 0.5), _percentile(lat, 0.95)
            _say(f"  {name}: {len(lat)} requests, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
            if name == "profile":
                wrk = wrk_profile(port, clients[0], paths, a.clients, 20)
                if wrk is None:
                    _say("  profile with wrk: wrk is not installed (apt-get install wrk)")
                else:
                    ok = "✓" if max(wrk["p50"], wrk["p95"]) < GOAL_MS else "✗"
                    _say(
                        f"  profile with wrk ({a.clients} connections, 20 s): "
                        f"{wrk['requests']:,} requests, {wrk['errors']} failed, "
                        f"p50 {wrk['p50']:.0f} ms, p95 {wrk['p95']:.0f} ms, max {wrk['max']:.0f} ms, "
                        f"{wrk['rate']:.1f}/s — goal < {GOAL_MS:.0f} ms {ok}"
                    )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 2 if report(rows, a) and a.check_goals else 0


def report(rows, a) -> bool:
    """Print the table; True when the profile misses its goal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"mujun web on PostgreSQL, {a.enterprises:,} enterprises × {len(YEARS)} years, "
        f"{a.workers} server processes × {a.threads} threads"
    )
    for col in (
        "page",
        "clients",
        "requests",
        "failed",
        "p50",
        "p95",
        "max",
        "mean",
        "throughput",
        "goal",
    ):
        table.add_column(col, justify="left" if col in ("page", "goal") else "right")
    missed = False
    for name, n, lat, wall, failed in rows:
        if not lat:
            table.add_row(name, str(n), "0", str(failed), "", "", "", "", "", "")
            missed |= name == "profile"
            continue
        p50, p95 = _percentile(lat, 0.5), _percentile(lat, 0.95)
        goal = ""
        if name == "profile":
            ok50, ok95 = p50 < GOAL_MS, p95 < GOAL_MS
            missed = not (ok50 and ok95) or failed > 0
            goal = (
                f"p50 {'[green]✓[/]' if ok50 else '[red]✗[/]'} "
                f"p95 {'[green]✓[/]' if ok95 else '[red]✗[/]'} < {GOAL_MS:g} ms"
            )
        table.add_row(
            name,
            str(n),
            f"{len(lat):,}",
            str(failed),
            f"{p50:.0f} ms",
            f"{p95:.0f} ms",
            f"{max(lat):.0f} ms",
            f"{statistics.fmean(lat):.0f} ms",
            f"{len(lat) / wall:.1f} /s",
            goal,
        )
    Console(width=max(150, Console().width)).print(table)
    return missed


if __name__ == "__main__":
    sys.exit(main())
