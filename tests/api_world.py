"""The demo city seen through the JSON API: tokens for each demo account and the ids tests need."""
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import demo
from app.extensions import db
from app.models import Household, LedgerEntry, Region, Rule, User

ROLES = ["admin", "city", "committee", "shop", "gridleader", "household", "household2", "outsider",
         "unit"]


@dataclass
class World:
    """Tokens by username and the households, entries and rules of the two demo villages."""

    client: object
    tokens: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)

    def headers(self, username, **extra):
        """Authorization (and any extra) headers for a demo account."""
        return {"Authorization": f"Bearer {self.tokens[username]}", **extra}

    def get(self, username, path, **kwargs):
        return self.client.get("/api/v1" + path, headers=self.headers(username), **kwargs)

    def post(self, username, path, json=None, **kwargs):
        return self.client.post("/api/v1" + path, json=json, headers=self.headers(username), **kwargs)


def sign_in(client, username, password=demo.DEMO_PASSWORD):
    """A new bearer token for the account."""
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.json
    return response.json["token"]


def load(app, client) -> World:
    """Load the demo and sign every demo account in through the API."""
    app.config["LOGIN_LIMIT_PER_USERNAME"] = "1000 per minute"
    demo.load()
    world = World(client)
    for username in ROLES:
        world.tokens[username] = sign_in(client, username)
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    home = db.session.scalar(sa.select(Region).where(Region.name == demo.HOME_VILLAGE))
    away = db.session.scalar(sa.select(Region).where(Region.name == demo.OUTSIDER_VILLAGE))
    world.ids = {
        "home": home.id, "away": away.id,
        "household": users["household"].household_id,
        "household2": users["household2"].household_id,
        "outsider": users["outsider"].household_id,
        "committee_own": users["committee"].household_id,
        "home_rule": db.session.scalar(sa.select(Rule.id).where(
            Rule.village_id == home.id, Rule.points > 0, Rule.active,
            sa.or_(Rule.limit_period.is_(None), Rule.limit_period != "event"),
            Rule.limit_count.is_(None)).order_by(Rule.id).limit(1)),
        "away_rule": db.session.scalar(sa.select(Rule.id).where(
            Rule.village_id == away.id, Rule.points > 0).order_by(Rule.id).limit(1)),
        "home_entry": _latest_award(users["household2"].household_id),
        "away_entry": _latest_award(users["outsider"].household_id),
        "grid_household": db.session.scalar(sa.select(Household.id).where(
            Household.grid_id == users["gridleader"].grid_id).order_by(Household.id).limit(1)),
    }
    return world


def _latest_award(household_id):
    """The newest award of a household that has not been reversed."""
    reversal = so.aliased(LedgerEntry)
    return db.session.scalar(sa.select(LedgerEntry.id).where(
        LedgerEntry.household_id == household_id, LedgerEntry.kind == "award",
        ~sa.exists().where(reversal.reverses_id == LedgerEntry.id))
        .order_by(LedgerEntry.id.desc()).limit(1))
