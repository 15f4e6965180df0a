"""Changing the tree by hand: add, rename, deactivate, move, merge; permissions; audit."""
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.errors import Conflict, InvalidInput, NotAllowed
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.reads import history, verify
from app.models import AuditLog, Claim, Grid, Household, Region, User
from app.regions import manage
from app.regions.services import add_regions
from app.models import RegionLevel
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


def actions():
    return [a for a in db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id))]


def test_official_adds_renames_and_deactivates_under_its_region(app):
    _city, county, township, (village, _other) = factories.region_tree()
    county.code, township.code = "350421000000", "350421100000"
    db.session.commit()
    official = factories.user("county", "official", region_id=county.id)
    added = manage.add_region(official, township, " 新  村 ", "350421100205")
    assert (added.name, added.level, added.parent_id, added.code) == (
        "新 村", RegionLevel.VILLAGE, township.id, "350421100205")
    assert added.path == f"{township.path}{added.id:010d}/"
    manage.rename_region(official, added, "新华村")
    manage.set_region_active(official, added, False)
    assert not db.session.get(Region, added.id).active
    assert actions() == ["region_added", "region_renamed", "region_deactivated"]
    with pytest.raises(NotAllowed):  # an official never changes its own region
        manage.rename_region(official, county, "别的县")


@pytest.mark.parametrize("code, message", [
    ("350421100000", "not a 12-digit division code of this level"),
    ("350421101205", "does not lie under"),
    ("123", "not a 12-digit"),
])
def test_add_refuses_codes_that_do_not_fit(app, code, message):
    _city, county, township, _villages = factories.region_tree()
    township.code = "350421100000"
    db.session.commit()
    admin = factories.user("admin", "admin")
    with pytest.raises(InvalidInput, match=message):
        manage.add_region(admin, township, "某村", code)
    assert db.session.scalar(sa.select(sa.func.count(Region.id))) == 5


def test_add_refuses_a_taken_code(app):
    _city, _county, township, (village, _other) = factories.region_tree()
    village.code = "350421100200"
    db.session.commit()
    with pytest.raises(Conflict, match="already belongs to"):
        manage.add_region(factories.user("admin", "admin"), township, "重码村", "350421100200")


def test_outsiders_may_not_change_the_tree(app):
    _city, county, township, (village, _other) = factories.region_tree()
    (elsewhere,) = add_regions([("别县", RegionLevel.COUNTY, None)])
    db.session.commit()
    stranger = factories.user("stranger", "official", region_id=elsewhere.id)
    committee = factories.user("committee", "committee", region_id=village.id)
    for actor in (stranger, committee):
        with pytest.raises(NotAllowed):
            manage.add_region(actor, township, "某村")
        with pytest.raises(NotAllowed):
            manage.rename_region(actor, village, "改名")
    assert db.session.get(Region, village.id).name == "甲村" and actions() == []


def test_deactivate_refuses_a_village_with_active_households(app):
    _city, _county, _township, (village, _other) = factories.region_tree()
    factories.household(village)
    with pytest.raises(Conflict, match="still has active"):
        manage.set_region_active(factories.user("admin", "admin"), village, False)
    assert db.session.get(Region, village.id).active


def test_move_village_to_another_township_moves_its_households_in_scope(app):
    _city, county, township, (village, _other) = factories.region_tree()
    (second,) = add_regions([("第二镇", RegionLevel.TOWNSHIP, county)])
    db.session.commit()
    household = factories.household(village)
    official = factories.user("second", "official", region_id=second.id)
    from app.access import scope
    assert db.session.scalar(scope.households_query(official).where(
        Household.id == household.id)) is None
    manage.move_village(factories.user("admin", "admin"), village, second)
    assert village.parent_id == second.id and village.path.startswith(second.path)
    assert db.session.scalar(scope.households_query(official).where(
        Household.id == household.id)) is not None


def test_move_needs_the_new_code_when_the_old_one_does_not_fit(app):
    _city, county, township, (village, _other) = factories.region_tree()
    (second,) = add_regions([("第二镇", RegionLevel.TOWNSHIP, county)])
    township.code, second.code, village.code = "350421100000", "350421101000", "350421100200"
    db.session.commit()
    admin = factories.user("admin", "admin")
    with pytest.raises(InvalidInput, match="give its new division code"):
        manage.move_village(admin, village, second)
    assert db.session.get(Region, village.id).parent_id == township.id
    manage.move_village(admin, village, second, "350421101230")
    assert (village.parent_id, village.code) == (second.id, "350421101230")


