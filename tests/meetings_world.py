"""A small world for the meeting and issue tests: the ledger world plus officials and a meeting."""
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.ledger import rules
from app.meetings import services
from tests import factories
from tests.ledger_world import make_world


def make_meeting_world():
    """甲村 with its committee, households and an attendance rule (YS01); officials above it."""
    w = make_world()
    cat = rules.create_category(w.committee, w.home.id, "参与议事")
    w.attend_rule = rules.create_rule(w.committee, w.home.id, cat.id, "YS01", "参加夜谈会", 5,
                                       limit_count=1, limit_period="event")
    w.resolved_rule = rules.create_rule(w.committee, w.home.id, cat.id, "YS02", "提出的问题得到解决", 10)
    w.adopted_rule = rules.create_rule(w.committee, w.home.id, cat.id, "YS03", "建议被采纳", 8)
    w.county_official = factories.user("county", "official", region_id=w._county.id)
    w.city_official = factories.user("cityofficial", "official", region_id=w._city.id)
    w.far_user = factories.user("far", "household", household_id=w.far.id)
    w.h3_user = factories.user("h3", "household", household_id=w.h3.id)
    return w


def open_meeting(w, topic="村道修缮夜谈会", now=None):
    """A meeting of 甲村 planned and opened by its committee."""
    now = now or datetime.now(UTC)
    meeting = services.plan(w.committee, w.home.id, "group", topic, now + timedelta(hours=1),
                            "村部", [("李书记", 4), ("王镇长", 3)])
    services.open_meeting(w.committee, meeting.id)
    db.session.rollback()
    return meeting.id
