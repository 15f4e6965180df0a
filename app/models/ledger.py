"""The points ledger and its rulebook: rules, append-only entries, claims, objections, settings.

Balances and scores on `households` are a cache of the entries' sums, written only by
app/ledger/services.py. The database refuses UPDATE and DELETE on `ledger_entries`.
"""
import enum
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household

class EntryKind(enum.StrEnum):
    """What a ledger entry is. Adding one is a migration that inserts a row into `entry_kinds`."""

    AWARD = "award"
    DEDUCTION = "deduction"
    REDEMPTION = "redemption"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"
    EXPIRY = "expiry"  # the year-end settlement (年度清零): the balance lapses, the score stays


class RefType(enum.StrEnum):
    """What an entry was made for (its `ref_type`, with the id in `ref_id`)."""

    CLAIM = "claim"
    MEETING = "meeting"
    ISSUE = "issue"
    REDEMPTION = "redemption"
    VOUCHER = "voucher"
    SETTLEMENT = "settlement"


KINDS = tuple(EntryKind)
# Kinds that count towards the score (累计积分); spending does not lower it.
SCORING_KINDS = (EntryKind.AWARD, EntryKind.DEDUCTION, EntryKind.ADJUSTMENT)
# Kinds a rule makes, which rule limits, objections and the notice board are about.
RULE_KINDS = (EntryKind.AWARD, EntryKind.DEDUCTION)


class EntryKindRow(db.Model):
    """The known entry kinds, one row each: the database refuses an entry of any other kind
    through a foreign key, and a new kind needs only an INSERT (no table rebuild)."""

    __tablename__ = "entry_kinds"

    name: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
LIMIT_PERIODS = ("day", "month", "year", "event")


class RuleCategory(db.Model):
    """A heading of a village's rulebook (乡风文明, 环境卫生...)."""

    __tablename__ = "rule_categories"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    sort_order: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)

    __table_args__ = (sa.UniqueConstraint("village_id", "name"),)

    def __repr__(self) -> str:
        return f"<RuleCategory {self.id} {self.name}>"


class Rule(db.Model):
    """A line of the rulebook: signed points and an optional limit per period or per event."""

    __tablename__ = "rules"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("rule_categories.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(32))
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    limit_count: so.Mapped[Optional[int]] = so.mapped_column(sa.Integer)
    limit_period: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    # Retired rules stay (past entries point at them) but take no new entries.
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Adopted from a template line; follows it until the committee changes the rule itself.
    template_rule_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("template_rules.id"), index=True)
    customised: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False,
                                                   server_default=sa.false())

    category: so.Mapped[RuleCategory] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("village_id", "code"),
        sa.CheckConstraint("points <> 0", name="points_nonzero"),
        sa.CheckConstraint(
            "limit_period IS NULL OR limit_period IN ('day','month','year','event')",
            name="limit_period_known",
        ),
        sa.CheckConstraint("limit_count IS NULL OR limit_count >= 1", name="limit_count_positive"),
    )

    @property
    def is_deduction(self) -> bool:
        """True for a rule that takes points away (扣分)."""
        return self.points < 0

    def __repr__(self) -> str:
        return f"<Rule {self.id} {self.code} {self.points:+d}>"


class LedgerEntry(db.Model):
    """One append-only change of a household's points; corrections are reversal entries."""

    __tablename__ = "ledger_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"))
    # Denormalised so the village notice board needs no join through households.
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), sa.ForeignKey("entry_kinds.name"))
    rule_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("rules.id"))
    ref_type: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))
    ref_id: so.Mapped[Optional[int]] = so.mapped_column(sa.Integer)
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # Evidence for a deduction: a stored photo's file name (app/ledger/photos.py), never a path.
    photo: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), index=True)
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    # Unique: a replayed request finds its first result instead of adding twice.
    # Byte-wise order on PostgreSQL too, so all keys "K:..." of one request are an index range.
    idempotency_key: so.Mapped[Optional[str]] = so.mapped_column(
        sa.String(128).with_variant(sa.String(128, collation="C"), "postgresql"), unique=True
    )
    # Unique: an entry is reversed at most once, whatever races the service loses.
    reverses_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("ledger_entries.id"), unique=True
    )

    household: so.Mapped[Household] = so.relationship()
    rule: so.Mapped[Optional[Rule]] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("points <> 0", name="points_nonzero"),
        # A household's history pages by (created_at, id) newest first, as deep as it goes
        # (a household of ten years); its limits count a period's entries by created_at.
        sa.Index("ix_ledger_entries_household_id_created_at_id", "household_id", "created_at", "id"),
        sa.Index("ix_ledger_entries_village_id_created_at", "village_id", "created_at"),
        sa.Index("ix_ledger_entries_rule_id_household_id", "rule_id", "household_id"),
    )

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.kind} {self.points:+d} h{self.household_id}>"


