"""The committee's ranking page at 360 px and its poster printed by Chromium: one A4 page."""
import re

from tests.e2e import assert_pages_clean, sign_in

PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def test_ranking_pages_clean_on_a_phone(live_server, phone):
    assert_pages_clean(phone, live_server.url, "committee",
                       ["/rankings", "/rankings?period=quarter", "/rankings?period=year",
                        "/rankings/poster"])
    # Tap targets: the period buttons and the poster link are at least 44 px high.
    phone.goto(f"{live_server.url}/rankings")
    for locator in (phone.locator("#period-kinds .btn").first, phone.locator("#poster-link")):
        assert locator.bounding_box()["height"] >= 44


def test_household_sees_its_rank_on_me(live_server, phone, screenshots):
    assert_pages_clean(phone, live_server.url, "household", ["/me"])
    text = phone.locator("#my-rank").inner_text()
    assert "名" in text and phone.locator("#next-star").count() == 1
    phone.locator("#my-rank").screenshot(path=str(screenshots / "me-rank-360.png"))


def test_poster_prints_on_one_a4_page(live_server, browser, tmp_path, screenshots):
    for username in ("committee", "gridleader"):
        context = browser.new_context(viewport={"width": 794, "height": 1123}, locale="zh-CN")
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, live_server.url, username)
        page.goto(f"{live_server.url}/rankings/poster")
        assert page.locator(".poster-village").inner_text().strip()
        assert page.locator(".poster-top tbody tr").count() >= 1
        page.screenshot(path=str(screenshots / f"ranking-poster-{username}.png"), full_page=True)
        pdf = page.pdf(format="A4")
        (tmp_path / f"poster-{username}.pdf").write_bytes(pdf)
        assert len(PAGE.findall(pdf)) == 1, username
        # 595 x 842 points is A4.
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf)
        assert abs(float(box.group(1)) - 595) < 2 and abs(float(box.group(2)) - 842) < 2
        assert errors == []
        context.close()


def test_ranking_page_screenshot(live_server, phone, screenshots):
    sign_in(phone, live_server.url, "committee")
    phone.goto(f"{live_server.url}/rankings")
    assert phone.locator("#ranking-table tbody tr").count() >= 1
    phone.screenshot(path=str(screenshots / "ranking-360.png"), full_page=True)
