"""Rulebook templates: publish from a village, adopt in one step, stay in sync unless changed."""
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.errors import InvalidInput, NotAllowed
from app.extensions import db
from app.ledger import rulebook_templates, rules, services
from app.ledger.reads import verify
from app.models import LedgerEntry, Rule
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@pytest.fixture
def world(app):
    w = make_world()
    w.county = w._county
    w.official = factories.user("official", "official", region_id=w.county.id)
    w.third = factories.village("丁村", township=w._township)
    w.third_committee = factories.user("committee3", "committee", region_id=w.third.id)
    return w


def rules_of(village):
    return {r.code: r for r in db.session.scalars(sa.select(Rule).where(Rule.village_id == village.id))}


def test_publish_and_adopt_copies_rules_and_thresholds(world):
    w = world
    template = rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    assert rulebook_templates.templates_for(w.third) == [template]
    result = rulebook_templates.adopt(w.third_committee, w.third, template)
    assert result == {"added": 5, "kept": 0}
    adopted = rules_of(w.third)
    assert sorted(adopted) == ["A01", "A02", "A03", "A04", "D01"]
    assert (adopted["A03"].points, adopted["A03"].limit_count, adopted["A03"].limit_period) == (
        2, 1, "day")
    assert adopted["D01"].points == -20 and adopted["A01"].category.name == "乡风文明"
    assert rulebook_templates.sync_counts(w.third) == (5, 0)


def test_template_update_syncs_unchanged_rules_only_and_never_past_points(world):
    w = world
    template = rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    rulebook_templates.adopt(w.third_committee, w.third, template)
    adopted = rules_of(w.third)
    h = factories.household(w.third)
    services.award(w.third_committee, [h.id], adopted["A01"].id, "before")
    rules.update_rule(w.third_committee, adopted["A02"].id, points=150)  # the village's own now
    rules.update_rule(w.committee, w.good.id, points=12)  # the source village changes
    rules.update_rule(w.committee, w.big.id, points=90)
    rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    adopted = rules_of(w.third)
    assert adopted["A01"].points == 12 and adopted["A02"].points == 150
    assert rulebook_templates.sync_counts(w.third) == (4, 1)
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.household_id == h.id))
    assert entry.points == 10 and db.session.get(type(h), h.id).score == 10 and verify() == []


def test_dropping_a_line_retires_the_adopted_rule(world):
    w = world
    template = rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    rulebook_templates.adopt(w.third_committee, w.third, template)
    rules.retire_rule(w.committee, w.daily.id)
    rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    assert not rules_of(w.third)["A03"].active and rules_of(w.third)["A01"].active


def test_adopting_keeps_the_villages_own_rules_with_the_same_code(world):
    w = world
    template = rulebook_templates.publish(w.official, w.county, w.home, "县标准细则")
    result = rulebook_templates.adopt(w.other_committee, w.other, template)  # 乙村 already has A01
    assert result == {"added": 4, "kept": 1}
    assert rules_of(w.other)["A01"].template_rule_id is None


def test_who_may_publish_and_adopt(world):
    w = world
    with pytest.raises(NotAllowed):
        rulebook_templates.publish(w.committee, w.county, w.home, "x")
    template = rulebook_templates.publish(w.admin, w.county, w.home, "县标准细则")
    with pytest.raises(NotAllowed):
        rulebook_templates.adopt(w.committee, w.third, template)
    with pytest.raises(InvalidInput):
        rulebook_templates.publish(w.admin, w.county, w.county, "x")
    far = factories.village("远村")  # in a tree of its own, outside the county
    far_committee = factories.user("far", "committee", region_id=far.id)
    with pytest.raises(InvalidInput):
        rulebook_templates.adopt(far_committee, far, template)
    assert rules_of(far) == {}


def test_pages_publish_and_adopt(client, auth, world):
    w = world
    client.application.config["WTF_CSRF_ENABLED"] = False
    w.official.language = w.third_committee.language = "en"
    db.session.commit()
    auth.login("official")
    page = client.get(f"/regions/{w.county.id}/templates")
    assert page.status_code == 200
    client.post(f"/regions/{w.county.id}/templates", data={"village_id": w.home.id,
                                                          "name": "县标准细则"})
    (template,) = rulebook_templates.templates_of(w.county)
    auth.logout()
    auth.login("committee3")
    assert "县标准细则" in client.get("/regions/templates").get_data(as_text=True)
    response = client.post(f"/regions/templates/{template.id}/adopt")
    assert response.status_code == 302 and len(rules_of(w.third)) == 5
    assert client.get(f"/regions/{w.county.id}/templates").status_code == 403
