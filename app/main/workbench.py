"""What waits for a cadre, counted for the workbench: one statement of indexed COUNTs per page.

Each figure is a scalar subquery of one SELECT, so the page costs the same whatever the village
holds (tests/test_queries.py counts them). The unread notifications come from the menu's own count.
"""
from datetime import date
from typing import Optional

import sqlalchemy as sa

from app.access import scope
from app.extensions import db
from app.models import Claim, Household, Issue, IssueStatus, Meeting, Objection, Product, Shop, User
from app.models.issue import OPEN_STATUSES


def _count(query: sa.Select) -> sa.ScalarSelect:
    return (query.with_only_columns(sa.func.count(), maintain_column_froms=True).order_by(None)
            .scalar_subquery())


def _issue_counts(issues: sa.Select, today: date) -> dict[str, sa.ScalarSelect]:
    """New, overdue and supervised issues among `issues` (the same filters as the issues page)."""
    return {
        "new_issues": _count(issues.where(Issue.status == IssueStatus.REGISTERED)),
        "overdue": _count(issues.where(Issue.status.in_(OPEN_STATUSES), Issue.deadline < today)),
        "supervised": _count(issues.where(Issue.supervised.is_(True),
                                          Issue.status.in_(OPEN_STATUSES))),
    }


def _open_meetings(meetings: sa.Select) -> dict[str, sa.ScalarSelect]:
    """How many meetings are open, the first of them, and the next planned one (to open)."""
    open_now = meetings.where(Meeting.status == "open")
    planned = (meetings.where(Meeting.status == "planned").with_only_columns(Meeting.id)
               .order_by(Meeting.starts_at, Meeting.id).limit(1))
    return {"open_meetings": _count(open_now),
            "open_meeting_id": open_now.with_only_columns(
                sa.func.min(Meeting.id), maintain_column_froms=True).scalar_subquery(),
            "next_meeting_id": planned.scalar_subquery()}


def _run(columns: dict[str, sa.ScalarSelect]) -> dict[str, Optional[int]]:
    row = db.session.execute(sa.select(*(c.label(k) for k, c in columns.items()))).one()
    return dict(row._mapping)


def committee_waiting(village_id: int, today: date) -> dict[str, Optional[int]]:
    """A village committee's queues: claims, objections, issues, the open meeting, low stock."""
    in_village = Household.village_id == village_id
    columns = {
        "claims": _count(sa.select(Claim.id).join(Household, Household.id == Claim.household_id)
                         .where(in_village, Claim.status == "pending")),
        "objections": _count(sa.select(Objection.id)
                             .join(Household, Household.id == Objection.household_id)
                             .where(in_village, Objection.status == "open")),
        "low_stock": _count(low_stock_query().where(Shop.village_id == village_id)),
    }
    columns.update(_issue_counts(sa.select(Issue.id).where(Issue.village_id == village_id), today))
    columns.update(_open_meetings(sa.select(Meeting.id).where(Meeting.village_id == village_id)))
    return _run(columns)


def official_waiting(user: User, today: date) -> dict[str, Optional[int]]:
    """An official's view of the villages under it: overdue and supervised issues, open meetings."""
    columns = _issue_counts(scope.issues_query(user).with_only_columns(Issue.id), today)
    columns.update(_open_meetings(scope.meetings_query(user).with_only_columns(Meeting.id)))
    return _run(columns)


def low_stock_query() -> sa.Select:
    """Active products of active shops at or below their warning level."""
    return (sa.select(Product.id).join(Shop, Shop.id == Product.shop_id)
            .where(Shop.active.is_(True), Product.active.is_(True),
                   Product.stock <= Product.low_stock))


def shop_low_stock(shop_id: int) -> list[Product]:
    """A shop's active products at or below their warning level, lowest first."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.shop_id == shop_id, Product.active.is_(True),
                                 Product.stock <= Product.low_stock)
        .order_by(Product.stock, Product.name)))
