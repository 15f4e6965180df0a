"""Payment codes: secret and number stored only as hashes, short-lived, single use, revocable."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import DomainError
from app.extensions import db
from app.models.shop import PaymentCode
from app.shop import codes
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_shop_world()


def test_issued_code_is_random_and_stored_only_as_hashes(w):
    first, second = codes.issue(w.h1_user), codes.issue(w.h1_user)
    assert first["secret"] != second["secret"] and first["number"] != second["number"]
    assert len(first["secret"]) >= 2 + 22 and len(first["number"]) == 12  # 128 bits after P1
    assert first["qr"].startswith("data:image/svg+xml;base64,")
    dumped = " ".join(str(v) for row in db.session.execute(sa.select(PaymentCode.__table__))
                      for v in row)
    assert first["secret"] not in dumped and first["number"] not in dumped
    seconds = (first["expires_at"] - datetime.now(UTC)).total_seconds()
    assert 50 < seconds <= 60


def test_only_households_get_codes(w):
    with pytest.raises(DomainError):
        codes.issue(w.keeper)


@pytest.mark.parametrize("how", ["secret", "number", "spaced"])
def test_code_is_held_and_claimed_once(w, how):
    code = codes.issue(w.h1_user)
    text = {"secret": code["secret"], "number": code["number"],
            "spaced": f"{code['number'][:4]} {code['number'][4:8]}-{code['number'][8:]}"}[how]
    held = codes.hold(w.keeper, text)
    assert held.household_id == w.h1.id and held.held_by == w.keeper.id
    with pytest.raises(codes.CodeInvalid):  # another counter cannot take it over
        codes.hold(w.other_keeper, text)
    codes.claim(w.keeper, text)
    db.session.commit()
    with pytest.raises(codes.CodeInvalid):
        codes.claim(w.keeper, text)


def _message(action):
    with pytest.raises(codes.CodeInvalid) as caught:
        action()
    db.session.rollback()
    return caught.value.message, caught.value.status


def test_used_expired_revoked_unknown_and_forged_codes_get_one_answer(w):
    used = codes.issue(w.h1_user)
    codes.claim(w.keeper, used["secret"])
    db.session.commit()
    expired = codes.issue(w.h1_user)
    db.session.execute(PaymentCode.__table__.update().values(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)).where(
        PaymentCode.__table__.c.secret_hash == codes._secret_hash(expired["secret"])))
    db.session.commit()
    revoked = codes.issue(w.h1_user)
    assert codes.revoke_all(w.h1_user) == 1
    answers = {_message(lambda: codes.hold(w.keeper, used["secret"])),
               _message(lambda: codes.hold(w.keeper, expired["secret"])),
               _message(lambda: codes.hold(w.keeper, revoked["number"])),
               _message(lambda: codes.hold(w.keeper, "P1" + "A" * 22)),
               _message(lambda: codes.hold(w.keeper, revoked["secret"][:-1] + "x")),
               _message(lambda: codes.hold(w.keeper, "000000000000"))}
    assert len(answers) == 1 and answers.pop()[1] == 409


def test_pay_page_get_writes_nothing_and_post_issues(client, w):
    client.post("/login", data={"username": "h1", "password": "secret-pass"})
    page = client.get("/me/pay")
    assert page.status_code == 200 and 'src="/static/js/pay.js?v=' in page.text
    assert db.session.scalar(sa.select(sa.func.count(PaymentCode.id))) == 0
    data = client.post("/me/pay/code").get_json()
    assert data["qr"].startswith("data:image/svg+xml") and len(data["number"].replace(" ", "")) == 12
    assert data["seconds"] == 60
    shown = client.post("/me/pay")
    assert shown.status_code == 200 and "data:image/svg+xml" in shown.text
    assert db.session.scalar(sa.select(sa.func.count(PaymentCode.id))) == 2
    client.post("/me/pay/revoke")
    assert db.session.scalar(sa.select(sa.func.count(PaymentCode.id))
                             .where(PaymentCode.revoked_at.is_not(None))) == 2


def test_pay_page_is_for_households_only(client, w):
    client.post("/login", data={"username": "keeper", "password": "secret-pass"})
    assert client.get("/me/pay").status_code == 403
    assert client.post("/me/pay/code").status_code == 403
