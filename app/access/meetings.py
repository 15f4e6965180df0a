"""Who may plan, open, close and attend night-talk meetings, and who may read and act on issues.

A meeting is run by its village's committee (or an admin); officials of any region above the
village may plan, open and host it too. Closing awards points, which the ledger lets only the
village's managers do, so closing is theirs. Issues are read by their raiser's household, the
village's committee, officials above it and their responsible person.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.access import scope
from app.access.permissions import EVERYONE, OFFICIALS, menu_item, role_rule, rule
from app.extensions import db
from app.models import Household, Issue, Meeting, Region, Role, User

MEETING_RUNNERS = frozenset({Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN})
ISSUE_READERS = frozenset({Role.HOUSEHOLD, Role.COMMITTEE, Role.OFFICIAL, Role.ADMIN})
RESPONSIBLES = MEETING_RUNNERS | {Role.UNIT}  # who may be assigned issues and list them


def official_over(user: User, village_id: Optional[int]) -> bool:
    """True for an official whose region contains the village (officials above it)."""
    if user.role != Role.OFFICIAL or user.region is None or village_id is None:
        return False
    village = db.session.get(Region, village_id)
    return (village is not None and village.id != user.region.id
            and village.path.startswith(user.region.path))


def runs_village(user: User, village_id: Optional[int]) -> bool:
    """The village's committee, an admin, or an official above the village."""
    return village_id is not None and (scope.can_manage_village(user, village_id)
                                       or official_over(user, village_id))


@rule("meetings.host")
def host_meeting(user: User, village_id: Optional[int]) -> bool:
    """Plan and open a meeting of a village, show its check-in code, tick attendance."""
    return runs_village(user, village_id)


@rule("meetings.close")
def close_meeting(user: User, meeting: Optional[Meeting]) -> bool:
    """Close a meeting, awarding attendance points: the village's managers only."""
    return meeting is not None and scope.can_manage_village(user, meeting.village_id)


@rule("meetings.check_in")
def check_in(user: User, meeting: Optional[Meeting]) -> bool:
    """Check in with the meeting's code: a household of the meeting's village."""
    return (meeting is not None and user.role == Role.HOUSEHOLD and user.household is not None
            and user.household.active and user.household.village_id == meeting.village_id)


@rule("issues.raise")
def raise_issue(user: User, household: Optional[Household]) -> bool:
    """Raise an issue for a household: the household itself online, or its village's committee."""
    if household is None:
        return False
    if user.role == Role.HOUSEHOLD:
        return user.household_id == household.id
    return scope.can_manage_village(user, household.village_id)


@rule("issues.read")
def read_issue(user: User, issue: Optional[Issue]) -> bool:
    """Its raiser's household, the village's runners, officials above, its responsible person."""
    if issue is None:
        return False
    if user.role == Role.HOUSEHOLD:
        return user.household_id == issue.household_id
    return runs_village(user, issue.village_id) or issue.responsible_user_id == user.id


@rule("issues.read_public")
def read_public_issue(user: User, issue: Optional[Issue]) -> bool:
    """A public issue, without its raiser's name: the households of its village."""
    return (issue is not None and issue.public and user.role == Role.HOUSEHOLD
            and user.village_id == issue.village_id)


def unit_serves(unit: User, village: Optional[Region]) -> bool:
    """True when a responsible unit's account serves the village: its region is the village or
    one of the regions above it (a county's 水利局 serves every village of the county)."""
    return (unit.role == Role.UNIT and unit.region_id is not None and village is not None
            and unit.region_id in village.ancestor_ids)


def unit_elsewhere(person: User, village: Optional[Region]) -> bool:
    """True for a responsible unit's account that serves another region than the village (it
    cannot be given the village's issues)."""
    return person.role == Role.UNIT and not unit_serves(person, village)


def responsibles(issue: Issue) -> list[User]:
    """Accounts that may be made responsible: the village's committee, officials above it, and
    the responsible units (责任单位) serving the village or a region above it."""
    ancestors = issue.village.ancestor_ids
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True), sa.or_(
        sa.and_(User.role == Role.COMMITTEE.value, User.region_id == issue.village_id),
        sa.and_(User.role == Role.OFFICIAL.value, User.region_id.in_(ancestors[:-1] or [-1])),
        sa.and_(User.role == Role.UNIT.value, User.region_id.in_(ancestors))))
        .order_by(User.role, User.username)))


@rule("issues.manage")
def manage_issue(user: User, issue: Optional[Issue]) -> bool:
    """Assign a responsible person, deadline and measures; publish to the village; adopt."""
    return issue is not None and runs_village(user, issue.village_id)


@rule("issues.handle")
def handle_issue(user: User, issue: Optional[Issue]) -> bool:
    """Report handling and resolution: the responsible person or those who manage the issue."""
    return issue is not None and (issue.responsible_user_id == user.id
                                  or runs_village(user, issue.village_id))


@rule("issues.supervise")
def supervise_issue(user: User, issue: Optional[Issue]) -> bool:
    """Add supervision notes (督办): officials above the village, and admins."""
    return issue is not None and (user.role == Role.ADMIN or official_over(user, issue.village_id))


@rule("issues.confirm")
def confirm_issue(user: User, issue: Optional[Issue]) -> bool:
    """Say whether the resolution satisfies: the raiser's household."""
    return (issue is not None and user.role == Role.HOUSEHOLD
            and user.household_id == issue.household_id)


role_rule("meetings.list", MEETING_RUNNERS | {Role.HOUSEHOLD})
role_rule("meetings.plan", MEETING_RUNNERS)
role_rule("meetings.attend", frozenset({Role.HOUSEHOLD}))  # sees which meetings it attended
role_rule("meetings.scan", EVERYONE)  # the check-in code's landing; "meetings.check_in" decides
role_rule("meetings.host_in_person", frozenset({Role.OFFICIAL}))  # hosts what it plans
role_rule("issues.list", ISSUE_READERS)
role_rule("issues.open", ISSUE_READERS | {Role.UNIT})  # open one issue (scope decides which)
role_rule("issues.new", frozenset({Role.HOUSEHOLD, Role.COMMITTEE}))
role_rule("issues.own", frozenset({Role.HOUSEHOLD}))
role_rule("issues.village_public", frozenset({Role.HOUSEHOLD}))  # the village's public list
role_rule("issues.assigned", RESPONSIBLES)
role_rule("issues.figures", OFFICIALS)

menu_item("meetings.list", "meetings.index", _l("Meetings"), 40, section="meetings")
menu_item("issues.own", "issues.mine", _l("My issues"), 41, section="meetings")
menu_item("issues.list", "issues.index", _l("Issues"), 42, section="meetings")
menu_item("issues.assigned", "issues.assigned", _l("Assigned to me"), 43, section="meetings")
menu_item("issues.figures", "issues.figures_page", _l("Figures"), 11, section="reports")
