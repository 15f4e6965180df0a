"""Meetings: planning, opening, check-in codes, ticking, closing with attendance points once."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.errors import Conflict, DomainError, NotAllowed
from app.extensions import db
from app.ledger import reads
from app.meetings import codes, services
from app.models import Attendance, LedgerEntry, Meeting, Notification
from tests.meetings_world import make_meeting_world, open_meeting


@pytest.fixture
def w(app):
    return make_meeting_world()


def test_planning_tells_the_villages_households_only(w):
    meeting = services.plan(w.committee, w.home.id, "forum", "垃圾分类", datetime.now(UTC) + timedelta(days=2),
                            "村部", [("李书记", 4)])
    assert meeting.status == "planned" and [h.name for h in meeting.hosts] == ["李书记"]
    events.deliver_pending()
    told = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "meeting.planned")))
    assert told == {w.h1_user.id, w.h2_user.id, w.h3_user.id}


def test_officials_above_plan_and_open_but_others_may_not(w):
    at = datetime.now(UTC) + timedelta(days=1)
    meeting = services.plan(w.county_official, w.home.id, "home_visit", "入户走访", at)
    services.open_meeting(w.city_official, meeting.id)
    with pytest.raises(NotAllowed):
        services.plan(w.other_committee, w.home.id, "group", "越权", at)
    with pytest.raises(NotAllowed):
        services.plan(w.h1_user, w.home.id, "group", "越权", at)
    with pytest.raises(DomainError):
        services.plan(w.committee, w.home.id, "party", "未知形式", at)
    # Closing awards points, which only the village's managers may do.
    with pytest.raises(NotAllowed):
        services.close(w.county_official, meeting.id)


def test_code_expires_within_a_minute_and_names_one_meeting(w):
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    token = codes.make_token(41, now)
    assert codes.read_token(token, now + timedelta(seconds=29)) == 41
    with pytest.raises(DomainError) as expired:
        codes.read_token(token, now + timedelta(seconds=61))
    assert expired.value.code == "check_in_code_expired"
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", "",
                   codes.make_token(41, now).replace(token.split(".")[0], codes.make_token(42, now).split(".")[0])):
        with pytest.raises(DomainError) as bad:
            codes.read_token(forged, now)
        assert bad.value.code == "check_in_code_invalid"


def test_check_in_once_only_while_open_and_only_own_village(w):
    meeting_id = open_meeting(w)
    attendance, added = services.check_in(w.h1_user, meeting_id)
    again, added_again = services.check_in(w.h1_user, meeting_id)
    assert added and not added_again and again.id == attendance.id
    with pytest.raises(DomainError) as other:
        services.check_in(w.far_user, meeting_id)
    assert other.value.code == "check_in_other_village"
    services.close(w.committee, meeting_id)
    with pytest.raises(Conflict):
        services.check_in(w.h2_user, meeting_id)
    with pytest.raises(Conflict):
        services.tick(w.committee, meeting_id, [w.h2.id])
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 1


def test_tick_from_register_refuses_other_villages(w):
    meeting_id = open_meeting(w)
    assert services.tick(w.committee, meeting_id, [w.h2.id, w.h3.id]) == 2
    assert services.tick(w.committee, meeting_id, [w.h2.id]) == 0
    with pytest.raises(DomainError):
        services.tick(w.committee, meeting_id, [w.far.id])
    with pytest.raises(NotAllowed):
        services.tick(w.other_committee, meeting_id, [w.h1.id])


def test_close_awards_every_attendee_once_with_the_meeting_as_reference(w):
    meeting_id = open_meeting(w)
    services.check_in(w.h1_user, meeting_id)
    services.tick(w.committee, meeting_id, [w.h2.id])
    meeting, awarded, left = services.close(w.committee, meeting_id, "修路议题已立项")
    assert (awarded, left, meeting.status) == (2, 0, "closed")
    with pytest.raises(Conflict):
        services.close(w.committee, meeting_id)
    assert services.award_remaining(w.committee, meeting_id) == 0
    entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.ref_type == "meeting")).all()
    assert sorted((e.household_id, e.points, e.ref_id) for e in entries) == \
        sorted([(w.h1.id, 5, meeting_id), (w.h2.id, 5, meeting_id)])
    assert reads.verify() == []


def test_a_members_own_household_is_left_for_another_manager(w):
    w.committee.household_id = w.h3.id
    db.session.commit()
    meeting_id = open_meeting(w)
    services.tick(w.committee, meeting_id, [w.h1.id, w.h3.id])
    _meeting, awarded, left = services.close(w.committee, meeting_id)
    assert (awarded, left) == (1, 1)
    assert services.award_remaining(w.admin, meeting_id) == 1
    assert services.award_remaining(w.admin, meeting_id) == 0
    assert reads.verify() == []


def test_close_without_an_attendance_rule_awards_nothing(w):
    from app.ledger import rules

    rules.retire_rule(w.committee, w.attend_rule.id)
    meeting_id = open_meeting(w)
    services.check_in(w.h1_user, meeting_id)
    assert services.close(w.committee, meeting_id)[1:] == (0, 0)
    assert db.session.get(Meeting, meeting_id).status == "closed"


def test_an_official_who_plans_hosts_with_their_level(w):
    meeting = services.plan(w.county_official, w.home.id, "reception", "接访", datetime.now(UTC))
    assert [(h.user_id, h.level) for h in meeting.hosts] == [(w.county_official.id, 2)]


def test_desk_scan_of_a_payment_code_checks_in_its_household_once_without_spending_it(w):
    from app.shop import codes as pay_codes

    meeting_id = open_meeting(w)
    shown = pay_codes.issue(w.h1_user)
    household, added = services.check_in_scanned(w.committee, meeting_id, shown["secret"])
    assert (household.id, added) == (w.h1.id, True)
    # Typing the 12 digits of the same code finds the same household, and adds nothing.
    household, added = services.check_in_scanned(w.committee, meeting_id, shown["number"])
    assert (household.id, added) == (w.h1.id, False)
    attendance = db.session.scalar(sa.select(Attendance).where(Attendance.meeting_id == meeting_id))
    assert (attendance.household_id, attendance.method, attendance.recorded_by) == \
        (w.h1.id, "card", w.committee.id)
    # Identifying is not paying: the code can still pay at the shop.
    assert pay_codes.household_of(shown["secret"]) == w.h1.id
    from app.figures import recount

    assert recount.verify() == []  # the officials' figures counted this attendance once


def test_desk_scan_refuses_unknown_revoked_other_village_codes_and_closed_meetings(w):
    from app.shop import codes as pay_codes

    meeting_id = open_meeting(w)
    for text in ["", "P1forged", "000000000000", "not a code"]:
        with pytest.raises(pay_codes.CodeInvalid):
            services.check_in_scanned(w.committee, meeting_id, text)
    revoked = pay_codes.issue(w.h2_user)
    pay_codes.revoke_all(w.h2_user)
    with pytest.raises(pay_codes.CodeInvalid):
        services.check_in_scanned(w.committee, meeting_id, revoked["secret"])
    far = pay_codes.issue(w.far_user)
    with pytest.raises(DomainError) as other:
        services.check_in_scanned(w.committee, meeting_id, far["secret"])
    assert other.value.code == "check_in_other_village"
    mine = pay_codes.issue(w.h3_user)
    with pytest.raises(NotAllowed):
        services.check_in_scanned(w.other_committee, meeting_id, mine["secret"])
    services.close(w.committee, meeting_id)
    with pytest.raises(Conflict):
        services.check_in_scanned(w.committee, meeting_id, mine["secret"])
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_an_expired_payment_code_checks_no_one_in(app, w):
    from app.shop import codes as pay_codes

    meeting_id = open_meeting(w)
    app.config["PAY_CODE_SECONDS"] = -5
    expired = pay_codes.issue(w.h1_user)
    with pytest.raises(pay_codes.CodeInvalid):
        services.check_in_scanned(w.committee, meeting_id, expired["secret"])
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_desk_scan_of_a_printed_card_checks_in_without_a_pin_and_refuses_revoked_cards(w):
    from app.shop.cards import services as cards

    meeting_id = open_meeting(w)
    cards.issue_cards(w.committee, w.home.id)
    card = cards.card_of(w.h2.id)
    household, added = services.check_in_scanned(w.committee, meeting_id, cards.secret_of(card))
    assert (household.id, added) == (w.h2.id, True)
    old = cards.secret_of(card)
    cards.reissue(w.committee, w.h3.id)
    revoked = cards.secret_of(cards.card_of(w.h3.id))
    cards.reissue(w.committee, w.h3.id)  # the card just read is now revoked
    with pytest.raises(cards.CardInvalid):
        services.check_in_scanned(w.committee, meeting_id, revoked)
    with pytest.raises(cards.CardInvalid):
        services.check_in_scanned(w.committee, meeting_id, "K1forged")
    assert services.check_in_scanned(w.committee, meeting_id, old)[1] is False
    methods = db.session.scalars(sa.select(Attendance.method).where(Attendance.meeting_id == meeting_id)).all()
    assert methods == ["card"]
