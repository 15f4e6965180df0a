"""The migrations build exactly the schema the models describe, on every backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_upgrade_matches_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_household_numbers_unique_per_village(app):
    import pytest
    import sqlalchemy as sa

    from tests import factories

    city, county, township, (a, b) = factories.region_tree()
    factories.household(a, number="0001")
    factories.household(b, number="0001")  # the same number in another village is fine
    with pytest.raises(sa.exc.IntegrityError):
        factories.household(a, number="0001")
    db.session.rollback()
