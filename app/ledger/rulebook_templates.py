"""Rulebook templates (积分细则模板): published by a county or township, adopted by villages.

A template is published from a village's rulebook as it stands (the demo offers 罗翠村's). A
village adopts it in one step: its categories, rules and star thresholds are copied, each rule
pointing back at its template line. Publishing the template again updates every adopted rule
that the village's committee has not changed itself; rules it changed are left alone. Entries
copy the points they were made with, so a template change never touches points already awarded.
"""
from typing import Optional

import sqlalchemy as sa
from flask_babel import gettext as _

from app import audit
from app.access import permissions
from app.database import transaction
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.ledger.reads import settings_for
from app.models import (Region, Rule, RuleCategory, RulebookTemplate, TemplateRule, User,
                        VillageSettings)
from app.models.base import utcnow
from app.models.region import subtree_clause

SYNCED = ("name", "description", "points", "limit_count", "limit_period")


def templates_for(village: Region) -> list[RulebookTemplate]:
    """Templates published by the village's township, county or city, nearest first."""
    ancestors = village.ancestor_ids[:-1]
    found = db.session.scalars(sa.select(RulebookTemplate).where(
        RulebookTemplate.region_id.in_(ancestors or [-1])))
    return sorted(found, key=lambda t: (-ancestors.index(t.region_id), t.name))


def templates_of(region: Region) -> list[RulebookTemplate]:
    """Templates published by the region itself."""
    return list(db.session.scalars(sa.select(RulebookTemplate).where(
        RulebookTemplate.region_id == region.id).order_by(RulebookTemplate.name)))


def publish(actor: Optional[User], region: Region, village: Region, name: str) -> RulebookTemplate:
    """Publish (or update) `region`'s template called `name` from a village's current rulebook,
    then bring every adopted rule the village has not changed up to date. `actor` None: the demo."""
    if actor is not None:
        permissions.require(actor, "regions.add_under", region)
    name = " ".join((name or "").split())[:100]
    if not name:
        raise InvalidInput(_("A template needs a name."))
    if not village.is_village or not village.path.startswith(region.path) or region.is_village:
        raise InvalidInput(_("Choose a village under %(name)s.", name=region.name))
    with transaction(conflict=_("The template changed meanwhile; try again.")):
        rules = db.session.execute(sa.select(Rule, RuleCategory).join(RuleCategory).where(
            Rule.village_id == village.id, Rule.active.is_(True))
            .order_by(RuleCategory.sort_order, Rule.code)).all()
        if not rules:
            raise InvalidInput(_("%(name)s has no active rules to publish.", name=village.name))
        template = db.session.scalar(sa.select(RulebookTemplate).where(
            RulebookTemplate.region_id == region.id, RulebookTemplate.name == name))
        if template is None:
            template = RulebookTemplate(region_id=region.id, name=name)
            db.session.add(template)
            db.session.flush()
        template.updated_at = utcnow()
        settings = settings_for(village.id)
        template.star2, template.star3, template.star4, template.star5 = settings.thresholds
        _replace_lines(template, rules)
        synced = _sync(template)
        audit.record("rulebook_template.publish", f"template:{template.id}",
                     f"{name} from {village.name}: {len(rules)} rules, {synced} synced", actor)
    return template


def _replace_lines(template: RulebookTemplate, rules: list) -> None:
    lines = {t.code: t for t in db.session.scalars(
        sa.select(TemplateRule).where(TemplateRule.template_id == template.id))}
    for line in lines.values():
        line.active = False
    for rule, category in rules:
        line = lines.get(rule.code) or TemplateRule(template_id=template.id, code=rule.code)
        line.category, line.sort_order, line.active = category.name, category.sort_order, True
        for field in SYNCED:
            setattr(line, field, getattr(rule, field))
        db.session.add(line)
    db.session.flush()


def _sync(template: RulebookTemplate) -> int:
    """Update the adopted, unchanged rules of every village from the template's lines."""
    count = 0
    for rule, line in db.session.execute(sa.select(Rule, TemplateRule).join(
            TemplateRule, TemplateRule.id == Rule.template_rule_id).where(
            TemplateRule.template_id == template.id, Rule.customised.is_(False))):
        for field in SYNCED:
            setattr(rule, field, getattr(line, field))
        rule.active = line.active
        count += 1
    return count


def adopt(actor: User, village: Region, template: RulebookTemplate) -> dict[str, int]:
    """Copy a template into a village's rulebook; rules whose code the village already uses
    are kept as they are. The template's star thresholds become the village's."""
    permissions.require(actor, "village.manage", village.id)
    if template.region is None or not village.path.startswith(template.region.path):
        raise InvalidInput(_("This template is not published for your village."))
    with transaction(conflict=_("The rulebook changed meanwhile; try again.")):
        codes = set(db.session.scalars(sa.select(Rule.code).where(Rule.village_id == village.id)))
        categories = {c.name: c for c in db.session.scalars(
            sa.select(RuleCategory).where(RuleCategory.village_id == village.id))}
        lines = list(db.session.scalars(sa.select(TemplateRule).where(
            TemplateRule.template_id == template.id, TemplateRule.active.is_(True))
            .order_by(TemplateRule.sort_order, TemplateRule.code)))
        if not lines:
            raise Conflict(_("This template has no rules."))
        added = 0
        for line in lines:
            if line.code in codes:
                continue
            if line.category not in categories:
                categories[line.category] = RuleCategory(village_id=village.id, name=line.category,
                                                         sort_order=line.sort_order)
                db.session.add(categories[line.category])
                db.session.flush()
            db.session.add(Rule(village_id=village.id, category_id=categories[line.category].id,
                                code=line.code, active=True, template_rule_id=line.id,
                                customised=False, **{f: getattr(line, f) for f in SYNCED}))
            added += 1
        _adopt_thresholds(village, template)
        audit.record("rulebook_template.adopt", f"village:{village.id}",
                     f"{template.name}: {added} added, {len(lines) - added} kept", actor)
    return {"added": added, "kept": len(lines) - added}


def _adopt_thresholds(village: Region, template: RulebookTemplate) -> None:
    settings = db.session.get(VillageSettings, village.id)
    if settings is None:
        settings = VillageSettings(village_id=village.id,
                                   objection_days=VillageSettings.DEFAULT_OBJECTION_DAYS)
        db.session.add(settings)
    settings.star2, settings.star3, settings.star4, settings.star5 = (
        template.star2, template.star3, template.star4, template.star5)


def sync_counts(village: Region) -> tuple[int, int]:
    """How many of the village's rules follow a template, and how many the committee changed."""
    rows = db.session.execute(sa.select(Rule.customised, sa.func.count(Rule.id)).where(
        Rule.village_id == village.id, Rule.template_rule_id.is_not(None))
        .group_by(Rule.customised)).all()
    counts = {bool(c): n for c, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


def adoptable(village: Region, template_id: int) -> Optional[RulebookTemplate]:
    """A template published above `village` (one it may adopt), or None."""
    template = db.session.get(RulebookTemplate, template_id)
    return template if template is not None and template in templates_for(village) else None


def village_choices(region: Region) -> list[tuple[int, str]]:
    """(id, name) of the villages under `region`, for a publisher's choice of rulebook."""
    return [(v.id, v.name) for v in db.session.scalars(villages_under(region))]


def villages_under(region: Region) -> sa.Select:
    """Villages under a region, for choosing the rulebook to publish."""
    return sa.select(Region).where(subtree_clause(Region.path, region.path),
                                   Region.level == 4, Region.active.is_(True)).order_by(Region.path)
