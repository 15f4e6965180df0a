"""Accounts in bulk: one-time passwords, printed slips, the change at first sign-in."""
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.accounts import bulk
from app.errors import NotAllowed
from app.extensions import db
from app.models import Role, User
from tests import factories


@pytest.fixture
def county(app):
    app.config["WTF_CSRF_ENABLED"] = False
    _city, county, township, villages = factories.region_tree(("甲村", "乙村", "丙村"))
    factories.user("root", "admin", language="en")
    factories.user("county", "official", region_id=county.id, language="en")
    return county, township, villages


def count(role):
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == role))


def test_committees_for_every_village_once(app, county):
    county_region, _township, villages = county
    admin = db.session.scalar(sa.select(User).where(User.username == "root"))
    factories.user("existing", "committee", region_id=villages[0].id)
    slips = bulk.create(admin, "committees", county_region)
    assert sorted(s.username for s in slips) == sorted(f"c{v.id}" for v in villages[1:])
    made = db.session.scalar(sa.select(User).where(User.username == slips[0].username))
    assert made.must_change_password and made.role == Role.COMMITTEE
    assert made.check_password(slips[0].password) and len(slips[0].password) == 10
    assert bulk.create(admin, "committees", county_region) == []  # nothing twice


def test_officials_and_households(app, county):
    county_region, township, (village, _b, _c) = county
    official = db.session.scalar(sa.select(User).where(User.username == "county"))
    slips = bulk.create(official, "officials", county_region)
    assert [s.username for s in slips] == [f"o{township.id}"]  # the county has its official
    factories.household(village, number="0001", head_name="张三")
    factories.household(village, number="0002", head_name="李四")
    committee = factories.user("c", "committee", region_id=village.id)
    slips = bulk.create(committee, "households", village)
    assert [s.username for s in slips] == [f"h{village.id}-0001", f"h{village.id}-0002"]
    assert {u.household.head_name for u in db.session.scalars(
        sa.select(User).where(User.role == Role.HOUSEHOLD))} == {"张三", "李四"}


def test_a_taken_username_gets_the_next_free_one(app, county):
    county_region, _township, villages = county
    factories.user(f"c{villages[0].id}", "household", household_id=factories.household(villages[1]).id)
    admin = db.session.scalar(sa.select(User).where(User.username == "root"))
    slips = bulk.create(admin, "committees", county_region)
    assert f"c{villages[0].id}-2" in [s.username for s in slips]


def test_outsiders_may_not(app, county):
    county_region, _township, (village, other, _c) = county
    committee = factories.user("c", "committee", region_id=village.id)
    with force_locale("en"):
        with pytest.raises(NotAllowed):
            bulk.create(committee, "committees", county_region)
        with pytest.raises(NotAllowed):
            bulk.create(committee, "households", other)
    assert count(Role.OFFICIAL) == 1


def test_slips_page_and_the_change_at_first_sign_in(client, auth, county):
    county_region, _township, villages = county
    auth.login("county")
    page = client.get(f"/accounts/bulk?region={county_region.id}")
    assert page.status_code == 200
    response = client.post(f"/accounts/bulk?region={county_region.id}", data={"kind": "committees"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.count('class="slip"') == 3 and "<svg" in body
    username = re.search(r'class="slip-username">([^<]+)<', body).group(1)
    password = re.search(r'class="slip-password">([^<]+)<', body).group(1)
    auth.logout()
    auth.login(username, password)
    assert client.get("/households/").headers["Location"].endswith("/password")
    client.post("/password", data={"current": password, "new": "my-own-pass-1",
                                   "confirm": "my-own-pass-1"})
    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert not user.must_change_password and user.check_password("my-own-pass-1")
    assert client.get("/households/").status_code == 200
