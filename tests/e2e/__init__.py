"""Browser tests (Playwright on the system's Chromium) and the helpers they share."""
from app.demo import DEMO_PASSWORD


def sign_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form and wait for the page it leads to."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def has_no_horizontal_scroll(page) -> bool:
    """True when the page is no wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def assert_pages_clean(page, base_url: str, username: str, paths: list[str]) -> None:
    """Signed in as username, each path answers 200 with no sideways scroll, and the whole walk
    logs no script error and no Content-Security-Policy violation in the console."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The console says only "Failed to load resource"; name the address that failed.
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, base_url, username)
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status == 200, (path, response.status)
        assert has_no_horizontal_scroll(page), path
    assert errors == [], errors
