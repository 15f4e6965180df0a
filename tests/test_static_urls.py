"""Static files get content-hashed addresses, so nginx may let browsers keep them for a year
(deploy/nginx/lianxin.conf) and a changed file still reaches every browser at once."""
import hashlib
import re

from flask import url_for

from app.config import BASE_DIR
from app.static_urls import file_version


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def test_links_to_static_files_carry_the_content_hash(app, client):
    page = client.get("/login")
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert links, "the sign-in page links to its stylesheet and scripts"
    for link in links:
        path, _, query = link.partition("?")
        file = BASE_DIR / path.lstrip("/")
        assert query == "v=" + _sha(file), link
        served = client.get(link)
        assert served.status_code == 200 and served.data == file.read_bytes()
        served.close()


def test_each_file_is_hashed_once_per_process(app):
    file_version.cache_clear()
    app._fixed_urls.clear()  # the links the app keeps (app/flask_app.py): start from none
    with app.test_request_context("/"):
        first = url_for("static", filename="js/pay.js")
        for _ in range(50):
            assert url_for("static", filename="js/pay.js") == first
    assert first == "/static/js/pay.js?v=" + _sha(BASE_DIR / "static/js/pay.js")
    assert file_version.cache_info().misses == 1


def test_a_changed_file_gets_a_new_address_and_a_missing_one_none(app, tmp_path):
    (tmp_path / "a.css").write_text("body { color: red }")
    (tmp_path / "b.css").write_text("body { color: blue }")
    assert file_version(str(tmp_path), "a.css") == _sha(tmp_path / "a.css")
    assert file_version(str(tmp_path), "a.css") != file_version(str(tmp_path), "b.css")
    assert file_version(str(tmp_path), "../a.css") is None
    with app.test_request_context("/"):
        assert url_for("static", filename="no/such.js") == "/static/no/such.js"
        assert url_for("static", filename="js/pay.js", v="mine") == "/static/js/pay.js?v=mine"


def test_links_kept_per_process_follow_the_application_root_and_arguments(app):
    """LianxinFlask keeps the links pages repeat (no arguments, static files) per process: an app
    served under a path prefix (SCRIPT_NAME) must still get its own prefix, arguments and
    _external must still count, and the kept answer must equal Flask's own."""
    from flask import Flask

    for root in ("", "/lianxin", ""):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            assert url_for("main.me") == f"{root}/me" == Flask.url_for(app, "main.me")
            css = url_for("static", filename="css/app.css")
            assert css == Flask.url_for(app, "static", filename="css/app.css")
            assert css.startswith(f"{root}/static/css/app.css?v=")
            assert url_for("main.me", _external=True) == f"http://localhost{root}/me"
            assert url_for("main.me", tab="x") == f"{root}/me?tab=x"
            assert url_for("main.me", _anchor="top") == f"{root}/me#top"
