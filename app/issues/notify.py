"""What issues tell people through the outbox: the raiser on every change, the responsible
person on assignment and when overdue (with the village's committee)."""
import sqlalchemy as sa
from flask_babel import gettext as _

from app import events
from app.extensions import db
from app.ledger.notify import household_accounts
from app.models import Issue, IssueEvent, OutboxEvent, Role, User


def _params(issue: Issue, **extra) -> dict:
    return {"issue_id": issue.id, "text": issue.description[:40], **extra}


@events.handler("issue.changed")
def _changed(payload: dict, event: OutboxEvent) -> None:
    issue = db.session.get(Issue, payload["issue_id"])
    entry = db.session.get(IssueEvent, payload.get("event_id") or 0)
    if issue is None or entry is None or entry.action == "registered":
        return
    params = _params(issue, action=entry.action, note=entry.note[:100])
    for user_id in household_accounts(issue.household_id):
        if user_id != entry.actor_id:
            events.notify(user_id, "issue.changed", params, "issues.mine", event)


@events.handler("issue.assigned")
def _assigned(payload: dict, event: OutboxEvent) -> None:
    issue = db.session.get(Issue, payload["issue_id"])
    if issue is not None and issue.deadline is not None:
        events.notify(payload["user_id"], "issue.assigned",
                      _params(issue, deadline=issue.deadline.isoformat()), "issues.assigned", event)


@events.handler("issue.overdue")
def _overdue(payload: dict, event: OutboxEvent) -> None:
    issue = db.session.get(Issue, payload["issue_id"])
    if issue is None:
        return
    readers = set(db.session.scalars(sa.select(User.id).where(
        User.role == Role.COMMITTEE, User.region_id == issue.village_id, User.active.is_(True))))
    if issue.responsible_user_id:
        readers.add(issue.responsible_user_id)
    for user_id in sorted(readers):
        events.notify(user_id, "issue.overdue", _params(issue, deadline=issue.deadline.isoformat()),
                      "issues.assigned" if user_id == issue.responsible_user_id else "issues.index",
                      event)


def action_name(action: str) -> str:
    """A timeline action in the reader's language."""
    return {
        "registered": _("registered (立项)"), "assigned": _("assigned, being handled"),
        "progress": _("progress reported"), "resolved": _("resolved, feedback given"),
        "confirmed": _("confirmed as satisfied"), "auto_confirmed": _("confirmed (no answer in time)"),
        "reopened": _("not satisfied, handled again"), "supervision": _("supervision note (督办)"),
        "overdue": _("overdue, under supervision"), "published": _("made public to the village"),
        "unpublished": _("no longer public"), "adopted": _("suggestion adopted"),
    }.get(action, action)


@events.notification_text("issue.changed")
def _changed_text(params: dict) -> str:
    return _("Your issue “%(text)s”: %(action)s. %(note)s", text=params["text"],
             action=action_name(params["action"]), note=params["note"])


@events.notification_text("issue.assigned")
def _assigned_text(params: dict) -> str:
    return _("You are responsible for the issue “%(text)s”, due %(deadline)s.", **params)


@events.notification_text("issue.overdue")
def _overdue_text(params: dict) -> str:
    return _("The issue “%(text)s” is past its deadline of %(deadline)s and is now supervised.",
             **params)
