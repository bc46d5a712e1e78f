"""On CI (CI=true) the suite must also run on PostgreSQL: `make test` runs everything on SQLite with
the server's URL in MUJUN_CI_DATABASE_URL, then tests/web and tests/browser again with it in
MUJUN_TEST_DATABASE_URL. Elsewhere these checks are skipped."""

import os

import pytest

ON_CI = os.environ.get("CI") == "true"
pytestmark = pytest.mark.skipif(not ON_CI, reason="only on CI (CI=true)")


def _url() -> str:
    url = os.environ.get("MUJUN_TEST_DATABASE_URL") or os.environ.get("MUJUN_CI_DATABASE_URL")
    assert url, (
        "CI=true but MUJUN_TEST_DATABASE_URL is not set: the tests must run on PostgreSQL too "
        "(.ci/run starts a server and sets it)"
    )
    return url


def test_postgresql_is_configured_and_reachable():
    import psycopg

    url = _url()
    assert url.startswith(("postgresql://", "postgres://")), url.split("@")[-1]
    with psycopg.connect(url, connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_postgresql_pass_uses_postgresql():
    from django.db import connection

    if not os.environ.get("MUJUN_TEST_DATABASE_URL"):
        assert connection.vendor == "sqlite"  # the first pass of `make test`
    else:
        assert connection.vendor == "postgresql"
