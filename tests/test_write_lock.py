"""SQLite's write lock is taken where the writing starts (`transaction()`), not at a request's
first read: a sale completes while another request is in the middle of a slow photo upload."""
import io
import threading
import time

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Claim, Redemption, User
from app.shop.catalogue import services as catalogue
from tests import api_world


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 10)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    made = api_world.load(app, client)
    keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
    soap = catalogue.create_product(keeper, keeper.shop_id, "锁肥皂", 5, "日用品", "块")
    catalogue.receive_goods(keeper, soap.id, 10, "village")
    made.ids["soap"] = soap.id
    return made


def test_a_sale_completes_while_a_photo_upload_is_being_resized(app, world, monkeypatch):
    code = world.post("household", "/payment-codes").json["code"]
    uploader = app.test_client()
    signed_in = uploader.post("/login", data={"username": "household",
                                              "password": api_world.demo.DEMO_PASSWORD})
    assert signed_in.status_code == 302
    db.session.remove()  # the test's own session holds nothing while the requests run

    resizing, release = threading.Event(), threading.Event()
    thumbnail = Image.Image.thumbnail

    def slow_thumbnail(image, *args, **kwargs):
        resizing.set()
        release.wait(30)  # the upload stays here until the sale is done
        return thumbnail(image, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "thumbnail", slow_thumbnail)
    upload = {}

    def send_claim():
        upload["status"] = uploader.post("/ledger/claims/new", data={
            "household_id": world.ids["household"], "rule_id": world.ids["home_rule"],
            "description": "修了村口的路", "photo": (io.BytesIO(_png()), "road.png")},
            content_type="multipart/form-data").status_code

    claimer = threading.Thread(target=send_claim)
    claimer.start()
    try:
        assert resizing.wait(10), "the upload never reached the resize"
        started = time.monotonic()
        sale = app.test_client().post(
            "/api/v1/redemptions", headers=world.headers("shop"),
            json={"code": code, "items": [{"product_id": world.ids["soap"], "quantity": 1}]})
        took = time.monotonic() - started
        assert sale.status_code == 201, sale.json
        assert took < 5  # it did not wait for the upload (the lock waits up to 15 s)
        assert claimer.is_alive()  # the upload was still in the middle of its resize
    finally:
        release.set()
        claimer.join(30)
    # The upload read before the sale committed and writes after it: recorded all the same.
    assert upload["status"] == 302
    assert db.session.scalar(sa.select(sa.func.count(Claim.id)).where(Claim.photo.is_not(None))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Redemption.id))) >= 1


def test_a_password_change_hashes_before_its_write_transaction(app, monkeypatch):
    from app.auth import services as auth
    from app.database import transaction
    from app.models import Role
    from tests import factories

    user = factories.user("h1", Role.HOUSEHOLD,
                          household_id=factories.household(factories.village()).id)
    seen = []
    real_check, real_make = auth.check_password_hash, auth.generate_password_hash
    monkeypatch.setattr("app.models.user.check_password_hash",
                        lambda *a: seen.append(("check", transaction.active())) or real_check(*a))
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda *a, **k: seen.append(("hash", transaction.active())) or real_make(*a, **k))
    auth.change_password(user, factories.PASSWORD, "a-new-pass-123")
    assert seen == [("check", False), ("hash", False)]  # neither inside the write lock
    assert user.check_password("a-new-pass-123") and not user.must_change_password
