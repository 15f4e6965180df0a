"""Issues (问题诉求) and suggestions (意见建议): every change of the closed loop is written here.

registered -> handling (a responsible person, deadline and measures) -> resolved (feedback to the
raiser) -> confirmed (satisfied, or silent for the village's number of days), or back to handling
when the raiser is not satisfied. Each change is a timeline entry and an outbox event. Status
changes are conditional UPDATEs, so of two racing requests one wins and the other changes nothing;
the contribution points are awarded in the winner's transaction, with the issue as reference.
Raising, resolving, confirming and reopening also move the officials' figures (rollup.py) in the
same transaction, from the issue's row locked at the start; assigning changes nothing they count.
"""
from datetime import date, datetime
from typing import Optional

from flask_babel import gettext as _

from app import events
from app.access import permissions
from app.access.meetings import responsibles, unit_elsewhere
from app.database import transaction
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.figures import rollup
from app.issues import points
from app.models import (Household, Issue, IssueEvent, IssueKind, IssueSettings, IssueStatus,
                        Meeting, User)
from app.models.base import utcnow

issues_table = Issue.__table__
CATEGORIES = ("roads", "water", "environment", "safety", "welfare", "agriculture", "other")


def _text(value: Optional[str], message: str, limit: int = 1000) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    return value[:limit]


def get(issue_id: int) -> Issue:
    """An issue by id (NotFound when it does not exist)."""
    issue = db.session.get(Issue, issue_id)
    if issue is None:
        raise NotFound(_("This issue does not exist."))
    return issue


def timeline(issue: Issue, action: str, actor: Optional[User], note: str = "") -> IssueEvent:
    """Add a line to the issue's timeline and tell the raiser (and whom else it concerns)."""
    entry = IssueEvent(issue_id=issue.id, action=action, status=issue.status, note=note[:1000],
                       actor_id=actor.id if actor is not None and actor.id else None)
    db.session.add(entry)
    db.session.flush()
    events.emit("issue.changed", {"issue_id": issue.id, "event_id": entry.id, "action": action})
    return entry


def _move(issue: Issue, before: tuple[str, ...], after: str, **values) -> bool:
    """Set the status to `after` only if it is still one of `before`; True when this call did."""
    done = db.session.execute(issues_table.update().where(
        issues_table.c.id == issue.id, issues_table.c.status.in_(before))
        .values(status=after, **values))
    db.session.refresh(issue)
    return done.rowcount == 1


@transaction()
def raise_issue(actor: User, household_id: int, kind: str, category: str, description: str,
                photo: Optional[str] = None, meeting_id: Optional[int] = None) -> Issue:
    """A household raises an issue or suggestion, or the committee records one on its behalf."""
    household = db.session.get(Household, household_id)
    if not permissions.may(actor, "issues.raise", household):
        raise NotFound(_("This household is not in your area."))
    if kind not in set(IssueKind):
        raise InvalidInput(_("Choose an issue or a suggestion."))
    if category not in CATEGORIES:
        raise InvalidInput(_("Choose a category."))
    if meeting_id is not None:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None or meeting.village_id != household.village_id:
            raise InvalidInput(_("Choose a meeting of this village."))
    issue = Issue(village_id=household.village_id, household_id=household.id, raised_by=actor.id,
                  meeting_id=meeting_id, kind=kind, category=category, photo=photo,
                  description=_text(description, _("Describe the issue.")),
                  status=IssueStatus.REGISTERED.value)
    db.session.add(issue)
    db.session.flush()
    timeline(issue, "registered", actor)
    rollup.issue_changed(None, issue.id)
    return issue


@transaction()
def assign(actor: User, issue_id: int, responsible_user_id: Optional[int], responsible_unit: str,
           deadline: date, measures: str) -> Issue:
    """Name the responsible person or unit, the deadline (整改时限) and the measures (整改措施)."""
    issue = get(issue_id)
    permissions.require(actor, "issues.manage", issue)
    unit = (responsible_unit or "").strip()[:64]
    if responsible_user_id is not None:
        person = db.session.get(User, responsible_user_id)
        if person is not None and unit_elsewhere(person, issue.village):
            raise InvalidInput(_("%(unit)s serves another region, not this village. Choose a unit "
                                 "of this village's township, county or city.",
                                 unit=person.display_name or person.username), code="unit_elsewhere")
        if person is None or not person.active or person.id not in {u.id for u in responsibles(issue)}:
            raise InvalidInput(_("Choose a responsible person of this village or above it."))
        unit = unit or person.display_name or person.username
    if not unit:
        raise InvalidInput(_("Name a responsible person or unit."))
    if deadline is None:
        raise InvalidInput(_("Give a deadline."))
    measures = _text(measures, _("Describe the measures."))
    if not _move(issue, (IssueStatus.REGISTERED, IssueStatus.HANDLING), IssueStatus.HANDLING,
                 responsible_user_id=responsible_user_id, responsible_unit=unit,
                 deadline=deadline, measures=measures):
        raise Conflict(_("This issue is already resolved."), code="issue_resolved")
    timeline(issue, "assigned", actor, f"{unit} · {deadline.isoformat()} · {measures}")
    if responsible_user_id is not None:
        events.emit("issue.assigned", {"issue_id": issue.id, "user_id": responsible_user_id})
    return issue


@transaction()
def progress(actor: User, issue_id: int, note: str) -> Issue:
    """A progress note of the responsible person or the committee, for the raiser to read."""
    issue = get(issue_id)
    permissions.require(actor, "issues.handle", issue)
    timeline(issue, "progress", actor, _text(note, _("Write what was done.")))
    return issue


