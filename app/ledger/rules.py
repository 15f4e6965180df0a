"""The village rulebook (积分管理细则): categories and rules, kept by the committee.

Editing a rule changes future entries only: entries copy the points they were made with. A rule
moved to another category takes its past points with it in the figures' points by category.
Rules are retired, never deleted, because past entries name them.
"""
from typing import Optional

from flask_babel import gettext as _

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import InvalidInput
from app.extensions import db
from app.figures import region_points
from app.models import Rule, RuleCategory, User
from app.models.ledger import LIMIT_PERIODS

EDITABLE = ("name", "description", "points", "limit_count", "limit_period", "category_id")


def _check_village(actor: User, village_id: int) -> None:
    permissions.require(actor, "village.manage", village_id, _("This village is not in your area."))


def _taken() -> str:
    return _("A rule or category with this code or name already exists.")


def _validate(fields: dict) -> None:
    if "name" in fields and not (fields["name"] or "").strip():
        raise InvalidInput(_("A rule needs a name."))
    points = fields.get("points")
    if "points" in fields and (not isinstance(points, int) or isinstance(points, bool) or points == 0):
        raise InvalidInput(_("A rule's points must be a whole number other than zero."))
    count, period = fields.get("limit_count"), fields.get("limit_period")
    if (count is None) != (period is None):
        raise InvalidInput(_("A limit needs both a number of times and a period."))
    if period is not None and period not in LIMIT_PERIODS:
        raise InvalidInput(_("Unknown limit period."))
    if count is not None and (not isinstance(count, int) or count < 1):
        raise InvalidInput(_("A limit must allow at least one time."))


def _category(village_id: int, category_id: int) -> RuleCategory:
    category = db.session.get(RuleCategory, category_id)
    if category is None or category.village_id != village_id:
        raise InvalidInput(_("Unknown category."))
    return category


def create_category(actor: User, village_id: int, name: str, sort_order: int = 0) -> RuleCategory:
    """Add a heading to a village's rulebook."""
    with transaction(conflict=_taken()):
        _check_village(actor, village_id)
        if not (name or "").strip():
            raise InvalidInput(_("A category needs a name."))
        category = RuleCategory(village_id=village_id, name=name.strip()[:64], sort_order=sort_order)
        db.session.add(category)
        audit.record("rule.category", f"village:{village_id}", category.name, actor)
        return category


def create_rule(actor: User, village_id: int, category_id: int, code: str, name: str, points: int,
                description: str = "", limit_count: Optional[int] = None,
                limit_period: Optional[str] = None) -> Rule:
    """Add a rule: signed, nonzero points and an optional limit (count per day/month/year/event)."""
    with transaction(conflict=_taken()):
        _check_village(actor, village_id)
        _category(village_id, category_id)
        if not (code or "").strip():
            raise InvalidInput(_("A rule needs a code."))
        _validate({"name": name, "points": points, "limit_count": limit_count,
                   "limit_period": limit_period})
        rule = Rule(village_id=village_id, category_id=category_id, code=code.strip()[:32],
                    name=name.strip()[:100], description=(description or "").strip()[:500],
                    points=points, limit_count=limit_count, limit_period=limit_period, active=True)
        db.session.add(rule)
        audit.record("rule.create", f"village:{village_id}", f"{rule.code} {rule.points:+d}", actor)
        return rule


def update_rule(actor: User, rule_id: int, **changes) -> Rule:
    """Change a rule's name, description, points, limit or category, for future entries only."""
    with transaction(conflict=_taken()):
        rule = db.session.get(Rule, rule_id)
        if rule is None:
            raise InvalidInput(_("Unknown rule."))
        _check_village(actor, rule.village_id)
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(_("These fields cannot be changed: %(fields)s",
                                 fields=", ".join(sorted(unknown))))
        merged = {field: changes.get(field, getattr(rule, field)) for field in EDITABLE}
        _validate(merged)
        category = _category(rule.village_id, merged["category_id"])
        if category.id != rule.category_id:  # its points move to the new name in the regions' figures
            region_points.recategorised(rule.id, rule.village_id, rule.category.name, category.name)
        for field, value in changes.items():
            setattr(rule, field, value.strip() if isinstance(value, str) and field != "limit_period"
                    else value)
        rule.customised = True  # the committee's own now: a template update leaves it alone
        audit.record("rule.update", f"rule:{rule.id}", repr(sorted(changes.items()))[:500], actor)
        return rule


def retire_rule(actor: User, rule_id: int) -> Rule:
    """Stop a rule from taking new entries; it stays for the history that names it."""
    with transaction(conflict=_taken()):
        rule = db.session.get(Rule, rule_id)
        if rule is None:
            raise InvalidInput(_("Unknown rule."))
        _check_village(actor, rule.village_id)
        rule.active = False
        rule.customised = True
        audit.record("rule.retire", f"rule:{rule.id}", rule.code, actor)
        return rule
