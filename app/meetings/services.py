"""Night-talk meetings: plan, open, check in, close with attendance points. Every write is here.

Closing awards the village's attendance rule (code ATTENDANCE_RULE) to every attendee through
the ledger service, in the closing transaction and with the meeting as the entries' reference.
Status changes are conditional UPDATEs (`WHERE status = 'open'`), so of two closes at once one
wins and the other changes nothing; check-ins take a shared lock on the meeting row, so a
check-in never lands after a close that did not see it. Opening and check-ins also add to the
officials' figures (app/figures/rollup.py) in the same transaction.
"""
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit, events
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, DomainError, InvalidInput, NotFound
from app.extensions import db
from app.figures import rollup
from app.health import metrics
from app.ledger import services as ledger
from app.ledger.policy import split_own
from app.models import (Attendance, CheckInMethod, Household, LedgerEntry, Meeting, MeetingFormat,
                        MeetingHost, MeetingStatus, Region, Rule, User)
from app.models.base import utcnow
from app.shop import codes as pay_codes
from app.shop.cards import services as cards

ATTENDANCE_RULE = "YS01"  # the rulebook line "参加夜谈会" (attended a night-talk meeting)
meetings_table = Meeting.__table__


def attendance_rule(village_id: int) -> Optional[Rule]:
    """The village's active attendance rule, found by its stable code; None when it has none."""
    return db.session.scalar(sa.select(Rule).where(
        Rule.village_id == village_id, Rule.code == ATTENDANCE_RULE, Rule.active.is_(True)))


def _meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_("This meeting does not exist."))
    return meeting


@transaction()
def plan(actor: User, village_id: int, format: str, topic: str, starts_at: datetime,
         place: str = "", hosts: Iterable[tuple[str, int]] = ()) -> Meeting:
    """Plan a meeting of a village; its households are told (through the outbox)."""
    village = db.session.get(Region, village_id)
    if village is None or not village.is_village:
        raise NotFound(_("This village does not exist."))
    permissions.require(actor, "meetings.host", village.id)
    if format not in set(MeetingFormat):
        raise InvalidInput(_("Choose one of the five meeting formats."))
    if not (topic or "").strip():
        raise InvalidInput(_("A meeting needs a topic."))
    meeting = Meeting(village_id=village.id, format=format, topic=topic.strip()[:200],
                      starts_at=starts_at, place=(place or "").strip()[:200],
                      status=MeetingStatus.PLANNED.value, planned_by=actor.id)
    seen = set()
    if permissions.may(actor, "meetings.host_in_person") and actor.region is not None:
        # An official who plans a meeting hosts it, as the person behind the account.
        name = (actor.display_name or actor.username)[:64]
        meeting.hosts.append(MeetingHost(user_id=actor.id, name=name, level=actor.region.level))
        seen.add((name, actor.region.level))
    for name, level in hosts:
        name = (name or "").strip()[:64]
        if name and 1 <= int(level) <= 4 and (name, int(level)) not in seen:
            seen.add((name, int(level)))
            meeting.hosts.append(MeetingHost(name=name, level=int(level)))
    db.session.add(meeting)
    db.session.flush()
    events.emit("meeting.planned", {"meeting_id": meeting.id})
    audit.record("meeting.plan", f"meeting:{meeting.id}", meeting.topic, actor)
    return meeting


def _move(meeting: Meeting, before: str, after: str, **values) -> bool:
    """Change the status only if it is still `before`; True when this call changed it."""
    done = db.session.execute(meetings_table.update().where(
        meetings_table.c.id == meeting.id, meetings_table.c.status == before)
        .values(status=after, **values))
    db.session.refresh(meeting)
    return done.rowcount == 1


@transaction()
def open_meeting(actor: User, meeting_id: int, now: Optional[datetime] = None) -> Meeting:
    """Open a planned meeting for check-in."""
    meeting = _meeting(meeting_id)
    permissions.require(actor, "meetings.host", meeting.village_id)
    if not _move(meeting, MeetingStatus.PLANNED, MeetingStatus.OPEN, opened_at=now or utcnow()):
        raise Conflict(_("Only a planned meeting can be opened."), code="meeting_not_planned")
    audit.record("meeting.open", f"meeting:{meeting.id}", meeting.topic, actor)
    rollup.meeting_held(meeting)  # an opened meeting counts as held in the officials' figures
    return meeting


def _lock_open(meeting_id: int) -> Meeting:
    """The meeting, share-locked against a concurrent close; a Conflict unless it is open."""
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.id == meeting_id)
                                .with_for_update(read=True)
                                .execution_options(populate_existing=True))
    if meeting is None:
        raise NotFound(_("This meeting does not exist."))
    if meeting.status != MeetingStatus.OPEN:
        raise Conflict(_("Check-in is possible only while the meeting is open."),
                       code="meeting_not_open")
    return meeting


def _record(meeting: Meeting, household_id: int, method: str, actor: User) -> tuple[Attendance, bool]:
    """The household's attendance, added unless it exists; (attendance, added)."""
    found = db.session.scalar(sa.select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.household_id == household_id))
    if found is not None:
        return found, False
    attendance = Attendance(meeting_id=meeting.id, household_id=household_id, method=method,
                            recorded_by=actor.id)
    db.session.add(attendance)
    db.session.flush()
    metrics.after_commit(metrics.CHECK_INS)
    return attendance, True


def scannable(actor: User, meeting_id: int) -> Meeting:
    """The meeting a scanned code names, when this household may check in to it now (no write)."""
    meeting = _meeting(meeting_id)
    if not permissions.may(actor, "meetings.check_in", meeting):
        raise DomainError(_("This meeting is for the households of %(village)s; your account "
                            "cannot check in to it.", village=meeting.village.name),
                          code="check_in_other_village")
    if meeting.status != MeetingStatus.OPEN:
        raise Conflict(_("Check-in is possible only while the meeting is open."),
                       code="meeting_not_open")
    return meeting


