"""API calls of night-talk meetings and issues, through the meetings' and issues' services."""
from datetime import datetime
from typing import Optional
from urllib.parse import urlencode

from flask import request
from flask_babel import gettext as _

from app.access import lookup, permissions
from app.api import bp, schemas
from app.api.spec import operation, require_cursor
from app.errors import NotFound
from app.issues import reads as issue_reads, services as issues
from app.issues.jobs import local_today
from app.meetings import codes, reads as meeting_reads, services as meetings
from app.models import Issue
from app.models.base import utcnow
from app.pagination import decode_cursor

NEXT = {"Link": 'The next (older) page, as <URL>; rel="next", when there is one'}


def _meeting_key(cursor: Optional[str]):
    """The (start, id) in a meetings cursor (meetings.reads.newest_first), or None."""
    after = decode_cursor(cursor, 2)
    try:
        return (datetime.fromisoformat(after[0]), int(after[1])) if after else None
    except (TypeError, ValueError):
        return None


@operation(bp, "GET", "/meetings", "The village's meetings", query=schemas.MeetingQuery,
           responses={200: schemas.MeetingsOut}, headers=NEXT)
def meetings_list(actor, query: schemas.MeetingQuery):
    """Newest first; `attended` says (for a household) whether it checked in. Pages of `limit`:
    the Link header names the next one."""
    permissions.require(actor, "api.meetings")
    permissions.require(actor, "meetings.list")
    require_cursor(query.before, _meeting_key(query.before))
    page = meeting_reads.meetings_page(actor, query.status, query.before, query.limit)
    mine = meeting_reads.attended(actor.household_id, [m.id for m in page.items]) \
        if permissions.may(actor, "me.household") else None
    items = [schemas.MeetingOut(id=m.id, format=m.format, topic=m.topic, starts_at=m.starts_at,
                                place=m.place, status=m.status,
                                attended=(m.id in mine) if mine is not None else None)
             for m in page.items]
    headers = {}
    if page.next_cursor:
        args = {**request.args.to_dict(), "before": page.next_cursor}
        link = request.base_url + "?" + urlencode(sorted(args.items()))
        headers["Link"] = f'<{link}>; rel="next"'
    return schemas.MeetingsOut(items), 200, headers


def _token(code: str) -> str:
    """The token inside what a check-in QR carries: the whole URL (…/m/TOKEN) or the token alone."""
    return code.rstrip("/").rsplit("/m/", 1)[-1] if "/m/" in code else code


@operation(bp, "POST", "/check-ins", "Check in to an open meeting", body=schemas.CheckInIn,
           responses={201: schemas.CheckInOut, 200: schemas.CheckInOut}, errors=(409, 422))
def check_in_create(actor, body: schemas.CheckInIn):
    """With the code of the meeting's live QR: 201 the first time, 200 (nothing added) again.
    An expired, tampered or another village's code is 422."""
    permissions.require(actor, "api.check_in")
    meeting_id = codes.read_token(_token(body.code.strip()), utcnow())
    attendance, added = meetings.check_in(actor, meeting_id)
    return schemas.CheckInOut(meeting_id=attendance.meeting_id), 201 if added else 200


def _issue_out(issue: Issue) -> schemas.IssueOut:
    timeline = [schemas.TimelineOut(at=e.created_at, status=e.status, note=e.note)
                for e in issue_reads.events_of(issue.id)]
    return schemas.IssueOut(id=issue.id, status=issue.status, category=issue.category,
                            description=issue.description, responsible=issue.responsible_unit or None,
                            deadline=issue.deadline, overdue_days=issue.overdue_days(local_today(utcnow())),
                            timeline=timeline)


def _readable_issue(actor, issue_id: int) -> Issue:
    """An issue the actor may read in full: its raiser, its village's runners, officials above,
    its responsible person; anything else is not found."""
    issue: Optional[Issue] = lookup.permitted(actor, "issues.read", Issue, issue_id)
    if issue is None:
        raise NotFound(_("This issue does not exist."))
    return issue


@operation(bp, "POST", "/issues", "Raise an issue", body=schemas.IssueIn,
           responses={201: schemas.IssueCreatedOut}, errors=(422,))
def issue_create(actor, body: schemas.IssueIn):
    """A household raises an issue for its village's committee."""
    permissions.require(actor, "issues.own")
    issue = issues.raise_issue(actor, actor.household_id or 0, "issue", body.category, body.description)
    return schemas.IssueCreatedOut(id=issue.id, status=issue.status), 201


@operation(bp, "GET", "/issues/<int:issue_id>", "An issue and its timeline",
           responses={200: schemas.IssueOut})
def issue_get(actor, issue_id: int):
    """Status, who is responsible, the deadline, days overdue and the timeline."""
    return _issue_out(_readable_issue(actor, issue_id)), 200


@operation(bp, "POST", "/issues/<int:issue_id>/confirmation", "Confirm a resolved issue",
           body=schemas.ConfirmationIn, responses={200: schemas.IssueOut}, errors=(409, 422))
def issue_confirm(actor, issue_id: int, body: schemas.ConfirmationIn):
    """The raiser says whether the resolution satisfies; not satisfied (with a reason) reopens it."""
    _readable_issue(actor, issue_id)
    return _issue_out(issues.confirm(actor, issue_id, body.satisfied, body.reason)), 200
