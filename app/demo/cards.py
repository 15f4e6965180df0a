"""Demo household cards: three 罗翠村 households without a phone account pay with a printed card.

They all have the PIN DEMO_PIN (a real village's PINs are random, shown once on PIN slips). The
committee can print their cards under 户卡 (/shop/cards).
"""
import sqlalchemy as sa

from app.demo.places import HOME_VILLAGE
from app.extensions import db
from app.models import Household, Region, Role, User
from app.shop.cards import services as cards

DEMO_PIN = "135790"
COUNT = 3


def load() -> list[Household]:
    """Give the first few 罗翠村 households with points and no account a card with DEMO_PIN."""
    village = db.session.scalar(sa.select(Region).where(Region.name == HOME_VILLAGE))
    committee = db.session.scalar(sa.select(User).where(User.username == "committee"))
    with_account = sa.select(User.household_id).where(User.role == Role.HOUSEHOLD.value,
                                                      User.household_id.is_not(None))
    households = list(db.session.scalars(sa.select(Household).where(
        Household.village_id == village.id, Household.active.is_(True), Household.balance >= 100,
        Household.id.not_in(with_account)).order_by(Household.number).limit(COUNT)))
    for household in households:
        cards.new_card(household, DEMO_PIN, committee)
    db.session.flush()
    return households