def _stored_check_in(actor, meeting_id, **_ignored):
    """A concurrent check-in of the same household won the race: its attendance, not added by
    this call (the shape check_in returns; a bare row made the caller's unpacking fail)."""
    found = db.session.scalar(sa.select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.household_id == actor.household_id))
    return (found, False) if found is not None else None


@transaction(replay=_stored_check_in)
def check_in(actor: User, meeting_id: int) -> tuple[Attendance, bool]:
    """A household checks itself in (by the meeting's code): once, only while the meeting is open."""
    meeting = _lock_open(meeting_id)
    scannable(actor, meeting.id)
    attendance, added = _record(meeting, actor.household_id, CheckInMethod.CODE, actor)
    if added:
        rollup.attended(meeting, [attendance.household_id])
    return attendance, added


@transaction()
def tick(actor: User, meeting_id: int, household_ids: Iterable[int],
         method: str = CheckInMethod.REGISTER) -> int:
    """The committee records households as present (register or card); the number newly added."""
    meeting = _lock_open(meeting_id)
    permissions.require(actor, "meetings.host", meeting.village_id)
    ids = sorted({int(h) for h in household_ids})
    if not ids:
        raise InvalidInput(_("Choose at least one household."))
    found = set(db.session.scalars(sa.select(Household.id).where(
        Household.id.in_(ids), Household.village_id == meeting.village_id,
        Household.active.is_(True))))
    if found != set(ids):
        raise InvalidInput(_("Choose households of this village."))
    added = [h for h in ids if _record(meeting, h, method, actor)[1]]
    rollup.attended(meeting, added)
    return len(added)


def _scanned_household(actor: User, text: str) -> int:
    """The household whose printed card or payment code was scanned (or number typed) at the
    desk; CardInvalid or CodeInvalid if none. A card needs no PIN here: nothing is spent."""
    if (text or "").strip().startswith(cards.PREFIX):
        return cards.household_for_card(actor, text.strip()).id
    household_id = pay_codes.household_of(text)
    if household_id is None:
        raise pay_codes.invalid()
    return household_id


@transaction()
def check_in_scanned(actor: User, meeting_id: int, text: str) -> tuple[Household, bool]:
    """The committee scans a household's card or payment code with the shop's scanner (or types
    the code's number): that household is present. (household, newly added); nothing is spent."""
    meeting = _lock_open(meeting_id)
    permissions.require(actor, "meetings.host", meeting.village_id)
    household = db.session.get(Household, _scanned_household(actor, text))
    if household.village_id != meeting.village_id or not household.active:
        raise DomainError(_("This code belongs to a household of another village: it cannot "
                            "check in to this meeting."), code="check_in_other_village")
    added = _record(meeting, household.id, CheckInMethod.CARD, actor)[1]
    if added:
        rollup.attended(meeting, [household.id])
    return household, added


def _awarded(meeting: Meeting, rule: Rule) -> set[int]:
    reversal = sa.orm.aliased(LedgerEntry)
    return set(db.session.scalars(sa.select(LedgerEntry.household_id).where(
        LedgerEntry.ref_type == "meeting", LedgerEntry.ref_id == meeting.id,
        LedgerEntry.rule_id == rule.id, LedgerEntry.kind == "award",
        ~sa.exists().where(reversal.reverses_id == LedgerEntry.id))))


def _award_attendance(actor: User, meeting: Meeting) -> tuple[int, int]:
    """Award the attendance rule to attendees who lack it; (awarded, left for another manager)."""
    rule = attendance_rule(meeting.village_id)
    if rule is None:
        return 0, 0
    attendees = set(db.session.scalars(sa.select(Attendance.household_id).where(
        Attendance.meeting_id == meeting.id)))
    missing = sorted(attendees - _awarded(meeting, rule))
    # The ledger never lets a committee member award their own household.
    missing, own = split_own(actor, missing)
    if missing:
        ledger.award_entries(actor, missing, rule.id, _("Attended: %(topic)s", topic=meeting.topic),
                             ref=("meeting", meeting.id))
    return len(missing), len(own)


@transaction()
def close(actor: User, meeting_id: int, minutes: str = "", now: Optional[datetime] = None,
          photo: Optional[str] = None) -> tuple[Meeting, int, int]:
    """Close an open meeting (minutes, a photo) and award attendance points once; (meeting, awarded, left)."""
    meeting = _meeting(meeting_id)
    permissions.require(actor, "meetings.close", meeting)
    if not _move(meeting, MeetingStatus.OPEN, MeetingStatus.CLOSED, closed_at=now or utcnow(),
                 closed_by=actor.id, minutes=(minutes or "").strip()[:4000], photo=photo):
        raise Conflict(_("This meeting is not open; it may have been closed already."),
                       code="meeting_not_open")
    awarded, left = _award_attendance(actor, meeting)
    audit.record("meeting.close", f"meeting:{meeting.id}", f"{awarded} awarded", actor)
    return meeting, awarded, left


@transaction()
def award_remaining(actor: User, meeting_id: int) -> int:
    """On a closed meeting, award attendees the close had to leave out; the number awarded."""
    meeting = _meeting(meeting_id)
    permissions.require(actor, "meetings.close", meeting)
    # A no-op UPDATE locks the row, so two of these at once award one after the other.
    if not _move(meeting, MeetingStatus.CLOSED, MeetingStatus.CLOSED):
        raise Conflict(_("This meeting is not closed yet."), code="meeting_not_closed")
    return _award_attendance(actor, meeting)[0]
