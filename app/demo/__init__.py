"""The demo of CONTRACT.md: Sanming city with its five named places (places.py) and a year of
points history (ledger.py), meetings and issues (meetings.py), household cards (cards.py). Each feature adds its part as a module here, called from load().
Everything is drawn from a seeded random generator, so two runs give the same city.
"""
import random
from datetime import UTC, datetime

import sqlalchemy as sa

from app.demo import cards, ledger, meetings, notices, places, templates
from app.demo.places import DEMO_PASSWORD, HOME_VILLAGE, OUTSIDER_VILLAGE  # noqa: F401
from app.extensions import db
from app.figures import recount
from app.models import Household, Region, User
from app.models.ledger import EntryKindRow


def database_is_empty() -> bool:
    """True when no region and no account exists yet."""
    return db.session.scalar(sa.select(sa.func.count(Region.id))) == 0 and \
        db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def clear_all() -> None:
    """Delete every row of every table (for `demo-data --force`), children first."""
    with ledger.append_only_lifted():  # the database otherwise refuses to delete ledger entries
        for table in reversed(db.metadata.sorted_tables):
            # alembic_version is not in the metadata; entry kinds are reference rows, kept.
            if table.name != EntryKindRow.__tablename__:
                db.session.execute(table.delete())
    db.session.flush()


def load(extra_villages: int = 0, households_per_village: int = 410, seed: int = 2026) -> dict:
    """Create the demo city, its accounts and history in one transaction; counts to print."""
    rng = random.Random(seed)
    villages = places.build(rng, extra_villages, households_per_village)
    ledger.load_history(rng)
    meetings.load(random.Random(seed + 9), datetime.now(UTC),
                  [v for v in db.session.scalars(sa.select(Region).where(
                      Region.name.in_([name for _c, _t, name, _n in places.PLACES])).order_by(Region.id))])
    templates.load_template()
    carded = cards.load()
    notices.load(HOME_VILLAGE)  # delivered to the demo accounts by the next `flask jobs run`
    recount.rebuild()  # the history above was inserted in bulk, past the services that keep it
    db.session.commit()
    return {"villages": villages,
            "households": db.session.scalar(sa.select(sa.func.count(Household.id))),
            "cards": [f"{h.number} {h.head_name}" for h in carded]}
