"""Administrator account management and the CLI's `users create`."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, Role, User
from tests import factories


def test_admin_creates_and_changes_roles(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    factories.user("root", Role.ADMIN)
    auth.login("root")
    response = client.post("/accounts/", data={"username": "clerk", "password": "quiet-harbour-7",
                                                "role": "committee", "scope_id": village.id})
    assert response.status_code == 302
    clerk = db.session.scalar(sa.select(User).where(User.username == "clerk"))
    assert clerk.role == "committee" and clerk.region_id == village.id
    client.post(f"/accounts/{clerk.id}", data={"role": "official", "scope_id": village.parent_id})
    db.session.expire_all()
    assert clerk.role == "official" and clerk.region_id == village.parent_id
    actions = [a for a in db.session.scalars(sa.select(AuditLog.action))]
    assert "account_created" in actions and "role_changed" in actions


def test_committee_account_needs_a_village(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    factories.user("root", Role.ADMIN)
    auth.login("root")
    for scope in (village.parent_id, 999999, ""):
        client.post("/accounts/", data={"username": "bad", "password": "bad-pass-1",
                                        "role": "committee", "scope_id": scope})
        assert db.session.scalar(sa.select(User).where(User.username == "bad")) is None


def test_only_admin_manages_accounts(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    factories.user("com", Role.COMMITTEE, region_id=village.id)
    auth.login("com")
    assert client.get("/accounts/").status_code == 403
    assert client.get("/accounts/audit").status_code == 403


def test_cli_users_create(app, runner):
    village = factories.village()
    result = runner.invoke(args=["users", "create", "clerk2", "--role", "committee", "--scope",
                                 str(village.id)], input="long-password\nlong-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "clerk2"))
    assert user.check_password("long-password") and user.region_id == village.id
    result = runner.invoke(args=["users", "create", "clerk2", "--role", "committee", "--scope",
                                 str(village.id)], input="long-password\nlong-password\n")
    assert result.exit_code != 0 and "clerk2" in result.output


def test_cli_demo_data_refuses_non_empty(app, runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    users = set(db.session.scalars(sa.select(User.username)))
    assert {"admin", "city", "committee", "shop", "household", "household2", "outsider"} <= users
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code != 0 and "--force" in again.output


def test_make_runs_demo_prints_the_households_with_cards(app, runner):
    """`make run` loads the demo through demo-data-if-empty: it names the carded households too."""
    from app.demo import cards

    result = runner.invoke(args=["demo-data-if-empty"])
    assert result.exit_code == 0, result.output
    assert f"PIN {cards.DEMO_PIN}" in result.output
    carded = result.output.rsplit("：", 1)[-1].strip().split(", ")
    assert len(carded) == 3 and all(len(name.split()) == 2 for name in carded), result.output


def test_committee_member_cannot_award_own_household(app, client, auth):
    """A committee member linked to the household they live in cannot move its points."""
    import pytest

    from app.accounts.services import link_own_household
    from app.errors import InvalidInput, NotAllowed
    from app.ledger import rules, services as ledger

    app.config["WTF_CSRF_ENABLED"] = False
    city, county, township, (village, other) = factories.region_tree()
    own = factories.household(village, head_name="委员家")
    neighbour = factories.household(village, head_name="邻居家")
    foreign = factories.household(other)
    member = factories.user("member", Role.COMMITTEE, region_id=village.id)
    with pytest.raises(InvalidInput):
        link_own_household(member, foreign.id, actor=None)  # not in the member's village
    link_own_household(member, own.id, actor=None)
    category = rules.create_category(member, village.id, "乡风文明")
    rule = rules.create_rule(member, village.id, category.id, "XF01", "好人好事", 10)
    with pytest.raises(NotAllowed):
        ledger.award(member, [own.id], rule.id, "")
    with pytest.raises(NotAllowed):  # not even hidden in a group award
        ledger.award(member, [neighbour.id, own.id], rule.id, "")
    ledger.award(member, [neighbour.id], rule.id, "")
    db.session.expire_all()
    assert (own.balance, neighbour.balance) == (0, 10)
    # The member's account is not listed among the household's own sign-in accounts.
    auth.login("member")
    page = client.get(f"/households/{own.id}").get_data(as_text=True)
    assert "<strong>member</strong>" not in page


def test_cli_links_committee_member_to_own_household(app, runner):
    village = factories.village()
    household = factories.household(village)
    result = runner.invoke(args=["users", "create", "clerk3", "--role", "committee", "--scope",
                                 str(village.id), "--household", str(household.id)],
                           input="long-password\nlong-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "clerk3"))
    assert user.household_id == household.id
    other = factories.village("外村")
    result = runner.invoke(args=["users", "create", "clerk4", "--role", "committee", "--scope",
                                 str(other.id), "--household", str(household.id)],
                           input="long-password\nlong-password\n")
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(User).where(User.username == "clerk4")) is None


def test_audit_log_names_actions_in_the_users_language(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    factories.user("root", Role.ADMIN)
    auth.login("root")
    page = client.get("/accounts/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "登录" in page and ">login<" not in page


def test_account_services_ask_access_who_may(app):
    """The services check the acting user themselves, so a page or API call cannot skip it."""
    from app.accounts import services as accounts
    from app.errors import NotAllowed

    city, county, township, (village, other) = factories.region_tree()
    mine, theirs = factories.household(village), factories.household(other)
    committee = factories.user("com", Role.COMMITTEE, region_id=village.id)
    resident = factories.user("res", Role.HOUSEHOLD, household_id=mine.id)
    stranger = factories.user("far", Role.HOUSEHOLD, household_id=theirs.id)
    with pytest.raises(NotAllowed):  # another village's household
        accounts.create_account("far2", "plum-blossom-river", Role.HOUSEHOLD, theirs.id,
                                actor=committee)
    with pytest.raises(NotAllowed):  # a committee never makes staff accounts
        accounts.create_account("boss", "plum-blossom-river", Role.COMMITTEE, village.id,
                                actor=committee)
    with pytest.raises(NotAllowed):
        accounts.reset_password(stranger, "plum-blossom-river", actor=committee)
    with pytest.raises(NotAllowed):
        accounts.change_role(resident, Role.GRID_LEADER, None, actor=committee)
    accounts.reset_password(resident, "plum-blossom-river", actor=committee)
    made = accounts.create_account("res2", "plum-blossom-river", Role.HOUSEHOLD, mine.id,
                                   actor=committee)
    assert made.must_change_password
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.username.in_(["far2", "boss"]))) == 0


def test_switching_an_account_off_is_asked_of_access(app):
    """The administrator switches any other account; a shop's committee only its keepers."""
    from app.accounts import services as accounts
    from app.errors import NotAllowed

    city, county, township, (village, other) = factories.region_tree()
    root = factories.user("root", Role.ADMIN)
    committee = factories.user("com", Role.COMMITTEE, region_id=village.id)
    keeper = factories.user("keeper", Role.SHOP, shop_id=factories.shop(village).id)
    far_keeper = factories.user("far-keeper", Role.SHOP, shop_id=factories.shop(other).id)
    official = factories.user("off", Role.OFFICIAL, region_id=township.id)
    for target in (far_keeper, official, root):
        with pytest.raises(NotAllowed):
            accounts.set_active(target, False, actor=committee)
    with pytest.raises(NotAllowed):
        accounts.set_active(root, False, actor=root)  # never oneself
    accounts.set_active(keeper, False, actor=committee)
    accounts.set_active(official, False, actor=root)
    db.session.commit()
    db.session.expire_all()
    assert (keeper.active, official.active, far_keeper.active) == (False, False, True)


def test_a_callers_transaction_commits_nothing_on_its_own(app):
    """Inside a caller's transaction nothing is committed on its own."""
    from app.accounts import services as accounts
    from app.database import transaction

    village = factories.village()
    household = factories.household(village)
    admin = factories.user("root", Role.ADMIN)
    with pytest.raises(ZeroDivisionError):
        with transaction():
            accounts.create_account("new1", "plum-blossom-river", Role.HOUSEHOLD, household.id,
                                    actor=admin)
            raise ZeroDivisionError
    assert db.session.scalar(sa.select(User.id).where(User.username == "new1")) is None
