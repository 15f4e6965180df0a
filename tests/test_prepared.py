"""fast.Prepared sends the counter's statements straight to the driver: what it writes and
reads must be exactly what SQLAlchemy's own execution would, on both databases."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.database import transaction
from app.extensions import db
from app.fast import Prepared, as_loaded
from app.models import LedgerEntry, Role, Shop, User
from app.models.shop import Product
from tests import factories

products = Product.__table__
entries = LedgerEntry.__table__


def test_an_insert_gets_the_columns_defaults_and_reads_back_as_the_orm_wrote_it(app):
    """Columns left out get their Python defaults (a scalar, a callable), the RETURNING id comes
    back, and the ORM reads the row (an aware UTC time, a boolean) like one it inserted itself."""
    shop = factories.shop(factories.village())
    insert = Prepared(products.insert().returning(products.c.id))
    before = datetime.now(UTC)
    with transaction():
        made = insert.run({"shop_id": shop.id, "name": "酱油", "points": 12}).scalar_one()
        by_orm = Product(shop_id=shop.id, name="醋", points=8)
        db.session.add(by_orm)
    db.session.expire_all()
    mine, theirs = db.session.get(Product, made), db.session.get(Product, by_orm.id)
    for product in (mine, theirs):
        assert (product.category, product.unit, product.stock, product.low_stock, product.active) \
            == ("", "", 0, 5, True)
        assert product.created_at.tzinfo is not None
        assert before - timedelta(seconds=1) <= product.created_at <= datetime.now(UTC)
    # Stored in the same form, so ordering and comparing by time in SQL stay right.
    raw = db.session.execute(sa.text("SELECT created_at FROM products ORDER BY id")).scalars().all()
    assert type(raw[0]) is type(raw[1]) and len(str(raw[0])) == len(str(raw[1]))


def test_rows_are_read_by_name_with_the_types_processors(app):
    """A SELECT's rows answer by column name; a boolean is a bool and a time is aware on both
    databases (SQLite hands back 1 and a naive string); literals in the statement are sent."""
    shop = factories.shop(factories.village())
    db.session.add_all([Product(shop_id=shop.id, name="盐", points=3, active=False),
                                  Product(shop_id=shop.id, name="糖", points=5)])
    db.session.commit()
    select = Prepared(sa.select(products.c.name, products.c.active, products.c.created_at)
                      .where(products.c.shop_id == sa.bindparam("shop"), products.c.points > 4))
    with transaction():
        rows = list(select.run({"shop": shop.id}))
    assert [(row.name, row.active) for row in rows] == [("糖", True)]
    assert rows[0].active is True and rows[0].created_at.tzinfo is not None
    with transaction():
        assert select.run({"shop": -1}).first() is None
        assert select.run({"shop": -1}).scalar() is None


def test_a_list_of_parameters_runs_once_for_each(app):
    shop = factories.shop(factories.village())
    insert = Prepared(products.insert())
    with transaction():
        insert.run([{"shop_id": shop.id, "name": f"货{i}", "points": i + 1} for i in range(5)])
        insert.run([])  # an empty list runs nothing (and does not fail)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(products)) == 5


def test_a_unique_key_violation_is_sqlalchemys_integrity_error_and_nothing_stays(app):
    """transaction()'s replay of an idempotent request relies on seeing an IntegrityError."""
    village = factories.village()
    household = factories.household(village)
    insert = Prepared(entries.insert().returning(entries.c.id))
    entry = {"household_id": household.id, "village_id": village.id, "points": 5,
             "kind": "adjustment", "idempotency_key": "same"}
    with transaction():
        insert.run(entry)
    with pytest.raises(sa.exc.IntegrityError):
        with transaction():
            insert.run({**entry, "idempotency_key": "other"})
            insert.run(entry)
    # The whole failed transaction is gone; the session goes on working.
    assert db.session.scalars(sa.select(LedgerEntry.idempotency_key)).all() == ["same"]


def test_it_runs_in_the_sessions_transaction(app):
    """A Prepared write is rolled back with the rest of the unit of work it joined."""
    shop = factories.shop(factories.village())
    insert = Prepared(products.insert())
    with pytest.raises(RuntimeError):
        with transaction():
            insert.run({"shop_id": shop.id, "name": "面", "points": 2})
            raise RuntimeError("the sale failed later")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(products)) == 0
    with pytest.raises(sa.exc.NoResultFound):
        with transaction():
            Prepared(sa.select(products.c.id)).run().one()


def _account_row(username):
    users = User.__table__
    with transaction():
        row = Prepared(sa.select(users).where(users.c.username == sa.bindparam("name"))).run(
            {"name": username}).one()
    db.session.remove()  # a new request: nothing loaded yet
    return {sa.inspect(User).get_property_by_column(column).key: value
            for column, value in zip(users.c, row)}


def test_an_instance_made_from_a_row_is_persistent_with_nothing_to_write(app):
    """as_loaded() gives what a query would: in the session, no change to flush, relationships
    given or loaded lazily, and a change to it written like any loaded object's."""
    village = factories.village()
    shop_id, village_id = factories.shop(village).id, village.id
    factories.user("keeper", Role.SHOP, shop_id=shop_id, region_id=village_id)
    values = _account_row("keeper")
    with transaction():
        shop = db.session.get(Shop, shop_id)
        user = as_loaded(User, values, shop=shop)
        assert user in db.session and not db.session.dirty and not db.session.new
        assert sa.inspect(user).persistent and user.shop is shop
        assert user.region.id == village_id  # not in the row: loaded when asked for
        assert user.check_password(factories.PASSWORD)
        user.display_name = "小卖部"
    db.session.remove()
    assert db.session.get(User, values["id"]).display_name == "小卖部"


def test_the_sessions_own_instance_is_the_one_answered(app):
    """An account the session already holds is not made twice (the session would refuse it)."""
    factories.user("official", Role.OFFICIAL)
    values = _account_row("official")
    with transaction():
        held = db.session.get(User, values["id"])
        assert as_loaded(User, {**values, "display_name": "stale"}) is held
        assert held.display_name != "stale"
