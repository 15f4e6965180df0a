"""Security headers, friendly error pages and hostile input."""


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_scripts_on_login(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page


def test_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok"


def test_csrf_required_on_login(client):
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
