"""The bureau's and the enterprise's work through the browser: upload a dataset workbook, commit it,
evaluate and publish a run; file an objection (a double click files one), accept it with a corrected
value, and the enterprise sees the outcome."""

from __future__ import annotations

import re

import pytest

from .conftest import ENTERPRISES, SEED, YEARS


@pytest.fixture(scope="session")
def workbook(tmp_path_factory):
    """The canonical dataset workbook of a district like the demo's (same seed and years)."""
    from mujun.cli import parse_years
    from mujun.dataset import Dataset
    from mujun.synth import synthesize

    path = tmp_path_factory.mktemp("upload") / "district.xlsx"
    Dataset.from_frames(**synthesize(ENTERPRISES, parse_years(YEARS), SEED)).write(path)
    return path


def test_upload_commit_evaluate_publish(login, server, workbook):
    page = login("analyst")
    page.goto("/data/")
    versions_before = page.locator("main table.list tr").count()
    page.set_input_files("#upload-form input[type=file]", str(workbook))
    with page.expect_navigation(timeout=120_000):
        page.click("#upload-form button[type=submit]")
    assert re.search(r"/data/\d+/$", page.url), page.url
    version = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator("h1 .st-staged").count() == 1
    server.shot(page, "data-version-staged-analyst")
    with page.expect_navigation():
        page.click('button[name=action][value="commit"]')
    assert page.locator("h1 .st-committed").count() == 1
    server.shot(page, "data-version-committed-analyst")
    page.goto("/data/")
    assert page.locator("main table.list tr").count() == versions_before + 1

    page.goto("/runs/")
    assert f"{version} (" in page.locator("#run-form").inner_text()  # runs on the new head
    page.select_option("#run-form select[name=year]", "2022")
    page.select_option("#run-form select[name=preset]", label="zhenhai v1")  # no default preset
    with page.expect_navigation(timeout=120_000):
        page.click("#run-form button[type=submit]")
    assert re.search(r"/runs/\d+/$", page.url), page.url
    run = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator("h1 .st-preview").count() == 1
    server.shot(page, "run-preview-analyst")
    with page.expect_navigation(timeout=120_000):
        page.click("#publish-form button[name=action][value=publish]")
    assert page.locator("h1 .st-published").count() == 1
    server.shot(page, "run-published-analyst")

    page.goto("/runs/")
    row = page.locator("main table.list tr", has=page.locator(f'a[href="/runs/{run}/"]'))
    assert row.locator("td.st-published").count() == 1
    server.shot(page, "runs-analyst")


def _objection_rows(page):
    return page.locator('section table.small tr:has(a[href^="/objections/"])')


def test_objection_filed_once_accepted_and_seen(login, server):
    firm = login("enterprise")
    profile = firm.url
    before = _objection_rows(firm).count()
    firm.select_option("#object-form select[name=field]", "tax_paid")
    firm.fill("#object-form input[name=proposed_value]", "1234.5")
    firm.fill(
        "#object-form textarea[name=explanation]", "2022年税收含一笔漏记的退税，应为1234.5万元。"
    )
    # the form as the browser sends it, to send it once more after the double click
    fields = firm.eval_on_selector(
        "#object-form", "f => Object.fromEntries(new FormData(f).entries())"
    )
    action = firm.get_attribute("#object-form", "action")
    posts = []
    firm.on("request", lambda r: r.method == "POST" and r.url.endswith(action) and posts.append(r))
    with firm.expect_navigation():
        firm.dblclick("#object-form button[type=submit]")  # a double click files one objection
    firm.wait_for_load_state()
    assert firm.url == profile
    assert posts, "the objection form was not sent"
    late = firm.request.post(action, form=fields, headers={"Referer": profile}, max_redirects=0)
    assert late.status == 302  # a late duplicate is answered, not filed again
    firm.reload()
    rows = _objection_rows(firm)
    assert rows.count() == before + 1, "the double click filed two objections"
    server.shot(firm, "objection-filed-enterprise")
    link = rows.first.locator("a").get_attribute("href")
    pk = int(link.strip("/").rsplit("/", 1)[1])

    bureau = login("analyst")
    bureau.goto("/objections/")
    assert bureau.locator(f'main a[href="/objections/{pk}/"]').count() == 1
    server.shot(bureau, "objections-analyst")
    with bureau.expect_navigation():
        bureau.click(f'main a[href="/objections/{pk}/"]')
    assert bureau.locator("h1 .st-open").count() == 1
    bureau.check("#resolve-form input[name=decision][value=accept]")
    bureau.fill("#resolve-form input[name=value]", "1200")
    bureau.fill("#resolve-form [name=reason]", "核对税务局退库凭证，更正为1200万元。")
    server.shot(bureau, "objection-decide-analyst")
    with bureau.expect_navigation(timeout=120_000):
        bureau.click("#resolve-form button[type=submit]")
    assert re.search(r"/runs/\d+/$", bureau.url), bureau.url  # the corrected data's new run
    server.shot(bureau, "objection-accepted-run-analyst")

    firm.goto(profile)
    row = _objection_rows(firm).filter(has=firm.locator(f'a[href="/objections/{pk}/"]'))
    status = row.locator("td.st-accepted")
    assert status.count() == 1
    assert status.inner_text().strip() in ("已采纳", "accepted")
    assert "1200" in row.inner_text()  # the outcome names the corrected value
    server.shot(firm, "objection-outcome-enterprise")
