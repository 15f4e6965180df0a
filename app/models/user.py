"""Accounts, their roles and scopes, and the shops that shop keepers run."""
import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db, login
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household
from app.models.outbox import Notification
from app.models.region import Grid, Region


class Role(enum.StrEnum):
    """What an account is for; the scope column it needs is in SCOPE_OF."""

    ADMIN = "admin"
    OFFICIAL = "official"
    COMMITTEE = "committee"
    SHOP = "shop"
    GRID_LEADER = "grid_leader"
    HOUSEHOLD = "household"
    # A responsible unit (责任单位, e.g. 县水利局): sees and handles only the issues assigned to it.
    UNIT = "unit"


# The column that names an account's scope, per role (admin has none).
SCOPE_OF = {
    Role.ADMIN: None,
    Role.OFFICIAL: "region_id",
    Role.COMMITTEE: "region_id",
    Role.SHOP: "shop_id",
    Role.GRID_LEADER: "grid_id",
    Role.HOUSEHOLD: "household_id",
    Role.UNIT: "region_id",  # the county, township or city the unit serves
}


class Shop(db.Model):
    """A village points shop (积分超市)."""

    __tablename__ = "shops"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    # Days an order-ahead voucher holds points and stock before it expires (set by the village).
    voucher_days: so.Mapped[int] = so.mapped_column(sa.Integer, default=3, server_default="3")

    village: so.Mapped[Region] = so.relationship()


class ShopVillage(db.Model):
    """A village whose households a shop serves (积分超市 may serve neighbouring villages too).
    Its own village is always one; its committee runs the shop, whichever villages it serves."""

    __tablename__ = "shop_villages"

    shop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shops.id"), primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True,
                                                  index=True)


@sa.event.listens_for(Shop, "after_insert")
def _serves_its_own_village(_mapper, connection, shop: Shop) -> None:
    """A new shop serves its own village, however it was made (service, demo, test factory)."""
    connection.execute(sa.insert(ShopVillage.__table__).values(shop_id=shop.id,
                                                               village_id=shop.village_id))


class User(UserMixin, db.Model):
    """A sign-in account with one role and the one scope that role needs."""

    __tablename__ = "users"
    # Unread notifications counted by load_user with the account (not a column; None: not counted).
    unread_loaded = None  # type: Optional[int]

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    region_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    household_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("households.id"), index=True
    )
    shop_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("shops.id"), index=True)
    grid_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("grids.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    language: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # Part of every session and remember-me cookie (see get_id): raising it ends them all.
    session_version: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    # Set when someone else chose the password (a reset, or a one-time password on a bulk sign-in
    # slip): the owner must pick their own at next sign-in.
    must_change_password: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False,
                                                             server_default=sa.false())

    region: so.Mapped[Optional[Region]] = so.relationship()
    household: so.Mapped[Optional[Household]] = so.relationship()
    shop: so.Mapped[Optional[Shop]] = so.relationship()
    grid: so.Mapped[Optional[Grid]] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin','official','committee','shop','grid_leader','household','unit')",
            name="role_known",
        ),
    )

    def set_password(self, password: str) -> None:
        """Hash and store a new password with the configured (strong) method."""
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        """True when `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember cookie: account and version."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of this account (caller commits)."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts.
        return self.active

    @property
    def village_id(self) -> Optional[int]:
        """The village an account belongs to, whatever its role (None for admin and officials)."""
        if self.role == Role.COMMITTEE:
            return self.region_id
        if self.role == Role.HOUSEHOLD and self.household:
            return self.household.village_id
        if self.role == Role.SHOP and self.shop:
            return self.shop.village_id
        if self.role == Role.GRID_LEADER and self.grid:
            return self.grid.village_id
        return None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


@login.user_loader
def load_user(user_id: str) -> Optional[User]:
    """Flask-Login's loader: the account behind a session or remember cookie, if it still exists
    and the session's version is the account's current one (logout, password and role changes
    raise it, so copied cookies stop working)."""
    try:
        account, given = str(user_id).split(":")
        version = int(given)
        # The menu's unread count comes in the same query: every signed-in page shows it.
        found = db.session.execute(_LOAD, {"user_id": int(account)}).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if found is None or version != found[0].session_version:
        return None
    user, user.unread_loaded = found
    return user


# How many notifications an account has not read: an index range of ix_notifications_user_id_read_at.
_UNREAD = (sa.select(sa.func.count(Notification.id))
           .where(Notification.user_id == User.id, Notification.read_at.is_(None))
           .correlate(User).scalar_subquery())
# Built once: every request of a signed-in page runs it (SQLAlchemy keeps its compiled form and
# cache key on the statement object; building it per request cost more than running it).
_LOAD = sa.select(User, _UNREAD).where(User.id == sa.bindparam("user_id"))
