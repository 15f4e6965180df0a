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
    assert few <= 8  # /me is 6 (tests/test_page_budgets.py holds each page to its count)


def test_a_history_page_deep_in_a_long_history_is_an_index_range(app, w):  # noqa: F811
    """A history page after a key reads the (household_id, created_at, id) index backwards from
    the key: no sort of all the household's entries (1,000 pages deep in a city's bench that was
    461 ms on PostgreSQL, 0.2 ms as a range). Asked of each database's planner, with sorting and
    whole-table scans made as costly as PostgreSQL allows."""
    from datetime import UTC, datetime

    statement = reads._HISTORY[True, True]
    params = {"household_id": w.h1.id, "at": datetime(2026, 1, 1, tzinfo=UTC), "last_id": 99,
              "limit": 21}
    compiled = statement.compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        sql = compiled.string
        values = [compiled.construct_params(params)[name] for name in compiled.positiontup]
        values = [compiled.binds[name].type.bind_processor(db.engine.dialect)(v)
                  if compiled.binds[name].type.bind_processor(db.engine.dialect) else v
                  for name, v in zip(compiled.positiontup, values)]
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {sql}", tuple(values)))
        # The key bounds the index search itself (not a filter on every entry of the household).
        assert "USING INDEX ix_ledger_entries_household_id_created_at_id (household_id=? AND " \
            "created_at<" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index gives the order
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(
            "EXPLAIN " + compiled.string, compiled.construct_params(params)))
        assert "Index Scan Backward using ix_ledger_entries_household_id_created_at_id" in plan, plan
        condition = plan.split("Index Cond:", 1)[1].splitlines()[0]
        assert "created_at" in condition, plan  # the key bounds the scan, not a Filter
        assert "Sort" not in plan, plan
