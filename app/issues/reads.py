"""Reading issues for the pages, always through the user's scope (anything else is a 404).

A household sees its own issues in full and its village's public issues without the raiser's
name; a committee its village; an official its subtree; a responsible person what it is assigned
(a responsible unit's account nothing else).
"""
from datetime import date
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.access import lookup, permissions, scope
from app.extensions import db
from app.models import Issue, IssueEvent, IssueSettings, IssueStatus, Meeting, User
from app.models.issue import OPEN_STATUSES
from app.pagination import Page, newest_first

FILTERS = ("registered", "handling", "resolved", "confirmed", "done", "overdue", "supervised")


def _filtered(query: sa.Select, status: Optional[str], today: date) -> sa.Select:
    if status == "overdue":
        return query.where(Issue.status.in_(OPEN_STATUSES), Issue.deadline < today)
    if status == "supervised":
        return query.where(Issue.supervised.is_(True), Issue.status.in_(OPEN_STATUSES))
    if status == "done":
        return query.where(Issue.status.in_((IssueStatus.RESOLVED, IssueStatus.CONFIRMED)))
    if status in FILTERS:
        return query.where(Issue.status == status)
    return query


def _page(query, cursor, size) -> Page:
    return newest_first(query, Issue.created_at, Issue.id, cursor, size)


def _with_villages(query: sa.Select) -> sa.Select:
    """The lists that name each issue's village load the page's villages in one query: an
    official's page of 50 issues from 50 villages loaded them one by one (54 queries)."""
    return query.options(so.selectinload(Issue.village))


def issues_page(user: User, status: Optional[str], today: date, cursor: Optional[str], size: int,
                region_id: Optional[int] = None, villages: bool = False) -> Page:
    """The issues a committee or official may see (optionally under a region), newest first;
    `villages`: with their villages, for a page that names them."""
    query = _filtered(scope.issues_query(user), status, today)
    if region_id is not None:
        query = query.where(Issue.village_id.in_(scope.village_ids_under(user, region_id)))
    return _page(_with_villages(query) if villages else query, cursor, size)


def public_page(user: User, cursor: Optional[str], size: int) -> Page:
    """The village's public issues, for its households."""
    return _page(sa.select(Issue).where(Issue.village_id == (user.village_id or -1),
                                        Issue.public.is_(True)), cursor, size)


def assigned_page(user: User, status: Optional[str], today: date, cursor: Optional[str],
                  size: int) -> Page:
    """The issues the user is responsible for, across villages (with their villages)."""
    return _page(_with_villages(_filtered(sa.select(Issue).where(Issue.responsible_user_id == user.id),
                                          status, today)), cursor, size)


def issue_or_404(user: User, issue_id: int) -> tuple[Issue, bool]:
    """An issue the user may read, and whether in full (False: a public issue, raiser hidden)."""
    issue = lookup.get_or_404(Issue, issue_id)
    if permissions.may(user, "issues.read", issue):
        return issue, True
    return lookup.permitted_or_404(user, "issues.read_public", issue), False


def events_of(issue_id: int) -> list[IssueEvent]:
    """The issue's timeline, oldest first."""
    return list(db.session.scalars(sa.select(IssueEvent).where(IssueEvent.issue_id == issue_id)
                                   .order_by(IssueEvent.id)))


def recent_meetings(village_id: int, limit: int = 20) -> list[Meeting]:
    """The village's latest meetings, to say where an issue came from."""
    return list(db.session.scalars(sa.select(Meeting).where(Meeting.village_id == village_id)
                                   .order_by(Meeting.starts_at.desc()).limit(limit)))


def counts_by_status(issues: list[Issue]) -> dict[str, int]:
    """How many of these issues are in each status."""
    found = {s.value: 0 for s in IssueStatus}
    for issue in issues:
        found[issue.status] += 1
    return found


def confirm_days(village_id: int) -> int:
    """The village's days before silence counts as confirmation."""
    settings = db.session.get(IssueSettings, village_id)
    return settings.confirm_days if settings else IssueSettings.DEFAULT_CONFIRM_DAYS
