"""Events for the demo accounts to read once `flask jobs run` has delivered the outbox.

The demo inserts its meetings and issues in bulk, past the services that emit events, so after
loading it the outbox is empty; and the events the jobs emit later (issues overdue, confirmed
after silence) mostly concern households and villages without accounts. Every account's
notification list stayed empty however many events were delivered. Here the home village's
planned meeting, its assignments and the changes to the demo households' own issues are emitted
as the services would have; the next `flask jobs run` delivers them.
"""
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import Issue, IssueEvent, Meeting, Region, Role, User
from app.models.base import utcnow


def load(home_village: str) -> int:
    """Emit the home village's events for its accounts; how many."""
    home = db.session.scalar(sa.select(Region.id).where(Region.name == home_village))
    if home is None:
        return 0
    emitted = []
    planned = db.session.scalars(sa.select(Meeting.id).where(
        Meeting.village_id == home, Meeting.status == "planned", Meeting.starts_at > utcnow())
        .order_by(Meeting.id))
    emitted += [events.emit("meeting.planned", {"meeting_id": m}) for m in planned]
    with_accounts = set(db.session.scalars(sa.select(User.household_id).where(
        User.role == Role.HOUSEHOLD, User.household_id.is_not(None))))
    for issue in db.session.scalars(sa.select(Issue).where(Issue.village_id == home).order_by(Issue.id)):
        if issue.status == "handling" and issue.responsible_user_id and issue.deadline:
            emitted.append(events.emit("issue.assigned", {"issue_id": issue.id,
                                                          "user_id": issue.responsible_user_id}))
        if issue.household_id in with_accounts:
            last = db.session.scalar(sa.select(IssueEvent).where(IssueEvent.issue_id == issue.id)
                                     .order_by(IssueEvent.created_at.desc(), IssueEvent.id.desc())
                                     .limit(1))
            if last is not None and last.action != "registered":
                emitted.append(events.emit("issue.changed", {"issue_id": issue.id, "event_id": last.id,
                                                             "action": last.action}))
    return len(emitted)
