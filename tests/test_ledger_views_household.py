"""The household's ledger pages: /me, history, rulebook, claims, objections, the notice board."""
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.ledger import rules, services
from app.models import Claim, Household, LedgerEntry, Objection
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture
def w(app, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_world()
    world.auth = auth
    return world


def _balance(household):
    db.session.expire_all()
    return db.session.get(Household, household.id).balance


def _count(model):
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def _old_entry(w, household, days):
    """An award made `days` ago (entries are append-only, so it goes in through import_entries)."""
    services.import_entries([dict(household_id=household.id, village_id=household.village_id,
                                  points=10, kind="award", rule_id=w.good.id, note="旧的",
                                  created_at=datetime.now(UTC) - timedelta(days=days))])
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.max(LedgerEntry.id)))


def _claim(w, description):
    claim = Claim(household_id=w.h1.id, rule_id=w.good.id, description=description,
                  status="pending", submitted_by=w.h1_user.id)
    db.session.add(claim)
    db.session.commit()
    return claim


def _text(response):
    return response.get_data(as_text=True)


# --- /me, history, rulebook ----------------------------------------------------------------------

def test_me_shows_balance_score_stars_and_entries(client, w):
    services.award(w.committee, [w.h1.id], w.big.id, "救人")
    services.award(w.committee, [w.h1.id], w.bad.id, "垃圾")
    w.auth.login("h1")
    page = _text(client.get("/me"))
    assert re.search(r'id="balance">80<', page) and re.search(r'id="score">80<', page)
    assert "★☆☆☆☆" in page  # 80 points: one star (the second needs 100)
    assert "见义勇为" in page and "乱扔垃圾" in page and "+100" in page and "-20" in page
    assert "/ledger/me/history" in page and "/ledger/notice" in page


def test_history_is_keyset_paginated_and_only_own(app, client, w):
    app.config["PAGE_SIZE"] = 2
    for _ in range(3):
        services.award(w.committee, [w.h1.id], w.good.id)
    services.award(w.committee, [w.h2.id], w.big.id)
    w.auth.login("h1")
    first = _text(client.get("/ledger/me/history"))
    assert first.count("好人好事") == 2 and "见义勇为" not in first
    cursor = re.search(r"after=([A-Za-z0-9_-]+)", first).group(1)
    second = _text(client.get(f"/ledger/me/history?after={cursor}"))
    assert second.count("好人好事") == 1
    assert client.get("/ledger/me/history?after=%%%garbage").status_code == 200
    assert client.get("/ledger/claims").status_code == 403  # the committee's queue


def test_rulebook_lists_active_rules_by_category(client, w):
    rules.retire_rule(w.committee, w.daily.id)
    w.auth.login("h1")
    page = _text(client.get("/ledger/rules"))
    assert "乡风文明" in page and "见义勇为" in page and "+100" in page and "-20" in page
    assert "打扫卫生" not in page
    assert client.get(f"/ledger/rules?village={w.other.id}").status_code == 404


# --- claims --------------------------------------------------------------------------------------

