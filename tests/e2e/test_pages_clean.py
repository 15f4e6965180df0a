"""Key pages load with no script error and no Content-Security-Policy violation in the console."""
import pytest

from tests.e2e import has_no_horizontal_scroll, sign_in

PAGES = {
    "committee": ["/households/", "/households/grids", "/ledger/award?q=", "/ledger/entries",
                  "/ledger/rulebook", "/ledger/claims", "/ledger/objections", "/ledger/notice",
                  "/households/import", "/shop/cards", "/shop/cards/sheet"],
    "household": ["/me", "/ledger/me/history", "/ledger/rules", "/ledger/claims/new",
                  "/ledger/notice", "/ledger/notice/print"],
    "city": ["/regions/"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_pages_have_no_console_errors(live_server, phone, username):
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, live_server.url, username)
    for path in PAGES[username]:
        response = phone.goto(live_server.url + path)
        assert response.status == 200, path
        assert has_no_horizontal_scroll(phone), path
    assert errors == []
