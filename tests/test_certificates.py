"""Points certificates: signed statements verify, altered or foreign ones do not, withdrawn ones
say so, the QR printed in the PDF leads a session-less phone to the verdict; who may do what."""
import io
import re
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.certificates import document, services, signing
from app.extensions import db
from app.ledger import services as ledger
from app.models import AuditLog, Certificate
from app.rankings import reads
from tests import factories
from tests.ledger_world import make_world


@pytest.fixture(autouse=True)
def _forms(request):
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["WTF_CSRF_ENABLED"] = False


def _issued(app, w, points=True):
    """h1 with 110 points (awards 100 + 10) and h2 with 10: h1 ranks first of three."""
    if points:
        ledger.award(w.committee, [w.h1.id], w.big.id)
        ledger.award(w.committee, [w.h1.id, w.h2.id], w.good.id)
    with app.test_request_context(base_url="https://lianxin.example"):
        return services.issue(w.h1_user, db.session.get(type(w.h1), w.h1.id))


def _tamper(token: str, at: int) -> str:
    """The token with one byte of its decoded bytes changed, re-encoded."""
    raw = bytearray(signing.unb64url(token))
    raw[at] ^= 0x01
    return signing.b64url(bytes(raw))


def test_statement_round_trips_and_masks():
    s = signing.Statement(7, __import__("datetime").date(2026, 12, 7), "罗翠|村", "A-12", "张*明",
                          120, -5, 2, 3, 40)
    back = signing.Statement.decode(s.encode())
    assert back.village == "罗翠/村" and back.balance == -5 and back.households == 40
    assert signing.mask("张小明") == "张*明"
    assert signing.mask("张三") == "张*"
    assert signing.mask("欧阳小明") == "欧**明"
    assert signing.mask("王") == "王"