@transaction()
def resolve(actor: User, issue_id: int, feedback: str, now: Optional[datetime] = None) -> Issue:
    """Report the issue resolved, with the feedback (反馈) the raiser reads and confirms."""
    issue = get(issue_id)
    permissions.require(actor, "issues.handle", issue)
    before = rollup.locked(issue.id)
    feedback = _text(feedback, _("Write the feedback for the person who raised it."))
    if not _move(issue, (IssueStatus.HANDLING,), IssueStatus.RESOLVED, resolved_at=now or utcnow()):
        raise Conflict(_("Only an issue being handled can be resolved."), code="issue_not_handling")
    timeline(issue, "resolved", actor, feedback)
    rollup.issue_changed(before, issue.id)
    return issue


@transaction()
def confirm(actor: User, issue_id: int, satisfied: bool, reason: str = "",
            now: Optional[datetime] = None) -> Issue:
    """The raiser confirms (contribution points, once) or is not satisfied (back to handling)."""
    issue = get(issue_id)
    permissions.require(actor, "issues.confirm", issue)
    before = rollup.locked(issue.id)
    if satisfied:
        if not _move(issue, (IssueStatus.RESOLVED,), IssueStatus.CONFIRMED, satisfied=True,
                     confirmed_at=now or utcnow()):
            raise Conflict(_("This issue is not waiting for your answer."), code="issue_not_resolved")
        timeline(issue, "confirmed", actor, (reason or "").strip())
        points.contribution(issue)
        rollup.issue_changed(before, issue.id)
        return issue
    reason = _text(reason, _("Say what is still wrong."))
    if not _move(issue, (IssueStatus.RESOLVED,), IssueStatus.HANDLING, satisfied=False,
                 resolved_at=None):
        raise Conflict(_("This issue is not waiting for your answer."), code="issue_not_resolved")
    timeline(issue, "reopened", actor, reason)
    rollup.issue_changed(before, issue.id)
    return issue


def confirm_silent(issue_id: int, now: datetime) -> bool:
    """A resolved issue left unanswered for the village's days counts as confirmed (a job's step)."""
    issue = get(issue_id)
    before = rollup.locked(issue.id)
    if not _move(issue, (IssueStatus.RESOLVED,), IssueStatus.CONFIRMED, confirmed_at=now):
        return False
    timeline(issue, "auto_confirmed", None)
    points.contribution(issue)
    rollup.issue_changed(before, issue.id)
    return True


@transaction()
def supervise(actor: User, issue_id: int, note: str) -> Issue:
    """An official above the village adds a supervision note (督办); the issue is flagged."""
    issue = get(issue_id)
    permissions.require(actor, "issues.supervise", issue)
    note = _text(note, _("Write the supervision note."))
    db.session.execute(issues_table.update().where(issues_table.c.id == issue.id)
                       .values(supervised=True))
    db.session.refresh(issue)
    timeline(issue, "supervision", actor, note)
    return issue


def mark_overdue(issue_id: int, today: date) -> bool:
    """Flag an open issue past its deadline as supervised, once (a job's step)."""
    done = db.session.execute(issues_table.update().where(
        issues_table.c.id == issue_id, issues_table.c.supervised.is_(False),
        issues_table.c.status.in_((IssueStatus.REGISTERED, IssueStatus.HANDLING)),
        issues_table.c.deadline < today).values(supervised=True))
    if done.rowcount != 1:
        return False
    issue = get(issue_id)
    db.session.refresh(issue)
    timeline(issue, "overdue", None, str(issue.overdue_days(today)))
    events.emit("issue.overdue", {"issue_id": issue.id})
    return True


@transaction()
def publish(actor: User, issue_id: int, public: bool) -> Issue:
    """Show the issue to the whole village (without the raiser's name), or hide it again."""
    issue = get(issue_id)
    permissions.require(actor, "issues.manage", issue)
    if issue.public != bool(public):
        issue.public = bool(public)
        timeline(issue, "published" if public else "unpublished", actor)
    return issue


@transaction()
def adopt(actor: User, issue_id: int, note: str = "") -> Issue:
    """The committee adopts a suggestion; the raiser's household earns the adoption rule, once."""
    issue = get(issue_id)
    permissions.require(actor, "issues.manage", issue)
    if issue.kind != IssueKind.SUGGESTION:
        raise InvalidInput(_("Only a suggestion can be adopted."))
    done = db.session.execute(issues_table.update().where(
        issues_table.c.id == issue.id, issues_table.c.adopted.is_(False)).values(adopted=True))
    if done.rowcount != 1:
        raise Conflict(_("This suggestion has already been adopted."), code="already_adopted")
    db.session.refresh(issue)
    timeline(issue, "adopted", actor, (note or "").strip())
    points.adoption(issue)
    return issue


@transaction()
def set_confirm_days(actor: User, village_id: int, days: int) -> IssueSettings:
    """How many days a resolved issue waits for its raiser's answer before it counts as confirmed."""
    permissions.require(actor, "village.manage", village_id)
    if not isinstance(days, int) or not 1 <= days <= 90:
        raise InvalidInput(_("Choose between 1 and 90 days."))
    settings = db.session.get(IssueSettings, village_id)
    if settings is None:
        settings = IssueSettings(village_id=village_id)
        db.session.add(settings)
    settings.confirm_days = days
    return settings
