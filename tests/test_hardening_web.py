"""Audit findings on requests: malformed cursors (7), CR/LF in `next` (8), headers (11), running
behind a proxy (5)."""
import pytest
import sqlalchemy as sa

from app import demo
from app.extensions import db
from app.models import User
from tests import factories

# [5], ["zzzz"], [null] and ["\u0000"]: well-formed cursors of the wrong type for the sort key.
BAD_CURSORS = ["WzVd", "WyJ6enp6Il0", "W251bGxd", "WyJcdTAwMDAiXQ", "WzEsMl0", "%25%25"]
LISTS = {"admin": ["/accounts/", "/accounts/audit", "/households/?village={v}",
                   "/regions/", "/ledger/entries?village={v}", "/notifications"],
         "committee": ["/households/", "/ledger/entries", "/ledger/claims", "/ledger/objections",
                       "/ledger/notice", "/notifications"],
         "household": ["/me", "/ledger/claims/mine", "/ledger/notice", "/notifications"]}


@pytest.mark.parametrize("role", sorted(LISTS))
def test_malformed_cursors_start_again(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    demo.load()
    client.post("/login", data={"username": role, "password": demo.DEMO_PASSWORD})
    village_id = db.session.scalar(sa.select(User.region_id).where(User.username == "committee"))
    failures = []
    for path in LISTS[role]:
        path = path.format(v=village_id)
        for cursor in BAD_CURSORS:
            for name in ("after", "before"):
                url = f"{path}{'&' if '?' in path else '?'}{name}={cursor}"
                status = client.get(url).status_code
                if status != 200:
                    failures.append((url, status))
    assert failures == []


@pytest.mark.parametrize("path", ["/login", "/language"])
def test_cr_lf_in_next_is_an_unsafe_target(app, client, path):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    factories.user("h1", "admin")
    data = {"username": "h1", "password": factories.PASSWORD, "language": "en",
            "next": "/me\r\nSet-Cookie: planted=1"}
    response = client.post(path, data=data)
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "planted" not in response.headers["Location"]
    assert client.get("/login?next=/x%0d%0aSet-Cookie:%20a=b").status_code in (200, 302)