def test_a_certificate_verifies_with_the_figures_and_a_masked_name(app, client):
    w = make_world()
    certificate = _issued(app, w)
    verdict = services.check(certificate.token)
    assert verdict.genuine
    s = verdict.statement
    assert (s.number, s.village, s.household_number) == (certificate.id, "甲村", w.h1.number)
    assert (s.score, s.balance, s.rank, s.households) == (110, 110, 1, 3)
    assert s.head == "一*" and s.stars == reads.standing(w.h1).stars >= 1
    page = client.get(f"/verify/{certificate.token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-verdict="genuine"' in text
    assert "甲村" in text and "一*" in text and "一户" not in text
    assert page.headers["Cache-Control"] == "no-store"


def test_one_changed_byte_or_another_key_does_not_verify(app, client):
    w = make_world()
    token = _issued(app, w).token
    length = len(signing.unb64url(token))
    for at in (0, 5, length // 2, length - 64, length - 1):  # statement bytes and signature bytes
        altered = _tamper(token, at)
        assert services.check(altered).statement is None, at
        page = client.get(f"/verify/{altered}")
        assert page.status_code == 404 and 'data-verdict="invalid"' in page.get_data(as_text=True)
    statement = services.statement_of(db.session.get(Certificate, 1) or
                                       db.session.scalars(db.select(Certificate)).first())
    forged = signing.sign(statement, Ed25519PrivateKey.generate())
    assert services.check(forged).statement is None
    for garbage in ("x", "A" * 500, "!!!!", token[:-3], token + "AA"):
        assert client.get(f"/verify/{garbage}").status_code == 404


def test_a_withdrawn_certificate_says_so(app, client, auth):
    w = make_world()
    certificate = _issued(app, w)
    number, token = certificate.id, certificate.token
    auth.login("committee")
    page = client.post(f"/certificates/{number}/withdraw", data={"reason": "户主申请作废"})
    assert page.status_code == 302  # no confirmation: nothing withdrawn
    assert services.check(token).genuine
    client.post(f"/certificates/{number}/withdraw", data={"reason": "户主申请作废", "confirm": "yes"})
    verdict = services.check(token)
    assert verdict.statement is not None and verdict.withdrawn_at is not None and not verdict.genuine
    assert db.session.get(Certificate, number).withdrawn_by_id == w.committee.id
    assert db.session.scalar(db.select(AuditLog.id).where(AuditLog.action == "certificate.withdraw"))
    fresh = app.test_client()
    text = fresh.get(f"/verify/{token}").get_data(as_text=True)
    assert 'data-verdict="withdrawn"' in text


def test_the_pdf_is_one_page_and_its_qr_opens_the_verdict_without_a_session(app, client, auth):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (requirements-dev.txt) rasterises the PDF")
    zxingcpp = pytest.importorskip("zxingcpp")
    pytest.importorskip("weasyprint")
    w = make_world()
    ledger.award(w.committee, [w.h1.id], w.big.id)
    auth.login("h1")
    issued = client.post("/certificates/issue")
    assert issued.status_code == 302
    number = int(issued.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    response = client.get(f"/certificates/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = pdfium.PdfDocument(io.BytesIO(response.data))
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    image = pdf[0].render(scale=200 / 72).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1
    url = urlsplit(codes[0].text)
    assert url.scheme in ("http", "https") and url.netloc and url.path.startswith("/verify/")
    phone = app.test_client()  # no session, no cookie
    page = phone.get(url.path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-verdict="genuine"' in text
    assert "100" in text and "甲村" in text
    assert services.check(url.path.rsplit("/", 1)[-1]).statement.number == number


def test_qr_version_stays_low(app):
    w = make_world()
    certificate = _issued(app, w)
    with app.test_request_context(base_url="https://lianxin.example.cn"):
        _image, version = document.qr(document.verify_url(certificate.token))
    assert version <= 10


def test_public_key_is_published_and_the_cli_verifies_offline(app, client, runner, tmp_path):
    w = make_world()
    token = _issued(app, w).token
    pem = client.get("/verify/key.pem").get_data(as_text=True)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    jwk = client.get("/verify/key.json").get_json()["keys"][0]
    assert jwk["crv"] == "Ed25519"
    assert "Ed25519" in client.get("/verify/key").get_data(as_text=True)
    path = tmp_path / "site.pem"
    path.write_text(pem)
    result = runner.invoke(args=["certificates", "verify", f"https://x/verify/{token}", "--key", str(path)])
    assert result.exit_code == 0 and "VALID" in result.output and "score: 110" in result.output
    result = runner.invoke(args=["certificates", "verify", _tamper(token, 3), "--key", jwk["x"]])
    assert result.exit_code == 1 and "NOT VALID" in result.output
    other = signing.b64url(signing.raw_public(Ed25519PrivateKey.generate().public_key()))
    assert runner.invoke(args=["certificates", "verify", token, "--key", other]).exit_code == 1


def test_a_new_secret_key_needs_the_old_public_key_listed(app):
    w = make_world()
    token = _issued(app, w).token
    old = signing.b64url(signing.raw_public(services.private_key().public_key()))
    app.config["SECRET_KEY"] = "another-secret"
    assert services.check(token).statement is None
    app.config["CERTIFICATE_PREVIOUS_KEYS"] = [old]
    assert services.check(token).genuine


def test_who_may_issue_read_and_withdraw(app, client, auth):
    w = make_world()
    certificate = _issued(app, w)
    number = certificate.id
    factories.user("city", "official", region_id=w._city.id)
    # The household: its own certificate, not another's, never withdraws.
    auth.login("h1")
    assert client.get(f"/certificates/{number}").status_code == 200
    assert client.get("/certificates").status_code == 200
    assert client.post(f"/certificates/{number}/withdraw",
                       data={"reason": "x", "confirm": "yes"}).status_code == 302
    assert services.check(certificate.token).genuine
    auth.logout()
    auth.login("h2")
    assert client.get(f"/certificates/{number}").status_code == 404
    assert client.get(f"/certificates/{number}.pdf").status_code == 404
    auth.logout()
    # Another village's committee: 404 everywhere, cannot issue for h1.
    auth.login("committee2")
    assert client.get(f"/certificates/{number}").status_code == 404
    assert client.post(f"/certificates/{number}/withdraw",
                       data={"reason": "x", "confirm": "yes"}).status_code == 404
    assert client.post("/certificates/issue", data={"household": w.h1.id}).status_code == 404
    assert client.get(f"/certificates?village={w.home.id}").status_code == 404
    auth.logout()
    # The official above reads, does not withdraw.
    auth.login("city")
    assert client.get(f"/certificates/{number}").status_code == 200
    listing = client.get(f"/certificates?village={w.home.id}").get_data(as_text=True)
    assert f"/certificates/{number}" in listing
    assert client.post("/certificates/issue", data={"household": w.h1.id}).status_code == 404
    assert "withdraw" not in client.get(f"/certificates/{number}").get_data(as_text=True)
    client.post(f"/certificates/{number}/withdraw", data={"reason": "x", "confirm": "yes"})
    assert services.check(certificate.token).genuine
    auth.logout()
    # The committee issues for its household and lists its village's.
    auth.login("committee")
    made = client.post("/certificates/issue", data={"household": w.h2.id})
    assert made.status_code == 302
    assert client.post("/certificates/issue", data={"household": "99999999999999999"}).status_code == 404
    assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 2
    assert re.search(r"/certificates/2\b", client.get("/certificates").get_data(as_text=True))
    # Not signed in: the pages of the certificates need an account; the verdict does not.
    auth.logout()
    assert client.get(f"/certificates/{number}").status_code in (302, 401)
    assert client.get(f"/verify/{certificate.token}").status_code == 200


def test_verification_is_rate_limited_per_address(app):
    app.config["CERTIFICATE_VERIFY_LIMIT"] = "3 per minute"
    phone = app.test_client()
    codes = [phone.get("/verify/not-a-token").status_code for _ in range(4)]
    assert codes[:3] == [404, 404, 404] and codes[3] == 429
    other = app.test_client().get("/verify/not-a-token",
                                  environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 404