def test_merge_moves_everything_and_keeps_history_and_ledger_clean(app):
    w = make_world()
    # The merged village (乙村) has a household numbered like one of 甲村's, a grid named alike,
    # points, an account and a committee.
    clash = factories.household(w.other, number=w.h1.number, head_name="同号户")
    factories.grid(w.other, w.grid.name)
    clash_user = factories.user("clash", "household", household_id=clash.id)
    ledger.award(w.other_committee, [w.far.id, clash.id], w.other_rule.id, "before the merge")
    before = {h: [e.id for e in history(h)[0]] for h in (w.far.id, clash.id)}
    balances = {h.id: (h.balance, h.score) for h in (w.far, clash)}

    counts = manage.merge_villages(w.admin, w.other, w.home)

    assert counts["households"] == 2 and counts["renumbered"] == 1 and counts["grids_renamed"] == 1
    assert db.session.scalar(sa.select(sa.func.count(Household.id)).where(
        Household.village_id == w.other.id)) == 0
    assert db.session.get(Household, clash.id).number == f"{w.other.id}-{w.h1.number}"
    assert db.session.scalar(sa.select(sa.func.count(Grid.id)).where(
        Grid.village_id == w.other.id)) == 0
    assert db.session.get(User, w.other_committee.id).region_id == w.home.id
    assert db.session.get(User, clash_user.id).village_id == w.home.id
    merged = db.session.get(Region, w.other.id)
    assert (merged.active, merged.merged_into_id) == (False, w.home.id)
    assert verify() == []
    for household_id, ids in before.items():
        assert [e.id for e in history(household_id)[0]] == ids
        h = db.session.get(Household, household_id)
        assert (h.balance, h.score) == balances[household_id]
    # The survivor's committee now awards the moved households under its own rules.
    ledger.award(w.committee, [clash.id], w.good.id, "after the merge")
    assert verify() == [] and db.session.get(Household, clash.id).score == balances[clash.id][1] + 10
    assert "villages_merged" in actions()


def test_merge_refuses_while_claims_wait_and_changes_nothing(app):
    w = make_world()
    db.session.add(Claim(household_id=w.far.id, rule_id=w.other_rule.id, description="x"))
    db.session.commit()
    with pytest.raises(Conflict, match="waiting"):
        manage.merge_villages(w.admin, w.other, w.home)
    assert db.session.get(Household, w.far.id).village_id == w.other.id
    assert db.session.get(Region, w.other.id).active


def test_merge_refuses_nonsense(app):
    w = make_world()
    with pytest.raises(InvalidInput):
        manage.merge_villages(w.admin, w.home, w.home)
    with pytest.raises(InvalidInput):
        manage.merge_villages(w.admin, w._township, w.home)
    with pytest.raises(NotAllowed):
        manage.merge_villages(w.committee, w.other, w.home)


# ---- pages ---------------------------------------------------------------------------------

@pytest.fixture
def tree(app):
    app.config["WTF_CSRF_ENABLED"] = False
    _city, county, township, (village, other) = factories.region_tree()
    factories.user("county", "official", region_id=county.id, language="en")
    factories.user("committee", "committee", region_id=village.id, language="en")
    return township, village, other


def test_official_renames_and_adds_through_the_page(client, auth, tree):
    township, village, _other = tree
    auth.login("county")
    page = client.get(f"/regions/{village.id}/manage")
    assert page.status_code == 200 and "Merge into another village" in page.get_data(as_text=True)
    assert f"/regions/{village.id}/manage" in client.get(f"/regions/?region={township.id}").get_data(
        as_text=True)
    client.post(f"/regions/{village.id}/rename", data={"rename-name": "新甲村"})
    assert db.session.get(Region, village.id).name == "新甲村"
    response = client.post(f"/regions/{township.id}/children",
                           data={"add-name": "丁村", "add-code": "12"}, follow_redirects=True)
    assert "not a 12-digit" in response.get_data(as_text=True)
    client.post(f"/regions/{township.id}/children", data={"add-name": "丁村"})
    assert db.session.scalar(sa.select(Region).where(Region.name == "丁村")).parent_id == township.id


def test_merge_through_the_page_needs_the_checkbox(client, auth, tree):
    _township, village, other = tree
    factories.household(other)
    auth.login("county")
    client.post(f"/regions/{other.id}/merge", data={"merge-survivor_id": village.id})
    assert db.session.get(Region, other.id).active
    client.post(f"/regions/{other.id}/merge", data={"merge-survivor_id": village.id,
                                                    "merge-confirm": "y"})
    assert db.session.get(Region, other.id).merged_into_id == village.id


def test_committee_cannot_open_or_post_the_management_pages(client, auth, tree):
    _township, village, other = tree
    auth.login("committee")
    assert client.get(f"/regions/{village.id}/manage").status_code == 403
    assert client.post(f"/regions/{village.id}/rename",
                       data={"rename-name": "x"}).status_code == 403
    assert db.session.get(Region, village.id).name == "甲村"


def test_merge_target_outside_scope_is_not_found(client, auth, tree):
    _township, village, _other = tree
    (elsewhere,) = add_regions([("别县", RegionLevel.COUNTY, None)])
    db.session.commit()
    far = factories.village("远村")
    auth.login("county")
    response = client.post(f"/regions/{village.id}/merge",
                           data={"merge-survivor_id": far.id, "merge-confirm": "y"})
    assert response.status_code == 302  # not one of the offered villages: refused by the form
    assert db.session.get(Region, village.id).active


def test_survivors_committee_reverses_an_entry_made_before_the_merge(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_world()
    (entry,) = ledger.award(w.other_committee, [w.far.id], w.other_rule.id, "before the merge")
    auth.login("committee")
    assert client.get(f"/ledger/entries/{entry.id}/reverse").status_code == 404
    manage.merge_villages(w.admin, w.other, w.home)
    assert client.get(f"/ledger/entries/{entry.id}/reverse").status_code == 200
    survivor_committee = db.session.get(User, w.committee.id)
    reversal = ledger.reverse(survivor_committee, entry.id, "recorded twice")
    assert reversal.points == -entry.points and verify() == []
    assert db.session.get(Household, w.far.id).balance == 0