def test_claim_approved_raises_balance_and_household_sees_it(client, w):
    w.auth.login("h1")
    response = client.post("/ledger/claims/new", data={
        "household_id": w.h1.id, "rule_id": w.good.id, "description": "帮邻居修屋顶",
        "photo": (_png(), "roof.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    claim = db.session.scalar(sa.select(Claim))
    assert claim.status == "pending" and claim.photo.endswith(".jpg")
    assert client.get(f"/ledger/photos/{claim.photo}").status_code == 200
    w.auth.logout()
    w.auth.login("committee")
    queue = _text(client.get("/ledger/claims"))
    assert "帮邻居修屋顶" in queue and f"/ledger/photos/{claim.photo}" in queue
    assert client.get(f"/ledger/photos/{claim.photo}").status_code == 200
    assert client.post(f"/ledger/claims/{claim.id}/approve").status_code == 302
    assert _balance(w.h1) == 10
    client.post(f"/ledger/claims/{claim.id}/approve")  # a second click awards nothing more
    assert _balance(w.h1) == 10
    assert "帮邻居修屋顶" in _text(client.get("/ledger/claims?status=decided"))
    w.auth.logout()
    w.auth.login("h1")
    mine = _text(client.get("/ledger/claims/mine"))
    assert "帮邻居修屋顶" in mine and "text-bg-success" in mine


def test_reject_needs_a_reason_and_household_reads_it(client, w):
    claim = _claim(w, "扫街")
    w.auth.login("committee")
    client.post(f"/ledger/claims/{claim.id}/reject", data={"reason": "  "})
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "pending"
    client.post(f"/ledger/claims/{claim.id}/reject", data={"reason": "没有照片为证"})
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "rejected"
    assert _balance(w.h1) == 0
    w.auth.logout()
    w.auth.login("h1")
    assert "没有照片为证" in _text(client.get("/ledger/claims/mine"))


def test_another_villages_committee_gets_404(client, w):
    claim = _claim(w, "外村看不到")
    w.auth.login("committee2")
    assert client.post(f"/ledger/claims/{claim.id}/approve").status_code == 404
    assert client.post(f"/ledger/claims/{claim.id}/reject", data={"reason": "x"}).status_code == 404
    assert client.post("/ledger/claims/99999999/approve").status_code == 404
    assert "外村看不到" not in _text(client.get("/ledger/claims"))
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "pending" and _balance(w.h1) == 0


@pytest.mark.parametrize("rule_id", ["abc", "99999999999999999999999", "-1", "DEDUCTION", "OTHER"])
def test_bad_claims_write_nothing(client, w, rule_id):
    rule_id = {"DEDUCTION": w.bad.id, "OTHER": w.other_rule.id}.get(rule_id, rule_id)
    w.auth.login("h1")
    response = client.post("/ledger/claims/new", data={
        "household_id": w.h1.id, "rule_id": rule_id, "description": "x"})
    assert response.status_code == 200
    assert _count(Claim) == 0


def test_claim_for_another_household_is_refused(client, w):
    w.auth.login("h1")
    for household in (w.h2, w.far):
        response = client.post("/ledger/claims/new", data={
            "household_id": household.id, "rule_id": w.good.id, "description": "x"})
        assert response.status_code == 200
    assert _count(Claim) == 0


def test_grid_leader_claims_for_grid_households_only(client, w):
    w.auth.login("leader")
    assert client.post("/ledger/claims/new", data={
        "household_id": w.h2.id, "rule_id": w.good.id, "description": "二户扫街"}).status_code == 302
    assert client.post("/ledger/claims/new", data={
        "household_id": w.h3.id, "rule_id": w.good.id, "description": "三户"}).status_code == 200
    assert [c.household_id for c in db.session.scalars(sa.select(Claim))] == [w.h2.id]
    assert "二户扫街" in _text(client.get("/ledger/claims/mine"))


# --- objections ----------------------------------------------------------------------------------

def test_objection_reversed_by_committee(client, w):
    (entry,) = services.award(w.committee, [w.h1.id], w.big.id, "救人")
    w.auth.login("h1")
    assert f"/ledger/entries/{entry.id}/object" in _text(client.get("/me"))
    assert client.post(f"/ledger/entries/{entry.id}/object",
                       data={"reason": "记错了户"}).status_code == 302
    objection = db.session.scalar(sa.select(Objection))
    assert objection.status == "open"
    w.auth.logout()
    w.auth.login("committee")
    assert "记错了户" in _text(client.get("/ledger/objections"))
    client.post(f"/ledger/objections/{objection.id}/reverse", data={"answer": ""})
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == "open"  # the answer is required
    client.post(f"/ledger/objections/{objection.id}/reverse", data={"answer": "核实后撤销"})
    assert _balance(w.h1) == 0
    w.auth.logout()
    w.auth.login("h1")
    mine = _text(client.get("/ledger/objections/mine"))
    assert "核实后撤销" in mine


def test_objection_upheld(client, w):
    (entry,) = services.award(w.committee, [w.h1.id], w.bad.id, "烧秸秆")
    w.auth.login("h1")
    client.post(f"/ledger/entries/{entry.id}/object", data={"reason": "没有烧"})
    objection = db.session.scalar(sa.select(Objection))
    w.auth.logout()
    w.auth.login("committee")
    client.post(f"/ledger/objections/{objection.id}/uphold", data={"answer": "有照片"})
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == "upheld" and _balance(w.h1) == -20


def test_objection_after_the_window_is_refused(client, w):
    old = _old_entry(w, w.h1, days=30)
    w.auth.login("h1")
    assert f"/ledger/entries/{old}/object" not in _text(client.get("/me"))
    response = client.post(f"/ledger/entries/{old}/object", data={"reason": "太晚"},
                           follow_redirects=True)
    assert response.status_code == 200 and "7" in _text(response)
    assert _count(Objection) == 0


def test_cannot_object_to_another_households_or_villages_entry(client, w):
    (other,) = services.award(w.committee, [w.h2.id], w.good.id)
    (far,) = services.award(w.other_committee, [w.far.id], w.other_rule.id)
    w.auth.login("h1")
    for entry_id in (other.id, far.id, 99999999):
        assert client.post(f"/ledger/entries/{entry_id}/object",
                           data={"reason": "x"}).status_code == 404
    assert client.get("/ledger/entries/99999999999999999999/object").status_code == 404
    assert _count(Objection) == 0
    w.auth.logout()
    w.auth.login("committee2")
    (mine,) = services.award(w.committee, [w.h1.id], w.good.id)
    assert client.post(f"/ledger/objections/{mine.id}/uphold", data={"answer": "x"}).status_code == 404


# --- notice board --------------------------------------------------------------------------------

def test_notice_shows_the_villages_month_only(client, w):
    services.award(w.committee, [w.h2.id], w.big.id)
    services.award(w.other_committee, [w.far.id], w.other_rule.id)
    old = _old_entry(w, w.h3, days=40)
    w.auth.login("h1")
    page = _text(client.get("/ledger/notice"))
    assert "二户" in page and "见义勇为" in page
    assert "外村" not in page and "三户" not in page
    month = (db.session.get(LedgerEntry, old).created_at
             .astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m"))
    assert "三户" in _text(client.get(f"/ledger/notice?month={month}"))
    assert client.get(f"/ledger/notice?village={w.other.id}").status_code == 404
    for bad in ("2024-13", "x", "99999-01", "2024-1"):
        assert client.get(f"/ledger/notice?month={bad}").status_code == 200


def test_notice_reversed_entries_are_marked(client, w):
    (entry,) = services.award(w.committee, [w.h2.id], w.big.id)
    services.reverse(w.committee, entry.id, "记错")
    w.auth.login("committee")
    page = _text(client.get("/ledger/notice"))
    assert "text-decoration-line-through" in page


def test_print_view_lists_every_entry(app, client, w):
    app.config["PAGE_SIZE"] = 1
    services.award(w.committee, [w.h1.id, w.h2.id, w.h3.id], w.good.id)
    w.auth.login("committee")
    page = _text(client.get("/ledger/notice/print"))
    assert all(name in page for name in ("一户", "二户", "三户")) and "甲村" in page
    assert "js/notice.js" in page and "<thead>" in page


def test_notice_for_officials_and_not_for_shops(client, w):
    factories.user("county", "official", region_id=w._county.id)
    shop = factories.shop(w.home)
    factories.user("shopkeeper", "shop", shop_id=shop.id)
    services.award(w.committee, [w.h1.id], w.good.id)
    w.auth.login("county")
    assert "一户" in _text(client.get(f"/ledger/notice?village={w.home.id}"))
    assert "乙村" in _text(client.get(f"/ledger/notice?village={w.other.id}"))  # same county
    outside = factories.village("丁村")
    assert client.get(f"/ledger/notice?village={outside.id}").status_code == 404
    assert client.get("/ledger/notice?village=abc").status_code == 404
    assert client.get("/ledger/notice?village=99999999999999999999").status_code == 404
    w.auth.logout()
    w.auth.login("shopkeeper")
    assert client.get("/ledger/notice").status_code == 403
