"""The workbench: a cadre lands on what waits for it (with counts, one tap to each) and the
frequent actions; the menu is grouped into sections from the same rules; the household's
payment code is one tap from /me and its shortcuts bar is on every page."""
import re
from datetime import date, timedelta

import pytest

from app.access import permissions
from app.extensions import db
from app.ledger import claims, services
from app.models import Issue, Product
from tests import factories
from tests.meetings_world import make_meeting_world, open_meeting


def _issue(village, household, **fields):
    issue = Issue(village_id=village.id, household_id=household.id, category="道路",
                  description="路灯坏了", **fields)
    db.session.add(issue)
    return issue


def fill(w):
    """Two claims, one objection, issues (new, overdue, supervised), an open meeting and a
    low-stock product in 甲村; the same kinds of things in 乙村, which must not be counted."""
    claims.submit_claim(w.h1_user, w.h1.id, w.good.id, "扫雪")
    claims.submit_claim(w.h2_user, w.h2.id, w.good.id, "扫雪")
    entry = services.award(w.committee, [w.h1.id], w.good.id, "好事")[0]
    claims.object_to(w.h1_user, entry.id, "分数不对")
    yesterday = date.today() - timedelta(days=2)
    _issue(w.home, w.h1)  # registered: new
    _issue(w.home, w.h2, status="handling", deadline=yesterday)  # overdue
    _issue(w.home, w.h3, status="handling", deadline=yesterday, supervised=True)  # both
    _issue(w.home, w.h3, status="confirmed", deadline=yesterday, supervised=True)  # done: none
    _issue(w.other, w.far, status="handling", deadline=yesterday, supervised=True)  # elsewhere
    shop = factories.shop(w.home)
    far_shop = factories.shop(w.other, name="乙村超市")
    db.session.add_all([Product(shop_id=shop.id, name="酱油", points=10, stock=1, low_stock=5),
                        Product(shop_id=shop.id, name="大米", points=50, stock=80),
                        Product(shop_id=far_shop.id, name="盐", points=5, stock=0)])
    db.session.commit()
    return open_meeting(w)


def counts(page: str) -> dict[str, int]:
    """The workbench's rows: id -> the count shown."""
    return {key: int(value) for key, value in re.findall(
        r'id="waiting-([a-z-]+)">\s*<span>[^<]*</span>\s*<span class="[^"]*">(\d+)</span>', page)}


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_meeting_world()


def test_the_committee_lands_on_its_workbench_with_what_waits(client, auth, w):
    meeting_id = fill(w)
    auth.login("committee")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/workbench"
    assert counts(page) == {"claims": 2, "objections": 1, "new-issues": 1, "overdue": 2,
                            "supervised": 1, "meetings": 1, "low-stock": 1, "notifications": 0}
    # One tap to each queue, and the frequent actions as large buttons.
    for href in ("/ledger/claims", "/ledger/objections", "/issues?status=registered",
                 "/issues?status=overdue", "/issues?status=supervised",
                 f"/meetings/{meeting_id}", "/shop/products", "/notifications",
                 "/ledger/award", f"/meetings/{meeting_id}/scan-in"):
        assert f'href="{href}"' in page, href
    for path in re.findall(r'href="(/[^"]*)"', page):
        assert client.get(path, follow_redirects=True).status_code == 200, path


def test_an_empty_village_shows_zeros_and_the_plan_button(client, auth, w):
    auth.login("committee")
    page = client.get("/workbench").get_data(as_text=True)
    assert set(counts(page).values()) == {0}
    assert 'href="/meetings/new"' in page and "scan-in" not in page
    assert re.search(r'<div class="[^"]*" id="waiting-low-stock">', page)  # no shop: no dead link


def test_a_planned_meeting_is_one_tap_from_being_opened(client, auth, w):
    from datetime import UTC, datetime

    from app.meetings import services as meetings

    later = meetings.plan(w.committee, w.home.id, "group", "后", datetime.now(UTC) + timedelta(days=9))
    sooner = meetings.plan(w.committee, w.home.id, "group", "先", datetime.now(UTC) + timedelta(days=2))
    auth.login("committee")
    page = client.get("/workbench").get_data(as_text=True)
    assert f'href="/meetings/{sooner.id}" id="open-next-meeting"' in page
    assert f"/meetings/{later.id}" not in page and 'href="/meetings/new"' in page
    meetings.open_meeting(w.committee, later.id)
    page = client.get("/workbench").get_data(as_text=True)
    assert f'href="/meetings/{later.id}/scan-in"' in page and "open-next-meeting" not in page


def test_an_official_sees_the_issues_under_it(client, auth, w):
    fill(w)
    auth.login("county")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/workbench"
    found = counts(page)
    # The county holds both villages: 乙村's overdue, supervised issue counts too.
    assert (found["overdue"], found["supervised"], found["meetings"]) == (3, 2, 1)
    assert "claims" not in found and 'href="/figures"' in page


