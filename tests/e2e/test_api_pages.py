"""The API's pages in a phone browser: the docs drawn from the OpenAPI document, the tokens page."""
import json
import urllib.request

from app.demo import DEMO_PASSWORD
from tests.e2e import has_no_horizontal_scroll, sign_in


def _console_errors(page) -> list:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_docs_page_renders_every_call_under_the_csp(live_server, phone):
    errors = _console_errors(phone)
    with urllib.request.urlopen(live_server.url + "/api/v1/openapi.json") as response:
        calls = sum(len(item) for item in json.load(response)["paths"].values())
    assert phone.goto(live_server.url + "/api/v1/docs").status == 200
    phone.wait_for_selector("#api-docs section.card")
    assert phone.locator("#api-docs section.card").count() == calls
    assert phone.locator("#api-docs", has_text="/api/v1/redemptions").count() == 1
    assert has_no_horizontal_scroll(phone)
    assert errors == []


def test_tokens_page_lists_a_signed_in_program_and_revokes_it(live_server, phone):
    request = urllib.request.Request(
        live_server.url + "/api/v1/tokens", method="POST",
        data=json.dumps({"username": "household2", "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "e2e mini-program"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
    errors = _console_errors(phone)
    sign_in(phone, live_server.url, "household2")
    assert phone.goto(live_server.url + "/account/tokens").status == 200
    assert phone.get_by_text("e2e mini-program").count() == 1
    assert has_no_horizontal_scroll(phone)
    phone.get_by_role("button", name="吊销").first.click()
    phone.wait_for_load_state()
    assert phone.get_by_text("e2e mini-program").count() == 0
    assert errors == []
