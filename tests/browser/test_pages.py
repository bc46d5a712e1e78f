"""The pages render in a real browser: Plotly charts on the overview and profiles, the explanation
fragment, and the parcel map whose markers open the parcel's side panel."""

from __future__ import annotations


def test_overview_draws_its_charts(login, server):
    page = login("leader")
    page.goto("/overview/")
    page.wait_for_selector(".chart .main-svg")
    charts = page.locator(".chart[data-figure]")
    assert charts.count() >= 4
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for()
    assert page.locator(".kpis .kpi").count() == 3
    server.shot(page, "overview-leader")


def test_enterprise_profile_and_explanation(login, server):
    page = login("enterprise")
    assert "/enterprises/" in page.url
    page.wait_for_selector(".chart .main-svg")
    page.wait_for_selector('#explain[data-loaded="1"]')
    assert page.locator("#explain").inner_text().strip() != ""
    assert page.locator("table.glance").count() == 1
    assert page.locator("#object-form").count() == 1  # an enterprise may object to its figures
    server.shot(page, "profile-enterprise")


def test_bureau_opens_a_profile_from_the_list(login, server):
    page = login("analyst")
    page.goto("/enterprises/")
    link = page.locator('main a[href^="/enterprises/9"]').first
    with page.expect_navigation():
        link.click()
    page.wait_for_selector(".chart .main-svg")
    page.wait_for_selector('#explain[data-loaded="1"]')
    assert page.locator("#object-form").count() == 0  # only the firm itself files objections
    server.shot(page, "profile-analyst")


def test_parcel_map_opens_a_parcel(login, server):
    page = login("land")
    page.goto("/map/")
    page.wait_for_selector("#map[data-ready]")
    assert int(page.get_attribute("#map", "data-ready")) > 0
    # the markers trace is the last scatter trace; its points are SVG paths
    points = page.locator("#map .scatterlayer .trace").last.locator("path.point")
    assert points.count() > 0
    box = points.nth(points.count() // 2).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)  # plotly_click needs the hover first
    page.wait_for_timeout(100)
    page.mouse.click(x, y)
    heading = page.wait_for_selector("#parcel-panel h2[data-parcel]")
    assert heading.get_attribute("data-parcel")
    panel = page.locator("#parcel-panel").inner_text()
    assert "owner" in panel and "occupant" in panel
    assert page.locator("#parcel-panel table.occupants tr").count() >= 2
    server.shot(page, "map-parcel-land")
