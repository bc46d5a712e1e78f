"""Every demo role logs in through the real login form and sees its own menu; pages outside the
role answer 403."""

from __future__ import annotations

import pytest

ALL = ["overview", "enterprises", "map", "data", "runs", "objections", "audit"]
READERS = ["overview", "enterprises", "map"]
# what each role finds in the menu; every other link of ALL must be missing
MENU = {
    "admin": ALL,
    "analyst": ALL[:-1],
    "land": READERS,
    "street": READERS,
    "leader": READERS,
    "deputy": READERS,
    "enterprise": ["objections"],
}
# a page each role must be refused (403)
REFUSED = {
    "analyst": "audit",
    "land": "data",
    "street": "runs",
    "leader": "objections",
    "deputy": "data",
    "enterprise": "overview",
}


@pytest.mark.parametrize("username", list(MENU))
def test_each_role_sees_its_menu(login, server, username):
    page = login(username)
    nav = page.locator("header nav")
    for name in ALL:
        count = nav.locator(f'a[href="/{name}/"]').count()
        assert count == (1 if name in MENU[username] else 0), (username, name)
    assert page.locator("header .who").inner_text().startswith(username)
    if username == "enterprise":
        assert "/enterprises/" in page.url  # `/` sends an enterprise to its own profile
        assert nav.locator('a[href^="/enterprises/"]').count() == 1
    else:
        assert page.url.endswith("/overview/")
    server.shot(page, f"home-{username}")
    if username in REFUSED:
        response = page.goto(f"/{REFUSED[username]}/")
        assert response.status == 403, (username, REFUSED[username])
        server.shot(page, f"refused-{REFUSED[username]}-{username}")


def test_wrong_password_stays_on_login(browser, server):
    context = browser.new_context(base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", "not-the-password")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/login/" in page.url
        assert page.locator("main .error").count() == 1
        server.shot(page, "login-wrong-password")
    finally:
        context.close()
