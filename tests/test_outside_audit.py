"""What an outside security audit provoked from the pages (issue 19, items 8 and 10): a query
string naming url_for's own arguments, ids too large for the database, a signed check-in code
naming no possible meeting, an order key reused for another basket, and GET on POST-only
addresses. None may be a 500, and links keep this site's scheme and host."""
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import template_rendered

from app import demo
from app.extensions import db
from app.issues import services as issues
from app.meetings import codes
from app.models import Attendance, Issue
from app.models.shop import Voucher
from tests.meetings_world import make_meeting_world, open_meeting
from tests.shop_world import make_shop_world

HUGE = "99999999999999999999"
# Query strings an outside audit sent to every page with a pager: url_for's own names.
HOSTILE = ["endpoint=x", "_method=POST", "after=zz&endpoint=x", "_external=1&_scheme=javascript",
           "_anchor=top&_external=1", "values=1&household_id=5"]
LEAKS = re.compile(r'href="(?:https?:|javascript:|//)[^"]*"|href="[^"]*(?:endpoint=|_method|_scheme|'
                   r'_external|_anchor|values=|#top)[^"]*"')
# Pages with a pager (templates including _partials/pager.html), /figures and the card sheet,
# each as a role that sees it.
PAGES = {
    "admin": ["/accounts/", "/accounts/audit", "/accounts/units", "/regions/", "/shop/shops"],
    "committee": ["/households/", "/ledger/entries", "/ledger/claims", "/ledger/notice",
                  "/ledger/objections", "/meetings", "/issues", "/shop/cards/sheet",
                  "/notifications"],
    "city": ["/figures", "/issues", "/meetings"],
    "household": ["/ledger/me/history", "/ledger/claims/mine", "/ledger/objections/mine", "/issues/mine",
                  "/issues", "/notifications"],
    "shop": ["/shop/redemptions"],
    "unit": ["/issues/assigned"],
}


def _login(client, username, password="lianxin-demo"):
    client.post("/logout")
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302


def test_query_strings_naming_url_for_arguments_are_not_passed_on(app, client):
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False, PAGE_SIZE=2,
                      PROPAGATE_EXCEPTIONS=False)
    demo.load()
    rendered = set()

    def seen(sender, template, context, **extra):
        rendered.add(template.name)

    template_rendered.connect(seen, app)
    failures = []
    for username, pages in PAGES.items():
        _login(client, username)
        for page in pages:
            for query in HOSTILE:
                response = client.get(f"{page}?{query}")
                leaks = LEAKS.findall(response.text)
                if response.status_code >= 500 or leaks:
                    failures.append((username, page, query, response.status_code, leaks[:2]))
    template_rendered.disconnect(seen, app)
    assert failures == []
    # Every page with a pager was walked (a new one is added to PAGES).
    pagers = {"figures/index.html", "issues/public.html", "issues/index.html", "meetings/index.html",
              "notifications/index.html", "points/history.html", "points/entries.html",
              "claims/mine.html", "claims/queue.html", "households/register.html",
              "regions/overview.html", "shop/redemptions.html", "shop/shops.html",
              "accounts/index.html", "accounts/audit.html", "accounts/units.html",
              "notice/board.html", "notice/mine.html", "notice/queue.html", "shop/card_sheet.html"}
    assert pagers <= rendered
    # The filters a page knows still travel with its pager and sort links.
    _login(client, "committee")
    page = client.get("/meetings?status=closed&endpoint=x").text
    nxt = re.search(r'href="(/meetings\?[^"]*after=[^"]*)"', page).group(1)
    assert "status=closed" in nxt and "endpoint" not in nxt
    _login(client, "city")
    figures = client.get("/figures?start=2026-01&_method=POST").text
    assert "start=2026-01" in re.search(r'href="(/figures\?[^"]*sort=[^"]*)"', figures).group(1)
    assert not re.search(r'href="[^"]*_method', figures)


@pytest.fixture
def mw(app):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return make_meeting_world()


def test_ids_too_large_for_the_database_are_refused_not_500(client, auth, mw):
    meeting_id = open_meeting(mw)
    auth.login("committee")
    ticked = client.post(f"/meetings/{meeting_id}/register", data={"household_id": [HUGE]},
                         follow_redirects=True)
    assert ticked.status_code == 200 and "Choose households of this village." in ticked.text \
        or "本村" in ticked.text
    assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0
    issue = issues.raise_issue(mw.h1_user, mw.h1.id, "issue", "roads", "村口路灯不亮")
    for value in (HUGE, "-1"):
        assigned = client.post(f"/issues/{issue.id}/assign", data={
            "responsible_user_id": value, "responsible_unit": "", "deadline": "2030-12-31",
            "measures": "更换灯泡"}, follow_redirects=True)
        assert assigned.status_code < 500
        assert db.session.get(Issue, issue.id).responsible_user_id is None
    # Every select naming a record: a huge id is refused by the field, never sent to the database.
    raised = client.post("/issues/new", data={"household_id": HUGE, "kind": "issue",
                                              "category": "safety", "description": "桥栏杆松动",
                                              "meeting_id": HUGE})
    assert raised.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Issue.id))) == 1


def test_a_signed_check_in_code_naming_no_possible_meeting(client, auth, mw):
    auth.login("h1")
    for meeting_id in (10**30, 0, -5):
        page = client.get(f"/m/{codes.make_token(meeting_id, datetime.now(UTC))}")
        assert page.status_code == 422 and 'id="check-in-error"' in page.text
    forged = codes._tickets().dumps([10**30, mw.h1.id])
    assert client.post("/m/x", data={"ticket": forged}).status_code == 422


def test_an_order_key_reused_for_another_basket_is_a_conflict(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_shop_world()
    _login(client, "h1", "secret-pass")
    first = client.post("/shop/order", data={"idempotency_key": "o-1", f"qty-{w.oil.id}": "1"})
    assert first.status_code == 302
    # Sent again (a double tap): the same voucher.
    assert client.post("/shop/order", data={"idempotency_key": "o-1", f"qty-{w.oil.id}": "1"}
                       ).headers["Location"] == first.headers["Location"]
    other = client.post("/shop/order", data={"idempotency_key": "o-1", f"qty-{w.soap.id}": "2"})
    assert other.status_code == 409
    assert "用另一份商品提交过了" in other.text
    vouchers = db.session.scalars(sa.select(Voucher)).all()
    assert len(vouchers) == 1 and [(l.product_id, l.quantity) for l in vouchers[0].lines] == [(w.oil.id, 1)]


def test_get_on_a_post_only_address_says_so(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    w = make_shop_world()
    for headers, wanted in (({"Accept-Language": "zh-CN"}, "请求方式不对"),
                            ({"Accept-Language": "en"}, "Wrong kind of request")):
        _login(client, "committee", "secret-pass")
        page = client.get("/logout", headers=headers)
        assert page.status_code == 405 and page.headers["Allow"] == "OPTIONS, POST"
        assert wanted in page.text and "无权访问" not in page.text and "Not allowed" not in page.text
        closed = client.get(f"/meetings/{w.home.id}/close", headers=headers)
        assert closed.status_code == 405 and "POST" in closed.headers["Allow"]
    # A page that takes no form says only that it does not take this request.
    posted = client.post("/figures", headers={"Accept-Language": "en"})
    assert posted.status_code == 405 and "GET" in posted.headers["Allow"]
    assert "does not accept that kind of request" in posted.text
    api = client.get("/api/v1/tokens")
    assert api.status_code == 405 and api.headers["Allow"] == "OPTIONS, POST"
    assert api.json["error"]["code"] == "method_not_allowed"
