"""The figures' charts in a real browser: the city official's /figures and a village's page draw
every chart as SVG at 360 px and 1366 px, with no console error, no CSP violation and no
sideways scroll, and each chart's table opens with one tap."""
import pytest

from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.conftest import PHONE

DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_chart_pages_draw_clean(browser, live_server, size):
    context = browser.new_context(**(PHONE if size == "phone" else DESKTOP))
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        sign_in(page, live_server.url, "city")
        page.goto(live_server.url + "/workbench")
        with page.expect_navigation():  # the official's first page leads to the charts
            page.click(".workbench-action[href$='/figures']")
        _check_charts(page, {"meetings", "reach", "issues", "categories", "villages"}, live_server.url)
        with page.expect_navigation():
            page.click("#villages a:text-is('罗翠村')")
        assert "region=" in page.url
        _check_charts(page, {"meetings", "reach", "issues", "categories", "grids"}, live_server.url)
    finally:
        context.close()
    assert errors == [], errors


def _check_charts(page, expected: set, base: str) -> None:
    charts = page.locator("[data-chart]")
    page.wait_for_selector("[data-chart] svg")
    ids = {charts.nth(i).get_attribute("id").removeprefix("chart-") for i in range(charts.count())}
    assert ids == expected
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        svg = chart.locator("svg")
        svg.wait_for()
        box = svg.bounding_box()
        assert box["width"] > 200 and box["height"] > 200, box
        # something drawn besides the axes: bars or lines
        assert chart.locator("path").count() > 5
    assert has_no_horizontal_scroll(page)
    table = page.locator("#chart-meetings-card details table")
    assert not table.is_visible()
    page.click("#chart-meetings-card summary")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 12  # the last twelve months
    assert page.locator("#chart-meetings-card summary").inner_text() == "表格"
    for i in range(charts.count()):  # every chart's .xlsx, one tap from its title
        href = page.locator(".chart-xlsx").nth(i).get_attribute("href")
        download = page.request.get(base + href)
        assert download.status == 200 and download.body()[:2] == b"PK", href
    assert has_no_horizontal_scroll(page)
