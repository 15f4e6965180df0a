"""Ledger pages run the same number of queries for a short and a long page (no N+1)."""
import pytest

from app.extensions import db
from app.ledger import claims, reads, services
from tests.test_ledger_views_household import w  # noqa: F401 (the fixture: the world and auth)
from tests.test_queries import count_queries


def _add_entries(w, n: int) -> None:  # noqa: F811
    """n awards to h1 by two actors; one reversed, one objected to."""
    for i in range(n):
        services.award(w.committee if i % 2 else w.admin, [w.h1.id], w.good.id, f"第{i}次")
    entries = reads.history(w.h1.id, limit=n)[0]
    services.reverse(w.committee, entries[-1].id, "记错了")
    claims.object_to(w.h1_user, entries[1].id, "我没有做这件事")
    db.session.expire_all()


def _count(client, path: str) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path, user", [("/ledger/entries", "committee"), ("/me", "h1"),
                                        ("/ledger/me/history", "h1"), ("/ledger/notice", "h1")])
def test_ledger_pages_do_not_grow_with_their_rows(client, w, path, user):  # noqa: F811
    w.auth.login(user)
    _add_entries(w, 3)
    few = _count(client, path)
    _add_entries(w, 12)
    assert _count(client, path) == few, f"N+1 on {path}"
    # 12 for /me: its settlement banner reads village_settings by primary key when the village has
    # no row (a row that exists is already in the session from the star thresholds); the
    # household comes with its village and grid.
    assert few <= 12
