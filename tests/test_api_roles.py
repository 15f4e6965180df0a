"""The role matrix of CONTRACT.md's "JSON API v1": every demo account × every documented call.

Written as data so a gap shows: CALLS has one row per call and target (a household of one's own
village or of another, an entry, a meeting's code, an issue, a payment code, a product), and each
row names the status every demo account gets. Allowed calls must answer with the documented
shape; refused ones with {"error": {"code", "message"}} and no data. A call in the OpenAPI
document without a row fails `test_every_documented_call_has_a_row`.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Optional

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.issues import services as issues
from app.meetings import codes as meeting_codes
from app.models import LedgerEntry, Meeting, Product, Region, Rule, Shop, User
from app.models.base import utcnow
from app.shop import codes as pay_codes
from app.shop.catalogue import services as catalogue
from tests import api_world, factories

# CONTRACT.md's demo accounts, in the order each row runs them (refusals change nothing, so a
# row's allowed accounts may come anywhere).
ACCOUNTS = ("admin", "city", "committee", "shop", "household", "household2", "outsider", "unit")
HOUSEHOLDS = ("household", "household2", "outsider")

ME = {"username", "role", "household_id", "village_id", "shop_id"}
HOUSEHOLD = {"id", "name", "village_id", "balance", "score"}
ENTRY = {"id", "points", "kind", "rule_id", "note", "created_at"}
RULE = {"id", "code", "name", "category", "points"}
PRODUCT = {"id", "name", "points", "stock"}
MEETING = {"id", "format", "topic", "starts_at", "place", "status", "attended"}
ISSUE = {"id", "status", "category", "description", "responsible", "deadline", "overdue_days",
         "timeline"}
NOTIFICATION = {"id", "kind", "text", "created_at", "read"}


def only(allowed: dict, refused: int = 403) -> dict:
    """Every account gets `refused` unless `allowed` names its status."""
    return {account: allowed.get(account, refused) for account in ACCOUNTS}


@dataclass
class Call:
    """One row: a request built per account, the status per account, the shape of a success."""

    method: str
    path: str  # the documented path, with {name} placeholders
    build: Callable  # (world, account) -> (concrete path, JSON body or None, token or None)
    expect: dict
    check: Optional[Callable] = None  # (world, account, JSON) -> None, for a success


def _get(path):
    return lambda w, a: (path.format(**w.ids), None, None)


def _post(path, body=None):
    return lambda w, a: (path.format(**w.ids), body(w, a) if callable(body) else body, None)


def _keys(keys):
    def check(w, a, body):
        assert set(body) == keys, body
    return check


def _each(keys, field=None):
    def check(w, a, body):
        items = body[field] if field else body
        assert isinstance(items, list) and items, body
        for item in items:
            assert set(item) == keys, item
    return check


def _household_of(owner):
    def check(w, a, body):
        assert set(body) == HOUSEHOLD and body["id"] == w.ids[owner]
    return check


def _entries_of(owner):
    def check(w, a, body):
        assert set(body) == {"entries", "next"} and body["entries"]
        assert all(set(e) == ENTRY for e in body["entries"])
        ids = [e["id"] for e in body["entries"]]
        assert set(ids) <= w.entry_ids[owner]
    return check


def _own_village(kind):
    def check(w, a, body):
        village = w.ids["away"] if a == "outsider" else w.ids["home"]
        assert body and {item["id"] for item in body} <= w.by_village[kind][village], (a, body)
    return check


def _award(household):
    return lambda w, a: {"household_ids": [w.ids[household]], "rule_id": w.ids["home_rule"],
                         "note": "matrix", "idempotency_key": f"matrix-{a}"}


def _redemption(owner, product):
    def build(w, a):
        return {"code": w.code_for(owner), "items": [{"product_id": w.ids[product], "quantity": 1}],
                "idempotency_key": f"matrix-{a}"}
    return build


def _check_in(meeting):
    return lambda w, a: {"code": meeting_codes.make_token(w.ids[meeting], utcnow())}


def _fresh_token(method, path):
    def build(w, a):
        return path, None, api_world.sign_in(w.client, a)
    return build


def _sign_in(w, a):
    return "/tokens", {"username": a, "password": api_world.demo.DEMO_PASSWORD}, ""


CALLS = {
    "sign in": Call("POST", "/tokens", _sign_in, only({a: 201 for a in ACCOUNTS}),
                    _keys({"token", "expires_at"})),
    "sign out": Call("DELETE", "/tokens/current", _fresh_token("DELETE", "/tokens/current"),
                     only({a: 204 for a in ACCOUNTS})),
    "me": Call("GET", "/me", _get("/me"), only({a: 200 for a in ACCOUNTS}), _keys(ME)),
    # household (own), its committee, officials above
    "home household": Call("GET", "/households/{household_id}", _get("/households/{household}"),
                           only({"admin": 200, "city": 200, "committee": 200, "household": 200},
                                404) | {"shop": 403, "unit": 403}, _household_of("household")),
    "away household": Call("GET", "/households/{household_id}", _get("/households/{outsider}"),
                           only({"admin": 200, "city": 200, "outsider": 200}, 404) | {"shop": 403, "unit": 403},
                           _household_of("outsider")),
    "home entries": Call("GET", "/households/{household_id}/entries",
                         _get("/households/{household}/entries"),
                         only({"admin": 200, "city": 200, "committee": 200, "household": 200},
                              404) | {"shop": 403, "unit": 403}, _entries_of("household")),
    "away entries": Call("GET", "/households/{household_id}/entries",
                         _get("/households/{outsider}/entries"),
                         only({"admin": 200, "city": 200, "outsider": 200}, 404) | {"shop": 403, "unit": 403},
                         _entries_of("outsider")),
    # committee, household: the account's own village's rules
    "rules": Call("GET", "/rules", _get("/rules"), only({a: 200 for a in ("committee", *HOUSEHOLDS)}),
                  _own_village("rules")),
    # committee
    "award home": Call("POST", "/awards", _post("/awards", _award("household2")),
                       only({"committee": 201}), _each(ENTRY, "entries")),
    "award away household": Call("POST", "/awards", _post("/awards", _award("outsider")),
                                 only({"committee": 403})),
    "award with away rule": Call("POST", "/awards", _post("/awards", lambda w, a: {
        "household_ids": [w.ids["household2"]], "rule_id": w.ids["away_rule"]}), only({"committee": 422})),
    "reverse home entry": Call("POST", "/entries/{entry_id}/reversal",
                               _post("/entries/{home_entry}/reversal", {"reason": "matrix"}),
                               only({"committee": 201}), _keys(ENTRY)),
    "reverse away entry": Call("POST", "/entries/{entry_id}/reversal",
                               _post("/entries/{away_entry}/reversal", {"reason": "matrix"}),
                               only({"committee": 404})),
    # household
    "payment code": Call("POST", "/payment-codes", _post("/payment-codes"),
                         only({a: 201 for a in HOUSEHOLDS}), _keys({"code", "number", "expires_at"})),
    # shop keeper, household: the shop's products (五一村 has a shop of its own in this world)
    "products": Call("GET", "/products", _get("/products"),
                     only({a: 200 for a in ("shop", *HOUSEHOLDS)}), _own_village("products")),
    # shop keeper
    "redeem home code": Call("POST", "/redemptions", _post("/redemptions", _redemption("household", "soap")),
                             only({"shop": 201}), _keys({"id", "household_id", "points", "balance_after"})),
    "redeem away code": Call("POST", "/redemptions", _post("/redemptions", _redemption("outsider", "soap")),
                             only({"shop": 403})),
    "redeem away product": Call("POST", "/redemptions",
                                _post("/redemptions", _redemption("household", "away_product")),
                                only({"shop": 422})),
    # household, committee: the village's meetings
    "meetings": Call("GET", "/meetings", _get("/meetings?limit=100"),
                     only({a: 200 for a in ("committee", *HOUSEHOLDS)}), _own_village("meetings")),
    # household; another village's code is 422
    "check in home": Call("POST", "/check-ins", _post("/check-ins", _check_in("open_meeting")),
                          only({"household": 201, "household2": 201, "outsider": 422}),
                          _keys({"meeting_id"})),
    "check in away": Call("POST", "/check-ins", _post("/check-ins", _check_in("away_meeting")),
                          only({"household": 422, "household2": 422, "outsider": 201}),
                          _keys({"meeting_id"})),
    # household
    "raise issue": Call("POST", "/issues", _post("/issues", {"category": "roads", "description": "矩阵"}),
                        only({a: 201 for a in HOUSEHOLDS}), _keys({"id", "status"})),
    # its raiser, its committee, officials above, its responsible person
    "home issue": Call("GET", "/issues/{issue_id}", _get("/issues/{home_issue}"),
                       only({"admin": 200, "city": 200, "committee": 200, "household": 200,
                             "unit": 200}, 404),
                       _keys(ISSUE)),
    "away issue": Call("GET", "/issues/{issue_id}", _get("/issues/{away_issue}"),
                       only({"admin": 200, "city": 200, "outsider": 200}, 404), _keys(ISSUE)),
    # its raiser; the village's committee and officials may read it but not confirm it
    "confirm home issue": Call("POST", "/issues/{issue_id}/confirmation",
                               _post("/issues/{home_issue}/confirmation", {"satisfied": True}),
                               only({"household": 200, "admin": 403, "city": 403, "committee": 403,
                                     "unit": 403}, 404),
                               _keys(ISSUE)),
    "confirm away issue": Call("POST", "/issues/{issue_id}/confirmation",
                               _post("/issues/{away_issue}/confirmation", {"satisfied": True}),
                               only({"outsider": 200, "admin": 403, "city": 403}, 404), _keys(ISSUE)),
    "notifications": Call("GET", "/notifications", _get("/notifications"),
                          only({a: 200 for a in ACCOUNTS}),
                          lambda w, a, body: set(body) == {"notifications", "next"}
                          and all(set(n) == NOTIFICATION for n in body["notifications"])),
}


class Matrix(api_world.World):
    """The demo world plus what the rows point at in both villages."""

    def code_for(self, username):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        made = pay_codes.issue(user)
        db.session.commit()
        return made["secret"]


def _world(app, client) -> Matrix:
    base = api_world.load(app, client)
    world = Matrix(base.client, base.tokens, base.ids)
    ids = world.ids
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    keeper, admin, committee = users["shop"], users["admin"], users["committee"]
    soap = catalogue.create_product(keeper, keeper.shop_id, "矩阵肥皂", 1, "日用品", "块")
    catalogue.receive_goods(keeper, soap.id, 50, "village")
    away_village = db.session.get(Region, ids["away"])
    away_shop = factories.shop(away_village, "五一村积分超市")
    away_product = catalogue.create_product(admin, away_shop.id, "五一村肥皂", 1, "日用品", "块")
    catalogue.receive_goods(admin, away_product.id, 50, "village")
    home_issue = issues.raise_issue(users["household"], ids["household"], "issue", "roads", "矩阵路灯")
    away_issue = issues.raise_issue(users["outsider"], ids["outsider"], "issue", "roads", "矩阵水渠")
    away_committee = factories.user("matrix-away-committee", "committee", region_id=ids["away"])
    for runner, issue, unit in ((committee, home_issue, users["unit"].id),
                                (away_committee, away_issue, None)):  # 明溪县水利局 answers for 罗翠村's
        issues.assign(runner, issue.id, unit, "村委会", date.today() + timedelta(days=7), "修")
        issues.resolve(runner, issue.id, "修好了")
    away_meeting = Meeting(village_id=ids["away"], format="group", topic="矩阵夜话",
                           starts_at=utcnow() - timedelta(minutes=10), place="五一村村部", status="open")
    db.session.add(away_meeting)
    db.session.commit()
    ids.update(soap=soap.id, away_product=away_product.id, home_issue=home_issue.id,
               away_issue=away_issue.id, away_meeting=away_meeting.id,
               open_meeting=db.session.scalar(sa.select(Meeting.id).where(
                   Meeting.village_id == ids["home"], Meeting.status == "open")))
    world.by_village = {
        "rules": _ids_by_village(Rule.id, Rule.village_id),
        "products": {village: set(db.session.scalars(sa.select(Product.id).join(
            Shop, Shop.id == Product.shop_id).where(Shop.village_id == village)))
            for village in (ids["home"], ids["away"])},
        "meetings": _ids_by_village(Meeting.id, Meeting.village_id),
    }
    world.entry_ids = {owner: set(db.session.scalars(sa.select(LedgerEntry.id).where(
        LedgerEntry.household_id == ids[owner]))) for owner in HOUSEHOLDS}
    return world


def _ids_by_village(id_column, village_column):
    found: dict[int, set] = {}
    for item_id, village_id in db.session.execute(sa.select(id_column, village_column)):
        found.setdefault(village_id, set()).add(item_id)
    return found


def _send(world, method, path, body, token):
    headers = {} if token == "" else {"Authorization": f"Bearer {token or world.tokens[world.account]}"}
    return world.client.open("/api/v1" + path, method=method, json=body, headers=headers)


@pytest.mark.parametrize("name", list(CALLS))
def test_each_call_as_each_demo_account(app, client, name):
    call = CALLS[name]
    world = _world(app, client)
    wrong = []
    for account in ACCOUNTS:
        world.account = account
        path, body, token = call.build(world, account)
        response = _send(world, call.method, path, body, token)
        expected = call.expect[account]
        payload = response.get_json(silent=True)
        if response.status_code != expected:
            wrong.append(f"{account}: {response.status_code} {str(payload)[:200]}, expected {expected}")
            continue
        if expected < 300:
            if call.check is not None:
                try:
                    assert call.check(world, account, payload) is not False
                except AssertionError as error:
                    wrong.append(f"{account}: wrong answer {error}")
        elif not (set(payload) == {"error"} and {"code", "message"} <= set(payload["error"])):
            wrong.append(f"{account}: error not in the documented form: {str(payload)[:200]}")
    assert not wrong, f"{name} ({call.method} {call.path}):\n" + "\n".join(wrong)


def test_every_documented_call_has_a_row(client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), path.removeprefix("/api/v1"))
                  for path, operations in document["paths"].items() for method in operations}
    rows = {(call.method, call.path) for call in CALLS.values()}
    assert documented - rows == set(), "documented calls without a row in CALLS"
    assert rows - documented == set(), "rows for calls the document does not have"
    assert all(set(call.expect) == set(ACCOUNTS) for call in CALLS.values())
