"""Key pages load with no script error and no Content-Security-Policy violation in the console."""
import pytest

from tests.e2e import assert_pages_clean

PAGES = {
    "committee": ["/households/", "/households/grids", "/ledger/award?q=", "/ledger/entries",
                  "/ledger/rulebook", "/ledger/claims", "/ledger/objections", "/ledger/notice",
                  "/households/import", "/shop/cards", "/shop/cards/sheet"],
    "household": ["/me", "/ledger/me/history", "/ledger/rules", "/ledger/claims/new",
                  "/ledger/notice", "/ledger/notice/print"],
    "city": ["/regions/"],
}
PAGES["committee"] += ["/certificates", "/reports/monthly"]  # certificates and the monthly report
PAGES["household"] += ["/certificates", "/verify/key"]


@pytest.mark.parametrize("username", sorted(PAGES))
def test_pages_have_no_console_errors(live_server, phone, username):
    assert_pages_clean(phone, live_server.url, username, PAGES[username])