class VillageSettings(db.Model):
    """Per-village ledger settings: star thresholds on the score and the objection window."""

    __tablename__ = "village_settings"

    DEFAULT_STARS = (100, 200, 400, 800)
    DEFAULT_OBJECTION_DAYS = 7

    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"), primary_key=True)
    star2: so.Mapped[int] = so.mapped_column(sa.Integer, default=100)
    star3: so.Mapped[int] = so.mapped_column(sa.Integer, default=200)
    star4: so.Mapped[int] = so.mapped_column(sa.Integer, default=400)
    star5: so.Mapped[int] = so.mapped_column(sa.Integer, default=800)
    objection_days: so.Mapped[int] = so.mapped_column(sa.Integer, default=7)
    # The year-end settlement (年度清零), off while NULL: the next date balances lapse, and how
    # many days before it households are warned. After a settlement it moves a year on.
    settlement_on: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    settlement_warn_days: so.Mapped[int] = so.mapped_column(sa.Integer, default=30,
                                                            server_default="30")

    @property
    def thresholds(self) -> tuple[int, int, int, int]:
        """The scores needed for 2, 3, 4 and 5 stars."""
        return (self.star2, self.star3, self.star4, self.star5)

    @classmethod
    def of(cls, village_id: int) -> "VillageSettings":
        """The village's ledger settings, or unsaved defaults when it has none.

        A found row is the session's (no query the second time); a missing one is remembered for
        the rest of the transaction, so a page that asks three times (the stars, the entries'
        objection days, the lapse banner) queries once, and a transaction that saves the
        defaults saves this same object."""
        session = db.session()
        transaction = session.get_transaction()
        remembered = session.info.get(("village_settings", village_id))
        if remembered is not None and transaction is not None and remembered[0] is transaction:
            return remembered[1]
        found = session.get(cls, village_id)
        return found if found is not None else cls._remember_defaults(village_id)

    @classmethod
    def read_along(cls, village_id: int, found: Optional["VillageSettings"]) -> None:
        """What a query that read the village's settings along with another row found (an outer
        join): a row is already the session's; none is remembered as the defaults, so `of`
        needs no query of its own for the rest of the transaction."""
        if found is None:
            cls._remember_defaults(village_id)

    @classmethod
    def _remember_defaults(cls, village_id: int) -> "VillageSettings":
        star2, star3, star4, star5 = cls.DEFAULT_STARS
        defaults = cls(village_id=village_id, star2=star2, star3=star3, star4=star4, star5=star5,
                       objection_days=cls.DEFAULT_OBJECTION_DAYS)
        session = db.session()
        session.info[("village_settings", village_id)] = (session.get_transaction(), defaults)
        return defaults


class Settlement(db.Model):
    """One year-end settlement of a village on a date: claimed once for the warning and once
    for the expiry by conditional UPDATEs of `warned_at` and `done_at` (several job runners
    at once do each once); its expiry entries point at it (ref_type 'settlement')."""

    __tablename__ = "settlements"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    village_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("regions.id"))
    settle_on: so.Mapped[date] = so.mapped_column(sa.Date)
    warned_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    done_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    households: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    points: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")

    __table_args__ = (sa.UniqueConstraint("village_id", "settle_on"),)


class Claim(db.Model):
    """A household's own request for points under a rule (积分申报), decided by the committee."""

    __tablename__ = "claims"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    rule_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("rules.id"))
    description: so.Mapped[str] = so.mapped_column(sa.String(1000))
    photo: so.Mapped[Optional[str]] = so.mapped_column(sa.String(255), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending", index=True)
    submitted_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    decided_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    entry_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("ledger_entries.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    household: so.Mapped[Household] = so.relationship()
    rule: so.Mapped[Rule] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending','approved','rejected')", name="status_known"),
    )


class Objection(db.Model):
    """A household's objection (异议) to an award or deduction on the public notice."""

    __tablename__ = "objections"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(1000))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="open", index=True)
    answer: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    answered_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    answered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    entry: so.Mapped[LedgerEntry] = so.relationship()
    household: so.Mapped[Household] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('open','upheld','reversed')", name="status_known"),
        # At most one open objection per entry, even when two arrive at once.
        sa.Index("uq_objections_open_entry", "entry_id", unique=True,
                 sqlite_where=sa.text("status = 'open'"),
                 postgresql_where=sa.text("status = 'open'")),
    )
