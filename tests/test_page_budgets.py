"""Each page a household, grid leader or shop keeper sees, and the committee's register, entries
and workbench, has a budget of SQL queries (issue 21's page-cost budget), measured on the demo.

A change that adds a query to one of these pages fails here, on either database: lower the
budget when a page gets cheaper, raise it only with the reason in the commit (per-page cost once
doubled unnoticed). A page that joins a role's menu fails until it has a budget.
"""
import sqlalchemy as sa
from flask import url_for

from app import demo
from app.access.permissions import menu_for
from app.extensions import db
from app.models import User
from tests.test_queries import count_queries

# (role, endpoint) -> queries for one GET with a cold session, BEGIN not counted; the same on
# SQLite and PostgreSQL (measured 2026-12-07 on the demo). /me was 13 until its household came
# with its village and grid in one query, then 11; 6 since the account's unread count comes with
# the account (one query fewer on every page), a household's village settings come with it, and
# an entry list's reversals and objections come in one query (issue 21). Each page is measured in
# a transaction of its own, as a request is (what one transaction remembers must not count).
BUDGETS = {
    ("household", "api_pages.token_list"): 2,
    ("household", "claims.my_claims"): 2,
    ("household", "issues.index"): 3,
    ("household", "issues.mine"): 2,
    ("household", "main.me"): 6,
    ("household", "points.me_history"): 4,
    ("household", "notifications.index"): 2,
    ("shop", "notifications.index"): 2,
    ("household", "meetings.index"): 4,
    ("household", "notice.notice"): 7,
    ("household", "rulebook.rules"): 5,
    ("household", "shop.catalogue_page"): 5,
    ("household", "shop.my_vouchers"): 3,
    ("household", "shop.pay"): 2,
    ("gridleader", "api_pages.token_list"): 2,
    ("gridleader", "claims.my_claims"): 2,
    ("gridleader", "households.register"): 6,
    ("gridleader", "notice.notice"): 7,
    ("gridleader", "rankings.ranking"): 6,
    ("gridleader", "rulebook.rules"): 5,
    ("shop", "api_pages.token_list"): 2,
    ("shop", "main.shop_home"): 8,
    ("shop", "shop.monthly_statement"): 8,
    ("shop", "shop.products"): 4,
    ("shop", "shop.redemptions"): 6,
    ("shop", "shop.scan"): 1,
    ("committee", "households.register"): 6,
    ("committee", "main.workbench"): 3,
    ("committee", "points.entries"): 6,
}
# Pages of the committee's that are budgeted too (its menu is long; these are its daily lists).
COMMITTEE_PAGES = ("main.workbench", "households.register", "points.entries")
# Pages a role reaches from its first page rather than from the menu.
LINKED_PAGES = {"household": ("points.me_history", "notifications.index"),
                "shop": ("notifications.index",)}
ROLES = ("household", "gridleader", "shop", "committee")


def _pages(app, role: str) -> list[tuple[str, str]]:
    user = db.session.scalar(sa.select(User).where(User.username == role))
    endpoints = [item.endpoint for item in menu_for(user)] + list(LINKED_PAGES.get(role, ()))
    if role == "committee":
        endpoints = [e for e in endpoints if e in COMMITTEE_PAGES]
    with app.test_request_context():
        return [(endpoint, url_for(endpoint)) for endpoint in endpoints]


def test_every_budgeted_page_keeps_its_query_budget(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    demo.load()
    db.session.commit()
    measured, over, missing = {}, [], []
    for role in ROLES:
        assert auth.login(role, demo.DEMO_PASSWORD).status_code == 302
        for endpoint, path in _pages(app, role):
            client.get(path)  # once to warm what a process keeps (compiled rules, the menu)
            db.session.rollback()  # the test shares the requests' session: start each cold,
            db.session.expunge_all()  # as a request does (a new transaction, nothing loaded)
            with count_queries() as statements:
                status = client.get(path).status_code
            assert status == 200, (role, path, status)
            measured[(role, endpoint)] = count = len(statements)
            budget = BUDGETS.get((role, endpoint))
            if budget is None:
                missing.append((role, endpoint, count))
            elif count != budget:  # cheaper too: lower the budget, so it stays a budget
                over.append((role, endpoint, path, count, budget))
        auth.logout()
    assert not missing, f"pages without a budget (role, endpoint, queries now): {missing}"
    assert not over, f"off budget (role, endpoint, path, queries, budget): {over}"
    unused = set(BUDGETS) - set(measured)
    assert not unused, f"budgets for pages no longer shown: {unused}"
