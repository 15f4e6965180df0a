"""Pages run a bounded number of queries however many rows they show (no N+1)."""
import contextlib

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from tests import factories


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements sent while the block runs: the queries, not the transactions'
    BEGIN (SQLite's is sent through SQLAlchemy, so the engine sees it; PostgreSQL's driver sends
    its own unseen)."""
    statements = []

    def before(conn, cursor, statement, *args):
        if not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def _queries_for(client, path):
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


@pytest.mark.parametrize("rows", [3, 30])
def test_register_queries_do_not_grow(app, client, auth, rows):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    grids = [factories.grid(village) for _ in range(3)]
    for i in range(rows):
        factories.household(village, grid_obj=grids[i % 3])
    factories.user("com", Role.COMMITTEE, region_id=village.id)
    auth.login("com")
    assert _queries_for(client, "/households/") <= 8, "N+1 on the register"


def test_overview_queries_do_not_grow(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    city, county, township, villages = factories.region_tree(villages=[f"村{i}" for i in range(20)])
    for v in villages:
        factories.household(v)
    factories.user("off", Role.OFFICIAL, region_id=city.id)
    auth.login("off")
    assert _queries_for(client, "/regions/") <= 10


@pytest.mark.parametrize("rows", [2, 20])
def test_workbench_counts_in_one_statement_however_much_waits(app, client, auth, rows):
    """The committee's workbench: every count is one indexed COUNT of a single statement, so
    twenty claims, issues and low products cost what two do."""
    from datetime import date, timedelta

    from app.ledger import claims, rules
    from app.models import Issue, Product

    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    committee = factories.user("com", Role.COMMITTEE, region_id=village.id)
    category = rules.create_category(committee, village.id, "乡风文明")
    rule = rules.create_rule(committee, village.id, category.id, "A01", "好人好事", 10)
    shop = factories.shop(village)
    for i in range(rows):
        household = factories.household(village)
        owner = factories.user(f"h{i}", Role.HOUSEHOLD, household_id=household.id)
        claims.submit_claim(owner, household.id, rule.id, "扫雪")
        db.session.add_all([
            Issue(village_id=village.id, household_id=household.id, category="道路",
                  description="路灯", status="handling", deadline=date.today() - timedelta(days=3)),
            Product(shop_id=shop.id, name=f"商品{i}", points=5, stock=0)])
    db.session.commit()
    auth.login("com")
    page = client.get("/workbench").get_data(as_text=True)
    import re

    shown = dict(re.findall(r'id="waiting-([a-z-]+)">\s*<span>[^<]*</span>\s*<span[^>]*>(\d+)<', page))
    assert (shown["claims"], shown["overdue"], shown["low-stock"]) == (str(rows),) * 3
    # the counts (one statement) and the menu's unread count; 2 today, one spare for the session
    assert _queries_for(client, "/workbench") <= 3


@pytest.mark.parametrize("path", ["/issues", "/issues?status=overdue", "/meetings", "/issues/assigned"])
def test_officials_lists_cost_the_same_for_2_villages_or_20(app, client, auth, path):
    """An official's issue and meeting lists name each row's village: a page of rows from 20
    villages costs what one from 2 does (on the city each row was one more query, 54 a page)."""
    from datetime import date, datetime, timedelta, timezone

    from app.models import Issue, Meeting

    app.config["WTF_CSRF_ENABLED"] = False
    city, _county, township, villages = factories.region_tree(villages=["村0", "村1"])
    official = factories.user("off", Role.OFFICIAL, region_id=city.id).id
    township = township.id
    auth.login("off")

    def add_rows(places):
        at = datetime(2026, 11, 1, tzinfo=timezone.utc)
        for v in places:
            household = factories.household(v)
            db.session.add_all([
                Issue(village_id=v.id, household_id=household.id, category="道路", description="路灯", status="handling",
                      deadline=date.today() - timedelta(days=3), responsible_user_id=official),
                Meeting(village_id=v.id, format="group", topic="夜谈", starts_at=at, status="closed")])
        db.session.commit()

    def cold_count():
        client.get(path)  # once warm, then counted with nothing remembered from the set-up
        db.session.remove()
        return _queries_for(client, path)

    add_rows(villages)
    few = cold_count()
    from app.models import Region

    add_rows([factories.village(f"新村{i}", db.session.get(Region, township)) for i in range(18)])
    page = client.get(path).get_data(as_text=True)
    assert "新村17" in page and "村0" in page
    assert cold_count() == few


@pytest.mark.parametrize("path, index", [("/meetings", "ix_meetings_starts_at_id"),
                                         ("/issues", "ix_issues_created_at_id")])
def test_a_citys_lists_can_walk_an_index_newest_first(app, client, auth, backend, path, index):
    """An official's whole-city list of meetings or issues can read its page off a (time, id)
    index backwards and stop, with no sort of every row under the city (10-31 ms on a bench
    city's PostgreSQL, 0.5-1 ms so). Asked of PostgreSQL's planner with sorting made as costly
    as it allows, for the statement the page sends."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner (SQLite's lists were fast without)")
    app.config["WTF_CSRF_ENABLED"] = False
    city, _county, _township, _villages = factories.region_tree()
    factories.user("off", Role.OFFICIAL, region_id=city.id)
    auth.login("off")
    sent = []

    def keep(conn, cursor, statement, parameters, *args):
        if statement.lstrip().startswith("SELECT") and ("FROM meetings" in statement
                                                        or "FROM issues" in statement):
            sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    statement, parameters = sent[0]
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_sort = off")
    plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert f"Index Scan Backward using {index}" in plan, plan
    assert "Sort" not in plan, plan
