"""Every demo role's menu at 1366 px and 360 px in each language: no label wraps, no sideways
scroll, no console error or CSP violation; and on a phone every tap target of the role's main
pages is at least 44 px high."""
import pytest

from tests.e2e import has_no_horizontal_scroll, sign_in
from tests.e2e.conftest import PHONE

ROLES = ["admin", "city", "committee", "gridleader", "shop", "household", "unit"]
LANGUAGES = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-US"}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}

# Visible labels that take more than one line: distinct line tops of the text inside each.
WRAPPED = """(selector) => {
  const wrapped = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set();
    for (const r of range.getClientRects()) if (r.width > 0.5) tops.add(Math.round(r.top));
    if (tops.size > 1) wrapped.push(el.textContent.trim() + ' (' + tops.size + ' lines)');
  }
  return wrapped;
}"""

# Visible interactive elements under 44 px high, except links inside running text (a parent
# that holds text of its own besides the link), which stay inline by design.
SMALL = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a, button, input[type=submit], select')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden') continue;
    if (el.closest('.dropdown-menu:not(.show)')) continue;
    if (box.height >= 43.5) continue;
    if (el.tagName === 'A' && !el.classList.contains('btn')) {
      const own = Array.from(el.parentElement.childNodes).filter(n => n !== el)
        .map(n => n.textContent).join('').trim();
      if (own.length > 1) continue;  // a link inside a sentence
    }
    small.push(el.tagName.toLowerCase() + ' "' + (el.textContent || el.value || '').trim().slice(0, 30)
               + '" ' + Math.round(box.width) + 'x' + Math.round(box.height));
  }
  return small;
}"""


def _watch(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _menu_problems(page, phone: bool) -> list[str]:
    """Open the menu (and each dropdown in turn) and list every label that wraps."""
    problems = page.evaluate(WRAPPED, "nav.navbar .nav-link, .navbar-brand, #bottom-bar a")
    if phone:
        page.click(".navbar-toggler")
        page.wait_for_selector("#nav.show")
        problems += page.evaluate(WRAPPED, "#nav .nav-link")
    toggles = page.locator("nav.navbar .dropdown-toggle")
    for i in range(toggles.count()):
        toggles.nth(i).click()
        page.wait_for_selector("nav.navbar .dropdown-menu.show")
        problems += page.evaluate(WRAPPED, "nav.navbar .dropdown-menu.show .dropdown-item")
        if not has_no_horizontal_scroll(page):
            problems.append(f"sideways scroll with dropdown {i} open")
        toggles.nth(i).click()
    return problems


@pytest.mark.parametrize("username", ROLES)
def test_no_menu_label_wraps_at_1366_or_360(live_server, browser, username):
    found = {}
    for language, tag in LANGUAGES.items():
        for name, options in (("1366", LAPTOP), ("360", PHONE)):
            context = browser.new_context(**{**options, "locale": tag})
            context.set_default_timeout(10_000)
            page = context.new_page()
            errors = _watch(page)
            sign_in(page, live_server.url, username)
            assert has_no_horizontal_scroll(page), (language, name)
            problems = _menu_problems(page, phone=name == "360") + errors
            if problems:
                found[f"{language} {name}px"] = problems
            context.close()
    assert found == {}, found


@pytest.mark.parametrize("username", ROLES)
def test_tap_targets_are_44px_on_a_phone(live_server, browser, username):
    """The role's home and every page of its menu, at 360 px."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, live_server.url, username)
    paths = [page.url.replace(live_server.url, "")]
    paths += [href for href in page.evaluate(
        "Array.from(document.querySelectorAll('nav.navbar a[href^=\"/\"]')).map(a => a.getAttribute('href'))")
        if href not in paths]
    found = {}
    for path in paths:
        page.goto(live_server.url + path)
        small = page.evaluate(SMALL)
        if small:
            found[path] = small
    context.close()
    assert found == {}, found


def test_the_household_bottom_bar_on_a_phone_only(live_server, browser):
    """360 px: four shortcuts fixed at the bottom, covering nothing once scrolled to the end;
    1366 px: no bar (the top menu has room)."""
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "household")
    bar = page.locator("#bottom-bar")
    assert bar.is_visible()
    assert bar.locator("a").all_inner_texts() == ["我的积分", "付款码", "夜谈会", "问题"]
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator("footer button").last.bounding_box()
    assert footer["y"] + footer["height"] <= bar.bounding_box()["y"]
    with page.expect_navigation():
        page.locator("#pay-button").click()
    assert page.url.endswith("/me/pay")
    phone.close()
    laptop = browser.new_context(**LAPTOP)
    page = laptop.new_page()
    sign_in(page, live_server.url, "household")
    assert not page.locator("#bottom-bar").is_visible()
    laptop.close()