@pytest.mark.parametrize("username", ["h1", "leader", "admin"])
def test_others_have_no_workbench(client, auth, w, username):
    auth.login(username)
    assert client.get("/workbench").status_code == 403


def test_the_menu_is_grouped_from_the_same_rules(client, auth, w):
    """Every link of the flat menu is in exactly one place of the grouped bar, and a section
    with one link for this user is that link alone."""
    for user in (w.committee, w.h1_user, w.leader, w.admin, w.county_official):
        bar = permissions.menu_sections_for(user)
        shown = [item for section in bar for item in section.items]
        account = permissions.menu_sections_for(user, "account")[0].items
        assert sorted(shown + list(account)) == sorted(permissions.menu_for(user))
        assert all(len(section.items) > 1 for section in bar if section.key)
    keys = [section.key for section in permissions.menu_sections_for(w.committee)]
    assert {"households", "points", "meetings"} <= set(keys)
    assert len(permissions.menu_sections_for(w.committee)) <= 9
    auth.login("committee")
    page = client.get("/workbench").get_data(as_text=True)
    assert 'id="menu-points"' in page and 'data-bs-toggle="dropdown"' in page
    assert 'href="/ledger/award"' in page
    auth.logout()
    auth.login("h1")
    assert 'href="/ledger/award"' not in client.get("/me").get_data(as_text=True)


def test_the_kept_menu_is_each_accounts_own_in_its_language_and_on_its_page(client, auth, w):
    """The menu's HTML is kept per process (app/access/menu_bar.py), yet each account sees its
    own links, in its own language, with the page it is on marked: each menu served equals the
    one rendered afresh, and one account's never shows on another's page."""
    from app.access import menu_bar

    def nav(path):
        page = client.get(path).get_data(as_text=True)
        return re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>\s*<ul class="navbar-nav">',
                         page, re.S).group(1)

    def served_and_fresh(path):
        served = nav(path)
        menu_bar._KEPT.clear()
        assert nav(path) == served, path
        return served

    auth.login("committee")
    workbench = served_and_fresh("/workbench")
    assert 'href="/ledger/award"' in workbench and "active" in workbench
    award = served_and_fresh("/ledger/award")
    assert re.search(r'class="dropdown-item active" href="/ledger/award"', award)
    assert not re.search(r'class="dropdown-item active" href="/ledger/award"', workbench)
    assert nav("/workbench") == workbench  # kept
    auth.logout()
    auth.login("h1")
    refused = client.get("/workbench")  # the committee's menu is kept for this page
    assert refused.status_code == 403
    own = served_and_fresh("/workbench")
    assert 'href="/ledger/award"' not in own and own != workbench
    w.h1_user.language = "en"
    db.session.commit()
    english = served_and_fresh("/workbench")
    assert english != own and ">Meetings<" in english and "夜谈会" in own
    auth.logout()
    auth.login("committee")
    assert nav("/workbench") == workbench


@pytest.mark.parametrize("language, labels", [
    ("zh-CN", ["我的积分", "付款码", "夜谈会", "问题"]),
    ("zh-TW", ["我的積分", "付款碼", "夜談會", "問題"]),
    ("en-US", ["My points", "Payment code", "Meetings", "Issues"]),
])
def test_household_pays_in_one_tap_and_has_its_shortcuts(client, auth, w, language, labels):
    auth.login("h1")
    page = client.get("/me", headers={"Accept-Language": language}).get_data(as_text=True)
    assert re.search(r'<a class="btn btn-success btn-lg[^"]*" href="/me/pay" id="pay-button">', page)
    bar = page[page.index('id="bottom-bar"'):]
    bar = bar[:bar.index("</nav>")]
    assert re.findall(r'href="([^"]+)"', bar) == ["/me", "/me/pay", "/meetings", "/issues/mine"]
    assert [label.strip() for label in re.findall(r">([^<>]+)</a>", bar)] == labels
    auth.logout()
    auth.login("committee")
    assert 'id="bottom-bar"' not in client.get("/workbench").get_data(as_text=True)


def test_the_shop_keeper_lands_on_its_workbench(client, auth, w):
    shop = factories.shop(w.home)
    db.session.add_all([Product(shop_id=shop.id, name="酱油", points=10, stock=1, low_stock=5),
                        Product(shop_id=shop.id, name="盐", points=5, stock=0),
                        Product(shop_id=shop.id, name="大米", points=50, stock=80),
                        Product(shop_id=shop.id, name="旧货", points=5, stock=0, active=False)])
    factories.user("keeper", "shop", shop_id=shop.id)
    db.session.commit()
    auth.login("keeper")
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/shop"
    assert counts(page) == {"low-stock": 2, "notifications": 0}
    assert re.search(r'class="btn btn-primary btn-lg[^"]*" href="/shop/scan"', page)
    assert page.index("盐 (0)") < page.index("酱油 (1)") and "旧货" not in page
