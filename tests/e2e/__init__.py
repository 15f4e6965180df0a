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
