"""The issues' periodic jobs: flag overdue issues as supervised, and confirm long-silent resolutions.

Each step is its own transaction with a conditional UPDATE, so two runners at once (or a runner
and a raiser confirming) do every step exactly once.
"""
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.database import transaction
from app.dates import local_today
from app.extensions import db
from app.issues import services
from app.jobs import job
from app.models import Issue, IssueSettings, IssueStatus


@job("issues-overdue", every=timedelta(hours=1))
def flag_overdue(now: datetime) -> str:
    """Mark every open issue past its deadline as supervised (督办) and tell its responsible person."""
    today = local_today(now)
    ids = list(db.session.scalars(sa.select(Issue.id).where(
        Issue.status.in_((IssueStatus.REGISTERED, IssueStatus.HANDLING)),
        Issue.deadline < today, Issue.supervised.is_(False)).order_by(Issue.id)))
    db.session.rollback()
    flagged = 0
    for issue_id in ids:
        with transaction():
            flagged += services.mark_overdue(issue_id, today)
    return f"{flagged} issue(s) newly overdue"


@job("issues-auto-confirm", every=timedelta(hours=1))
def confirm_silent(now: datetime) -> str:
    """Confirm resolved issues the raiser left unanswered for the village's number of days."""
    days = sa.func.coalesce(IssueSettings.confirm_days, IssueSettings.DEFAULT_CONFIRM_DAYS)
    candidates = db.session.execute(
        sa.select(Issue.id, Issue.resolved_at, days)
        .outerjoin(IssueSettings, IssueSettings.village_id == Issue.village_id)
        .where(Issue.status == IssueStatus.RESOLVED, Issue.resolved_at < now - timedelta(days=1))
        .order_by(Issue.id)).all()
    db.session.rollback()
    confirmed = 0
    for issue_id, resolved_at, wait in candidates:
        if resolved_at + timedelta(days=wait) <= now:
            with transaction():
                confirmed += services.confirm_silent(issue_id, now)
    return f"{confirmed} issue(s) confirmed after silence"

