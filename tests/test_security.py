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


def test_favicon_is_served_where_browsers_ask_for_it(client):
    """A page without an icon link (the printable card sheet) makes the browser fetch
    /favicon.ico; a 404 there is an error in the console of every such page."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_csrf_required_on_login(client):
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400


def test_huge_and_bad_ids_are_not_found_not_errors(app, client, auth):
    """Ids beyond the database's integer range must not reach PostgreSQL and overflow."""
    from app.models import Role
    from tests import factories

    app.config["WTF_CSRF_ENABLED"] = False
    village = factories.village()
    factories.user("off", Role.OFFICIAL, region_id=village.parent_id)
    factories.user("com", Role.COMMITTEE, region_id=village.id)
    huge = "99999999999999999999"
    auth.login("off")
    assert client.get(f"/regions/?region={huge}").status_code == 200
    assert client.get("/regions/?region=-5").status_code == 200
    assert client.get(f"/households/?village={huge}").status_code == 404
    client.post("/logout")
    auth.login("com")
    for path in (f"/households/{huge}", f"/households/{huge}/edit", "/households/0",
                 "/households/-1", f"/households/?village={huge}&after=%25%25"):
        assert client.get(path).status_code in (200, 404), path
    # A NUL byte (which PostgreSQL text cannot hold) is refused before any view runs.
    assert client.get(f"/households/?village={huge}&after=%00").status_code == 400
    assert client.post(f"/households/{huge}/active", data={"active": "0"}).status_code == 404
    # A ?village= that names no possible village is not found, never another village.
    assert client.get(f"/households/new?village={huge}").status_code == 404


def test_forged_cursors_start_again(app):
    """A crafted cursor (huge int, wrong shape) is ignored rather than reaching the database."""
    from app.pagination import decode_cursor, encode_cursor

    assert decode_cursor(encode_cursor([10**30]), 1) is None
    assert decode_cursor(encode_cursor([True]), 1) is None
    assert decode_cursor(encode_cursor(["x" * 300]), 1) is None
    assert decode_cursor(encode_cursor([5, "0001"]), 1) is None
    assert decode_cursor(encode_cursor(["0001"]), 1) == ["0001"]
    assert decode_cursor("not base64 !!", 1) is None
