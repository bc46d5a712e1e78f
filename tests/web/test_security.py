"""Security: the production settings pass Django's deployment checks, logins are throttled
(django-axes), CSRF is enforced on every form."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.web.conftest import PASSWORD


def test_deploy_check_is_clean(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MUJUN_DATABASE_URL", "MUJUN_TEST_DATABASE_URL", "MUJUN_DEBUG")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mujun.web.settings_production",
        MUJUN_SECRET_KEY=secrets.token_urlsafe(64),
        MUJUN_ALLOWED_HOSTS="example.org",
        MUJUN_HOME=str(tmp_path / "home"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "mujun.web.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout + done.stderr


def test_production_settings():
    """What the deploy check cannot see: the values themselves."""
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.DEBUG, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, s.ALLOWED_HOSTS]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MUJUN_DATABASE_URL", "MUJUN_DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="mujun.web.settings_production",
        MUJUN_SECRET_KEY=secrets.token_urlsafe(64),
        MUJUN_ALLOWED_HOSTS="example.org",
        MUJUN_DEBUG="1",  # a stray debug switch does not turn production into debug
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '[false, true, true, true, true, "DENY", ["example.org"]]'


def _login(client, password: str):
    return client.post("/login/", {"username": "analyst", "password": password})


@pytest.mark.django_db
def test_login_works(client):
    response = _login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failures_lock_the_login(client):
    for attempt in range(1, 6):
        response = _login(client, "wrong-password")
        # the form again, with an error; the fifth failure locks the username from this address
        assert response.status_code == (429 if attempt == 5 else 200)
        assert "_auth_user_id" not in client.session
    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/overview/").status_code == 302  # still not logged in
    # another user from the same address is not locked out
    other = Client()
    assert other.post("/login/", {"username": "leader", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/login/", {"username": "analyst", "password": PASSWORD}).status_code == 403
    client.force_login(get_user_model().objects.get(username="analyst"))
    from mujun.web.models import Run

    before = Run.objects.count()
    for url, data in [
        ("/runs/", {"year": 2021, "preset": 1, "nonce": "csrf"}),
        ("/data/", {"nonce": "csrf"}),
        ("/logout/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Run.objects.count() == before
    # with the token from the page, the same form is accepted
    page = client.get("/runs/")
    token = page.cookies["csrftoken"].value
    response = client.post("/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


# -- sessions: a logout ends the session in every server process (issue 11, item 3) ----------


def _other_process_cache():
    """What a second server process would hold in its own memory: a copy of this process's
    local cache, taken while the session was live (locmem caches are per process)."""
    from django.core.cache import caches

    cache = caches["default"]
    return cache, dict(cache._cache), dict(cache._expire_info)


@pytest.mark.django_db
def test_a_logged_out_cookie_opens_nothing_in_any_process():
    browser = Client()
    assert _login(browser, PASSWORD).status_code == 302
    assert browser.get("/overview/").status_code == 200
    cookie = browser.cookies["sessionid"].value
    cache, entries, expiry = _other_process_cache()
    assert browser.post("/logout/").status_code == 302
    # another worker's memory still has whatever it had cached before the logout
    cache._cache.update(entries)
    cache._expire_info.update(expiry)
    replay = Client()
    replay.cookies["sessionid"] = cookie
    for _ in range(30):
        response = replay.get("/overview/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    from django.conf import settings

    # and the store is one every process shares: the database
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


# -- login throttling per user and client address, behind a trusted proxy (item 14) ----------

PROXY = "10.0.0.1"


def _attempts(client: Client, password: str, n: int = 1, **headers):
    return [
        client.post("/login/", {"username": "analyst", "password": password}, **headers)
        for _ in range(n)
    ]


@pytest.mark.django_db
def test_failures_from_one_address_do_not_lock_the_user_elsewhere():
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    assert [r.status_code for r in _attempts(attacker, "wrong", 5)] == [200] * 4 + [429]
    assert _attempts(attacker, PASSWORD)[0].status_code == 429
    # the user, from their own address, is not locked out
    assert _attempts(Client(REMOTE_ADDR="198.51.100.7"), PASSWORD)[0].status_code == 302


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_is_its_own_address(settings):
    settings.MUJUN_TRUSTED_PROXIES = [PROXY]
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert [r.status_code for r in _attempts(attacker, "wrong", 5)] == [200] * 4 + [429]
    assert _attempts(attacker, PASSWORD)[0].status_code == 429
    # the same proxy forwarding the real user: not locked (every user shares the proxy's address)
    user = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _attempts(user, PASSWORD)[0].status_code == 302
    # what the client wrote to the left of what the proxy appended proves nothing
    forged = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert _attempts(forged, PASSWORD)[0].status_code == 429


@pytest.mark.django_db
def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(settings, login):
    from auditlog.models import LogEntry

    from mujun.web.models import Run

    settings.MUJUN_TRUSTED_PROXIES = [PROXY]
    # a new made-up address on every attempt does not escape the lock
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    codes = [
        _attempts(attacker, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")[0].status_code
        for i in range(6)
    ]
    assert codes == [200] * 4 + [429, 429]
    # and the audit trail records the peer, not the header
    client = login("analyst")
    run = Run.objects.filter(published_at__isnull=False).order_by("pk").first()
    url = f"/runs/{run.pk}/published.xlsx"
    assert (
        client.get(url, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code
        == 200
    )
    assert LogEntry.objects.latest("id").remote_addr == "203.0.113.9"
    # from the trusted proxy, the client it names is recorded
    assert client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert LogEntry.objects.latest("id").remote_addr == "192.0.2.1"


def test_client_address_resolution(rf, settings):
    from mujun.web.middleware import client_ip

    settings.MUJUN_TRUSTED_PROXIES = ["10.0.0.0/24", "::1"]

    def ip(peer, forwarded=None):
        meta = {"REMOTE_ADDR": peer}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_ip(rf.get("/", **meta))

    assert ip("203.0.113.9", "192.0.2.1") == "203.0.113.9"  # untrusted peer: header ignored
    assert ip("10.0.0.5", "192.0.2.1") == "192.0.2.1"
    assert ip("10.0.0.5", "192.0.2.1, 10.0.0.7") == "192.0.2.1"  # two proxies of ours
    assert ip("::1", "192.0.2.1:5123") == "192.0.2.1"  # a port is not part of the address
    assert ip("10.0.0.5", "[2001:db8::1]:443") == "2001:db8::1"
    assert ip("10.0.0.5") == "10.0.0.5"  # the proxy's own request
    assert ip("10.0.0.5", "not-an-address, 192.0.2.1") == "192.0.2.1"
    assert ip("10.0.0.5", "192.0.2.1, not-an-address") == "10.0.0.5"


# -- users are deactivated, never deleted: the audit trail keeps its actors (item 5) ---------


def _deputy_audited():
    """An audit entry made by the deputy (a permission change in their profile, as the admin's
    form would log it) and the deputy."""
    from auditlog.context import set_actor
    from auditlog.models import LogEntry

    deputy = get_user_model().objects.get(username="deputy")
    with set_actor(deputy):
        deputy.is_staff = True
        deputy.save()
        deputy.is_staff = False
        deputy.save()
    return deputy, LogEntry.objects.filter(actor=deputy).latest("id")


@pytest.mark.django_db
def test_the_admin_offers_no_delete_for_users(login):
    deputy, entry = _deputy_audited()
    admin = login("admin")
    url = f"/admin/auth/user/{deputy.pk}/delete/"
    assert admin.get(url).status_code == 403
    assert admin.post(url, {"post": "yes"}).status_code == 403
    changelist = admin.get("/admin/auth/user/")
    assert b'value="delete_selected"' not in changelist.content
    admin.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [deputy.pk], "post": "yes"},
    )
    assert get_user_model().objects.filter(pk=deputy.pk).exists()
    entry.refresh_from_db()
    assert entry.actor_id == deputy.pk


@pytest.mark.django_db
def test_no_code_path_deletes_a_user():
    from django.db import transaction

    from mujun.web.audit import ImmutableError

    deputy, entry = _deputy_audited()
    with pytest.raises(ImmutableError, match="deactivate"), transaction.atomic():
        deputy.delete()
    with pytest.raises(ImmutableError), transaction.atomic():
        get_user_model().objects.filter(pk=deputy.pk).delete()
    entry.refresh_from_db()
    assert entry.actor.username == "deputy"


@pytest.mark.django_db
def test_the_admin_deactivates_users(login):
    from auditlog.models import LogEntry

    admin = login("admin")
    deputy = get_user_model().objects.get(username="deputy")
    me = get_user_model().objects.get(username="admin")
    response = admin.post(
        "/admin/auth/user/", {"action": "deactivate", "_selected_action": [deputy.pk, me.pk]}
    )
    assert response.status_code == 302
    deputy.refresh_from_db()
    me.refresh_from_db()
    assert not deputy.is_active and me.is_active  # never oneself
    change = LogEntry.objects.get_for_object(deputy).latest("id")
    assert change.actor == me and "is_active" in change.changes_dict
    # and the deactivated user cannot log in
    assert Client().post("/login/", {"username": "deputy", "password": PASSWORD}).status_code == 200


# -- presets change only through the validated service (item 7) ------------------------------


@pytest.mark.django_db
def test_the_admin_cannot_add_change_or_delete_a_preset(login):
    from mujun.web.models import Preset
    from mujun.web.services import methodology_of

    admin = login("admin")
    preset = Preset.objects.order_by("-version").first()
    before = list(Preset.objects.values_list("pk", "toml", "methodology_hash"))
    assert admin.get("/admin/web/preset/").status_code == 200  # still there to look at
    assert admin.get(f"/admin/web/preset/{preset.pk}/change/").status_code == 200
    bad = {
        "name": preset.name,
        "version": preset.version + 1,
        "toml": "this is [not a methodology",
        "note": "",
    }
    assert admin.get("/admin/web/preset/add/").status_code == 403
    assert admin.post("/admin/web/preset/add/", bad).status_code == 403
    response = admin.post(f"/admin/web/preset/{preset.pk}/change/", {**bad, "version": 1})
    assert response.status_code == 403
    assert admin.post(f"/admin/web/preset/{preset.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(Preset.objects.values_list("pk", "toml", "methodology_hash")) == before
    # every preset's latest version still reads as a methodology (a run can use it)
    for name in Preset.objects.values_list("name", flat=True).distinct():
        latest = Preset.objects.filter(name=name).order_by("-version").first()
        assert methodology_of(latest).digest() == latest.methodology_hash


# -- users change their own password (item 18) ------------------------------------------------


@pytest.mark.django_db
def test_a_user_changes_their_password_and_logs_in_with_it():
    browser = Client()
    assert browser.post("/login/", {"username": "street", "password": PASSWORD}).status_code == 302
    page = browser.get("/overview/")
    assert b'href="/account/password/"' in page.content  # the header links to it
    form = browser.get("/account/password/")
    assert form.status_code == 200 and "修改密码".encode() in form.content
    new = "Zhaobaoshan-2026-street"
    # a wrong current password changes nothing
    response = browser.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200 and b'class="error"' in response.content
    response = browser.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == "/account/password/done/"
    assert "密码已修改".encode() in browser.get(response["Location"]).content
    assert browser.get("/overview/").status_code == 200  # still signed in here
    # from now on the new password logs in, the old one does not
    assert Client().post("/login/", {"username": "street", "password": PASSWORD}).status_code == 200
    again = Client()
    assert again.post("/login/", {"username": "street", "password": new}).status_code == 302
    assert again.get("/overview/").status_code == 200


def test_the_password_page_needs_a_login(client):
    response = client.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# -- CSP, no caching of what a signed-in user sees, production settings by default (item 15) --


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d.strip()
    }


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client, login):
    policy = _policy(client.get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    # scripts only from this server; no inline script but the hashed submit-on-change handler
    scripts = policy["script-src"]
    assert "'self'" in scripts
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(scripts)
    page = login("analyst").get("/overview/")
    assert page.status_code == 200 and _policy(page) == policy
    # every inline handler the pages use is one the policy allows by its hash
    import base64
    import hashlib
    import re

    allowed = {s.strip("'") for s in scripts if s.startswith("'sha256-")}
    for html in (page.content.decode(), client.get("/login/").content.decode()):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline <script>
        for handler in re.findall(r'\son[a-z]+="([^"]*)"', html):
            digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
            assert f"sha256-{digest}" in allowed, handler


def _no_store(response) -> bool:
    cache = {p.strip() for p in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= cache


@pytest.mark.django_db
def test_nothing_a_signed_in_user_is_shown_is_stored_by_a_cache(login):
    from mujun.web.models import Run

    client = login("analyst")
    run = Run.objects.filter(published_at__isnull=False).order_by("pk").first()
    for url in [
        "/enterprises/",  # a page with tax figures
        "/enterprises/?format=csv",
        f"/runs/{run.pk}/published.xlsx",  # a download with every firm's tax
        "/map/data.json",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), (url, response.get("Cache-Control"))
    # static files stay cacheable
    assert not _no_store(client.get("/static/web/mujun.css"))


def test_serve_runs_the_production_settings_unless_dev():
    from mujun.web.commands import serve_settings

    assert serve_settings(dev=False, environ={}) == "mujun.web.settings_production"
    assert serve_settings(dev=True, environ={}) == "mujun.web.settings"
    # the development module left in the environment does not make a server insecure
    dev_env = {"DJANGO_SETTINGS_MODULE": "mujun.web.settings"}
    assert serve_settings(dev=False, environ=dev_env) == "mujun.web.settings_production"
    # a site's own module (importing the production settings) is kept; --dev always wins
    site = {"DJANGO_SETTINGS_MODULE": "county_settings"}
    assert serve_settings(dev=False, environ=site) == "county_settings"
    assert serve_settings(dev=True, environ=site) == "mujun.web.settings"


@pytest.mark.parametrize(
    ("args", "module", "said"),
    [
        ([], "mujun.web.settings_production", "production settings"),
        (["--dev"], "mujun.web.settings", "development settings"),
    ],
)
def test_mujun_serve_says_which_settings_it_runs(monkeypatch, tmp_path, args, module, said):
    from typer.testing import CliRunner

    from mujun import cli
    from mujun.web import commands

    seen = {}
    # as on a server: no settings module in the environment (restored after the test)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    monkeypatch.setattr(
        commands,
        "prepare",
        lambda home, url: seen.update(settings=os.environ["DJANGO_SETTINGS_MODULE"]),
    )
    monkeypatch.setattr(commands, "serve", lambda *a: seen.update(served=a))
    done = CliRunner().invoke(cli.app, ["serve", "--home", str(tmp_path), "--workers", "1", *args])
    assert done.exit_code == 0, done.output
    assert seen["settings"] == module and seen["served"][:2] == ("127.0.0.1", 8000)
    assert said in done.output


def test_mujun_serve_in_production_behind_the_tls_proxy(tmp_path):
    """A live `mujun serve --workers 1` (waitress) with the production settings: plain http is
    sent to https, a request the proxy marks as https is served with HSTS and Secure cookies
    (waitress must pass the proxy's headers on)."""
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "MUJUN_DATABASE_URL", "MUJUN_DEBUG")
    }
    env.update(MUJUN_SECRET_KEY=secrets.token_urlsafe(64), MUJUN_TRUSTED_PROXIES="127.0.0.1")
    (tmp_path / "home").mkdir()
    args = ["serve", "--home", str(tmp_path / "home"), "--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def get(**headers):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/login/", headers=headers)
        try:
            with opener.open(request, timeout=5) as r:
                return r.status, r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.headers

    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mujun.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                status, headers = get()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert status == 301 and headers["Location"] == f"https://127.0.0.1:{port}/login/"
        status, headers = get(**{"X-Forwarded-Proto": "https"})
        assert status == 200, log.read_text()
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        assert all("Secure" in c for c in headers.get_all("Set-Cookie"))
        assert "Content-Security-Policy" in headers
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "production settings" in log.read_text()


def test_a_malformed_trusted_proxy_fails_at_start():
    env = {k: v for k, v in os.environ.items() if k != "MUJUN_DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="mujun.web.settings", MUJUN_TRUSTED_PROXIES="10.0.0.1,proxy")
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "MUJUN_TRUSTED_PROXIES" in done.stderr
