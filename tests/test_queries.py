"""Pages run a bounded number of queries however many rows they show (no N+1)."""
import contextlib

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Role
from tests import factories


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements sent while the block runs."""
    statements = []

    def before(conn, cursor, statement, *args):
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
