"""Accounts in bulk with one-time passwords, for printed sign-in slips.

For a county or township: every village's committee account, or an official account for the
region and each township under it; for a village: every household's account. Only places and
households that have no such account yet get one, so running it twice adds nothing. Passwords
are shown once, on the slips, and never stored in clear; each must be changed at first sign-in.
"""
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import InvalidInput
from app.extensions import db
from app.models import Household, Region, RegionLevel, Role, User
from app.models.region import subtree_clause

# No 0/o, 1/l/i: read off paper and typed on a phone. 10 characters are about 49 random bits.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 10
# A random one-time password is not guessable, and it is replaced (with the full scrypt hash) at
# first sign-in, so a lighter hash lets a county's accounts be made in one request.
ONE_TIME_HASH = "pbkdf2:sha256:60000"
KINDS = ("committees", "officials", "households")


@dataclass
class Slip:
    """What one printed slip shows: who it is for, the username and the one-time password."""

    place: str
    display_name: str
    username: str
    password: str
    role: str


def one_time_password() -> str:
    """A fresh random password made of unambiguous characters."""
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


def create(actor: User, kind: str, region: Region) -> list[Slip]:
    """Create the missing accounts of `kind` for `region`, in one transaction; returns the slips."""
    if kind not in KINDS:
        raise InvalidInput(_("Choose which accounts to create."))
    if kind == "households":
        if not region.is_village:
            raise InvalidInput(_("Households' accounts are made one village at a time."))
        permissions.require(actor, "village.manage", region.id)
    else:
        permissions.require(actor, "regions.add_under", region)
    with transaction(conflict=_("Some of these usernames were taken meanwhile. Nothing was "
                                "created; try again.")):
        wanted = {"committees": _committees, "officials": _officials,
                  "households": _households}[kind](region)
        return make(actor, wanted)


def _committees(region: Region) -> list[tuple]:
    has = sa.select(User.region_id).where(User.role == Role.COMMITTEE)
    villages = db.session.scalars(sa.select(Region).where(
        subtree_clause(Region.path, region.path), Region.level == RegionLevel.VILLAGE,
        Region.active.is_(True), Region.id.not_in(has)).order_by(Region.path))
    return [(v.name, v.name, f"c{v.id}", Role.COMMITTEE, {"region_id": v.id}) for v in villages]


def _officials(region: Region) -> list[tuple]:
    has = sa.select(User.region_id).where(User.role == Role.OFFICIAL)
    places = db.session.scalars(sa.select(Region).where(
        subtree_clause(Region.path, region.path), Region.level < RegionLevel.VILLAGE,
        Region.active.is_(True), Region.id.not_in(has)).order_by(Region.path))
    return [(r.name, r.name, f"o{r.id}", Role.OFFICIAL, {"region_id": r.id}) for r in places]


def _households(village: Region) -> list[tuple]:
    has = sa.select(User.household_id).where(User.role == Role.HOUSEHOLD,
                                             User.household_id.is_not(None))
    households = db.session.scalars(sa.select(Household).where(
        Household.village_id == village.id, Household.active.is_(True),
        Household.id.not_in(has)).order_by(Household.number))
    return [(village.name, f"{h.number} {h.head_name}", f"h{village.id}-{h.number}".lower(),
             Role.HOUSEHOLD, {"household_id": h.id}) for h in households]


def make(actor: User, wanted: list[tuple]) -> list[Slip]:
    """Accounts with one-time passwords for (place, display name, username, role, scope) rows,
    in the caller's transaction; a taken username gets the next free suffix."""
    taken = set(db.session.scalars(sa.select(User.username).where(
        User.username.in_([w[2] for w in wanted])))) if wanted else set()
    slips = []
    for place, display_name, username, role, scope in wanted:
        base, n = username, 2
        while username in taken:  # someone chose this name by hand: take the next free one
            username, n = f"{base}-{n}", n + 1
        taken.add(username)
        password = one_time_password()
        db.session.add(User(username=username, role=role.value, display_name=display_name[:64],
                            must_change_password=True, active=True,
                            password_hash=generate_password_hash(password, method=ONE_TIME_HASH),
                            **scope))
        audit.record("account_created", target=username,
                     detail=f"role={role.value} {scope} one-time password", actor=actor)
        slips.append(Slip(place, display_name, username, password, role.value))
    return slips
