"""The committee's ledger pages through the client: award, deduct, reverse, entries, rulebook, settings."""
import html
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.ledger import services
from app.models import AuditLog, Household, LedgerEntry, Rule, VillageSettings
from tests.ledger_world import make_world

HIDDEN = re.compile(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)">')


@pytest.fixture
def w(app, client, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages are asserted by their msgids
    world = make_world()
    auth.login("committee")
    return world


def entry_count():
    return db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))


def balance(household):
    db.session.expire_all()
    return db.session.get(Household, household.id).balance


def hidden_fields(page: str) -> dict:
    """The confirmation page's hidden fields, as the browser would post them back."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def preview(client, **data):
    return client.post("/ledger/award/preview", data=data)


def test_award_to_one_household_confirms_before_writing(client, w):
    page = client.get("/ledger/award").get_data(as_text=True)
    assert "好人好事" in page and "乱扔垃圾" not in page and "参加夜谈会" not in page
    response = preview(client, rule_id=w.good.id, target="household", household_number=w.h1.number,
                       note="扶老人过马路")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "一户" in page and 'id="confirm-total">+10<' in page
    assert entry_count() == 0
    fields = hidden_fields(page)
    assert fields["households"] == str(w.h1.id) and len(fields["key"]) >= 16
    response = client.post("/ledger/award/confirm", data=fields)
    assert response.status_code == 302 and response.location.endswith("/ledger/entries?village=%d" % w.home.id)
    assert entry_count() == 1 and balance(w.h1) == 10
    # A double submit or a browser retry of the same confirmation adds nothing.
    client.post("/ledger/award/confirm", data=fields)
    assert entry_count() == 1 and balance(w.h1) == 10
    entry = db.session.scalar(sa.select(LedgerEntry))
    assert entry.note == "扶老人过马路" and entry.actor_id == w.committee.id


def test_award_to_a_grid(client, w):
    page = preview(client, rule_id=w.good.id, target="grid", grid_id=w.grid.id).get_data(as_text=True)
    assert "一户" in page and "二户" in page and "三户" not in page
    assert 'id="confirm-total">+20<' in page and entry_count() == 0
    client.post("/ledger/award/confirm", data=hidden_fields(page))
    assert balance(w.h1) == 10 and balance(w.h2) == 10 and balance(w.h3) == 0


def test_award_to_a_searched_selection(client, w):
    page = client.get("/ledger/award?q=户").get_data(as_text=True)
    assert f'value="{w.h1.id}"' in page and f'value="{w.h3.id}"' in page
    assert "外村" not in page and "data-select-all" in page
    response = client.post("/ledger/award/preview", data={
        "rule_id": w.big.id, "target": "selection", "household_ids": [w.h1.id, w.h3.id]})
    page = response.get_data(as_text=True)
    assert 'id="confirm-total">+200<' in page and entry_count() == 0
    client.post("/ledger/award/confirm", data=hidden_fields(page))
    assert balance(w.h1) == 100 and balance(w.h3) == 100 and balance(w.h2) == 0


def test_forged_household_of_another_village_writes_nothing(client, w):
    response = client.post("/ledger/award/preview", data={
        "rule_id": w.good.id, "target": "selection", "household_ids": [w.h1.id, w.far.id]})
    assert response.status_code == 200 and "not in this village" in response.get_data(as_text=True)
    page = preview(client, rule_id=w.good.id, target="household", household_number=w.h1.number)
    fields = hidden_fields(page.get_data(as_text=True))
    fields["households"] = f"{w.h1.id},{w.far.id}"
    response = client.post("/ledger/award/confirm", data=fields, follow_redirects=True)
    assert "Nothing was recorded" in response.get_data(as_text=True)
    # A rule of the other village, or a deduction rule, through the award form: refused too.
    for rule in (w.other_rule, w.bad):
        client.post("/ledger/award/confirm", data=dict(fields, households=str(w.h1.id), rule_id=rule.id))
    assert entry_count() == 0 and balance(w.far) == 0


def test_deduction_needs_a_reason_and_confirmation(client, w):
    page = client.get("/ledger/deduct").get_data(as_text=True)
    assert "乱扔垃圾" in page and "好人好事" not in page
    response = client.post("/ledger/deduct", data={"rule_id": w.bad.id, "numbers": w.h1.number, "note": ""})
    assert response.status_code == 200 and "A deduction needs a reason" in response.get_data(as_text=True)
    response = client.post("/ledger/deduct", data={"rule_id": w.good.id, "numbers": w.h1.number,
                                                   "note": "x"})
    assert response.status_code == 200 and "confirm-total" not in response.get_data(as_text=True)
    response = client.post("/ledger/deduct", data={"rule_id": w.bad.id, "numbers": f"{w.h1.number}, nope",
                                                   "note": "乱扔"})
    assert "nope" in response.get_data(as_text=True) and "confirm-total" not in response.get_data(as_text=True)
    page = client.post("/ledger/deduct", data={"rule_id": w.bad.id, "numbers": f"{w.h1.number} {w.h2.number}",
                                               "note": "乱扔垃圾"}).get_data(as_text=True)
    assert 'id="confirm-total">-40<' in page and entry_count() == 0
    fields = hidden_fields(page)
    client.post("/ledger/deduct/confirm", data=fields)
    client.post("/ledger/deduct/confirm", data=fields)
    assert entry_count() == 2 and balance(w.h1) == -20 and balance(w.h2) == -20
    # An award rule through the deduction confirmation is refused.
    client.post("/ledger/deduct/confirm", data=dict(fields, key="k" * 20, rule_id=w.good.id))
    assert entry_count() == 2


def _png() -> io.BytesIO:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, "PNG")
    data.seek(0)
    return data


def test_deduction_keeps_a_photo_and_refuses_a_non_image(app, client, w):
    page = client.post("/ledger/deduct", data={"rule_id": w.bad.id, "numbers": w.h1.number,
                                               "note": "乱扔垃圾"}).get_data(as_text=True)
    assert 'type="file"' in page and "multipart/form-data" in page
    fields = hidden_fields(page)
    response = client.post("/ledger/deduct/confirm", data=dict(fields, photo=(io.BytesIO(b"not an image"), "x.jpg")),
                           content_type="multipart/form-data", follow_redirects=True)
    assert "not a photo" in response.get_data(as_text=True) and entry_count() == 0
    client.post("/ledger/deduct/confirm", data=dict(fields, photo=(_png(), "evidence.png")),
                content_type="multipart/form-data")
    client.post("/ledger/deduct/confirm", data=dict(fields, photo=(_png(), "evidence.png")),
                content_type="multipart/form-data")
    entry = db.session.scalar(sa.select(LedgerEntry))
    assert entry_count() == 1 and entry.photo and entry.photo.endswith(".jpg")
    stored = list((Path(app.config["UPLOAD_FOLDER"]) / "photos").iterdir())
    assert [p.name for p in stored] == [entry.photo]  # the replay's photo was discarded
    page = client.get("/ledger/entries").get_data(as_text=True)
    assert f"/ledger/photos/{entry.photo}" in page
    assert client.get(f"/ledger/photos/{entry.photo}").status_code == 200


def test_reverse_confirms_and_happens_once(client, w):
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id)
    page = client.get(f"/ledger/entries/{entry.id}/reverse").get_data(as_text=True)
    assert "This will subtract 10 points from" in page and "一户" in page
    response = client.post(f"/ledger/entries/{entry.id}/reverse", data={"reason": ""})
    assert response.status_code == 200 and entry_count() == 1
    response = client.post(f"/ledger/entries/{entry.id}/reverse", data={"reason": "记错了户"})
    assert response.status_code == 302 and balance(w.h1) == 0 and entry_count() == 2
    response = client.post(f"/ledger/entries/{entry.id}/reverse", data={"reason": "again"},
                           follow_redirects=True)
    assert "already been reversed" in response.get_data(as_text=True)
    assert entry_count() == 2 and balance(w.h1) == 0
    assert "already been reversed" in client.get(f"/ledger/entries/{entry.id}/reverse").get_data(as_text=True)


def test_entries_list_filters_pages_and_marks_reversed(app, client, w):
    app.config["PAGE_SIZE"] = 2
    first = services.award(w.committee, [w.h1.id], w.good.id, note="第一条")[0]
    services.award(w.committee, [w.h2.id], w.big.id)
    services.award(w.committee, [w.h3.id], w.bad.id, note="扣分原因")
    services.reverse(w.committee, first.id, "撤销原因")
    page = client.get("/ledger/entries").get_data(as_text=True)
    assert page.count("<tr") == 3 and "撤销原因" in page and "Next page" in page
    after = re.search(r'after=([\w-]+)', page).group(1)
    page2 = client.get(f"/ledger/entries?after={after}").get_data(as_text=True)
    assert "第一条" in page2 and "Reversed" in page2 and f"/ledger/entries/{first.id}/reverse" not in page2
    page = client.get("/ledger/entries?kind=deduction").get_data(as_text=True)
    assert "扣分原因" in page and "撤销原因" not in page
    page = client.get(f"/ledger/entries?household={w.h2.number}").get_data(as_text=True)
    assert "见义勇为" in page and "扣分原因" not in page
    assert client.get("/ledger/entries?kind=bogus&after=!!!").status_code == 200


def test_rule_edit_keeps_past_entries(client, w):
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id)
    page = client.get(f"/ledger/rulebook/{w.good.id}/edit").get_data(as_text=True)
    assert "future entries only" in page
    response = client.post(f"/ledger/rulebook/{w.good.id}/edit", data={
        "category_id": w.cat.id, "name": "好人好事", "description": "", "points": "50",
        "limit_count": "", "limit_period": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rule, w.good.id).points == 50
    assert db.session.get(LedgerEntry, entry.id).points == 10 and balance(w.h1) == 10


def test_create_category_rule_and_retire(client, w):
    client.post("/ledger/rulebook/categories", data={"name": "环境卫生", "sort_order": "1"})
    page = client.get("/ledger/rulebook").get_data(as_text=True)
    assert "环境卫生" in page and "打扫卫生" in page
    cat_id = db.session.scalar(sa.select(sa.func.max(Rule.category_id)).where(Rule.code == "A01",
                                                                               Rule.village_id == w.home.id))
    response = client.post("/ledger/rulebook/new", data={
        "category_id": cat_id, "code": "B01", "name": "庭院整洁", "points": "3", "limit_count": "1",
        "limit_period": "month"})
    assert response.status_code == 302
    assert "庭院整洁" in client.get("/ledger/award").get_data(as_text=True)
    assert "Retire this rule" in client.get(f"/ledger/rulebook/{w.good.id}/retire").get_data(as_text=True)
    client.post(f"/ledger/rulebook/{w.good.id}/retire")
    page = client.get("/ledger/award").get_data(as_text=True)
    assert "好人好事" not in page and "庭院整洁" in page
    assert "Retired" in client.get("/ledger/rulebook").get_data(as_text=True)


def test_settings_are_saved_through_the_service(client, w):
    response = client.post("/ledger/settings", data={"star2": "50", "star3": "40", "star4": "400",
                                                      "star5": "800", "objection_days": "7"})
    assert response.status_code == 200 and "higher score" in response.get_data(as_text=True)
    assert db.session.get(VillageSettings, w.home.id) is None
    for bad in ({"objection_days": "61"}, {"objection_days": "0"}, {"star2": "abc"}, {"star5": "9" * 30}):
        data = dict({"star2": "50", "star3": "100", "star4": "400", "star5": "800", "objection_days": "7"}, **bad)
        assert client.post("/ledger/settings", data=data).status_code == 200
    assert db.session.get(VillageSettings, w.home.id) is None
    response = client.post("/ledger/settings", data={"star2": "50", "star3": "100", "star4": "400",
                                                      "star5": "800", "objection_days": "10"})
    assert response.status_code == 302
    saved = db.session.get(VillageSettings, w.home.id)
    assert saved.thresholds == (50, 100, 400, 800) and saved.objection_days == 10
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "ledger.settings"))


def _pages(w, entry_id):
    return [("get", "/ledger/award"), ("post", "/ledger/award/preview"), ("post", "/ledger/award/confirm"),
            ("get", "/ledger/deduct"), ("post", "/ledger/deduct/confirm"),
            ("get", f"/ledger/entries/{entry_id}/reverse"), ("post", f"/ledger/entries/{entry_id}/reverse"),
            ("post", "/ledger/rulebook/categories"), ("get", "/ledger/rulebook/new"),
            ("get", f"/ledger/rulebook/{w.good.id}/edit"), ("post", f"/ledger/rulebook/{w.good.id}/retire"),
            ("get", "/ledger/settings"), ("get", "/ledger/entries"), ("get", "/ledger/rulebook")]


@pytest.mark.parametrize("username", ["h1", "committee2", "leader"])
def test_outsiders_are_refused_everywhere(client, auth, w, username):
    (entry,) = services.award(w.committee, [w.h1.id], w.good.id)
    auth.logout()
    auth.login(username)
    data = {"rule_id": w.good.id, "target": "household", "household_number": w.h1.number,
            "households": str(w.h1.id), "key": "k" * 22, "reason": "x", "name": "x"}
    for method, url in _pages(w, entry.id):
        response = getattr(client, method)(url, data=data if method == "post" else None)
        # Another village's committee has its own award and rulebook pages; ids of ours are 404.
        assert response.status_code in (403, 404) or (username == "committee2" and not re.search(r"\d", url)), \
            (username, url)
        # ?village= of the committee's village gives nothing more.
        response = getattr(client, method)(f"{url}?village={w.home.id}", data=data if method == "post" else None)
        assert response.status_code in (403, 404), (username, url)
    assert entry_count() == 1 and balance(w.h1) == 10
    db.session.expire_all()
    assert db.session.get(Rule, w.good.id).active


def test_official_reads_entries_but_cannot_write(client, auth, w):
    from tests import factories

    services.award(w.committee, [w.h1.id], w.good.id, note="官员可见")
    factories.user("official", "official", region_id=w._township.id)
    auth.logout()
    auth.login("official")
    page = client.get(f"/ledger/entries?village={w.home.id}").get_data(as_text=True)
    assert "官员可见" in page and "/reverse" not in page
    assert client.get(f"/ledger/rulebook?village={w.home.id}").status_code == 200
    assert client.get(f"/ledger/award?village={w.home.id}").status_code == 403


def test_admin_uses_village_argument(client, auth, w):
    auth.logout()
    auth.login("admin")
    assert client.get("/ledger/award").status_code == 404
    page = preview(client, rule_id=w.good.id, target="household", household_number=w.h1.number)
    assert page.status_code == 404
    url = f"/ledger/award/preview?village={w.home.id}"
    page = client.post(url, data={"rule_id": w.good.id, "target": "household",
                                  "household_number": w.h1.number}).get_data(as_text=True)
    client.post(f"/ledger/award/confirm?village={w.home.id}", data=hidden_fields(page))
    assert balance(w.h1) == 10


@pytest.mark.parametrize("data", [
    {"rule_id": "abc", "target": "household", "household_number": "0001"},
    {"rule_id": "99999999999999999999", "target": "household", "household_number": "0001"},
    {"rule_id": "-1", "target": "grid", "grid_id": "1"},
    {"target": "household", "household_number": "0001"},
    {"rule_id": "RULE", "target": "nobody"},
    {"rule_id": "RULE", "target": "grid", "grid_id": "abc"},
    {"rule_id": "RULE", "target": "grid", "grid_id": "0"},
    {"rule_id": "RULE", "target": "household", "household_number": ""},
    {"rule_id": "RULE", "target": "household", "household_number": "x" * 40},
    {"rule_id": "RULE", "target": "selection"},
    {"rule_id": "RULE", "target": "selection", "household_ids": ["abc"]},
    {"rule_id": "RULE", "target": "selection", "household_ids": ["-5"]},
    {"rule_id": "RULE", "target": "selection", "household_ids": ["99999999999999999999"]},
    {"rule_id": "RULE", "target": "selection", "household_ids": ["123456"]},
    {"rule_id": "RULE", "target": "selection", "household_ids": [",".join(map(str, range(1, 5001)))]},
])
def test_bad_award_input_gives_a_message_and_writes_nothing(client, w, data):
    data = {k: (str(w.good.id) if v == "RULE" else v) for k, v in data.items()}
    response = preview(client, **data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "confirm-total" not in page and ("alert-danger" in page or "invalid-feedback" in page)
    assert entry_count() == 0


@pytest.mark.parametrize("change", [
    {"households": ""}, {"households": "abc"}, {"households": "1,2,x"}, {"households": "99999999999999999999"},
    {"households": ",".join(map(str, range(1, 5001)))}, {"rule_id": "abc"}, {"rule_id": "99999999999999999999"},
    {"rule_id": "-3"}, {"key": ""}, {"key": "short"}, {"key": "bad key with spaces!!"},
])
def test_bad_confirmation_writes_nothing(client, w, change):
    page = preview(client, rule_id=w.good.id, target="household", household_number=w.h1.number)
    fields = dict(hidden_fields(page.get_data(as_text=True)), **change)
    response = client.post("/ledger/award/confirm", data=fields, follow_redirects=True)
    assert response.status_code == 200 and "alert-danger" in response.get_data(as_text=True)
    assert entry_count() == 0


@pytest.mark.parametrize("url", [
    "/ledger/entries/99999999999999999999/reverse", "/ledger/entries/123456/reverse",
    "/ledger/rulebook/99999999999999999999/edit", "/ledger/rulebook/123456/retire",
    "/ledger/award?village=99999999999999999999", "/ledger/entries?village=99999999999999999999",
    "/ledger/entries?village=-1", "/ledger/rulebook?village=123456",
])
def test_unknown_ids_are_not_found(client, w, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("data", [
    {"points": "abc"}, {"points": "0"}, {"points": "100000"}, {"points": "99999999999999999999"},
    {"points": ""}, {"limit_count": "-1"}, {"limit_count": "abc"}, {"limit_count": "2"},
    {"limit_period": "week"}, {"code": ""}, {"code": "a b"}, {"name": ""}, {"category_id": "abc"},
    {"category_id": "99999999999999999999"}, {"code": "A01"},
])
def test_bad_rule_input_gives_a_message_and_writes_nothing(client, w, data):
    rules = db.session.scalar(sa.select(sa.func.count(Rule.id)))
    form = dict({"category_id": w.cat.id, "code": "Z01", "name": "新规则", "points": "5",
                 "limit_count": "", "limit_period": ""}, **data)
    response = client.post("/ledger/rulebook/new", data=form)
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Rule.id))) == rules
    if "code" in data:
        return  # an edit has no code field
    response = client.post(f"/ledger/rulebook/{w.good.id}/edit", data=form)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Rule, w.good.id).points == 10
