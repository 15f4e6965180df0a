"""The administrator's backups page: the list with each manifest's figures, a backup made now,
downloads; nobody else sees or downloads anything, and no name leads out of the folder."""
import os

import pytest
import sqlalchemy as sa

from app.backup import archive
from app.extensions import db
from app.models import AuditLog, Role
from tests import factories
from tests.shop_world import make_shop_world


@pytest.fixture
def folder(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    return tmp_path / "backups"


def test_admin_makes_lists_and_downloads_a_backup(app, client, auth, folder):
    app.config["WTF_CSRF_ENABLED"] = False
    make_shop_world()
    factories.user("root", Role.ADMIN)
    auth.login("root")
    page = client.get("/accounts/backups").get_data(as_text=True)
    assert "还没有备份" in page and 'href="/accounts/backups"' in page  # in the admin's menu

    assert client.post("/accounts/backups").status_code == 302
    (path,) = folder.glob("lianxin-*.lxbak")
    (folder / "lianxin-20200101T000000Z.lxbak").write_bytes(b"not a backup")
    page = client.get("/accounts/backups").get_data(as_text=True)
    figures = archive.read_manifest(path)["figures"]
    assert figures["households"] == 3
    for shown in (figures["households"], figures["ledger_entries"], figures["balance_sum"]):
        assert f"<td>{shown}</td>" in page
    assert "无法读取此文件" in page  # the damaged one is listed as such

    response = client.post(f"/accounts/backups/{path.name}")
    assert response.status_code == 200 and response.data == path.read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"backup_created", "backup_downloaded"} <= actions


def test_no_name_leads_out_of_the_folder(app, client, auth, folder, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = False
    factories.user("root", Role.ADMIN)
    auth.login("root")
    folder.mkdir()
    (tmp_path / "secret_key").write_text("secret")
    os.symlink(tmp_path / "secret_key", folder / "lianxin-20260101T000000Z.lxbak")
    for name in ("..%2Fsecret_key", "../secret_key", "secret_key", "%2E%2E",
                 "lianxin-20260101T000000Z.lxbak", "lianxin-20990101T000000Z.lxbak",
                 "lianxin-20260101T000000Z.lxbak%00", "x" * 5000):
        response = client.post(f"/accounts/backups/{name}")
        assert response.status_code in (404, 405), name
        assert b"secret" not in response.data


def test_only_administrators_see_make_or_download_backups(app, client, auth, folder):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_shop_world()
    folder.mkdir()
    (folder / "lianxin-20260101T000000Z.lxbak").write_bytes(b"households' data")
    factories.user("city", Role.OFFICIAL, region_id=world.home.parent_id)
    for username in ("committee", "keeper", "h1", "city"):
        auth.login(username)
        assert client.get("/accounts/backups").status_code == 403
        assert client.post("/accounts/backups").status_code == 403
        response = client.post("/accounts/backups/lianxin-20260101T000000Z.lxbak")
        assert response.status_code == 403 and b"households' data" not in response.data
        assert 'href="/accounts/backups"' not in client.get("/").get_data(as_text=True)
        auth.logout()
    assert client.get("/accounts/backups").status_code == 302  # signed out: to the login page
    assert len(list(folder.iterdir())) == 1


def test_a_download_needs_the_pages_token(app, client, auth, folder):
    factories.user("root", Role.ADMIN)
    app.config["WTF_CSRF_ENABLED"] = False
    auth.login("root")
    app.config["WTF_CSRF_ENABLED"] = True
    folder.mkdir()
    (folder / "lianxin-20260101T000000Z.lxbak").write_bytes(b"households' data")
    response = client.post("/accounts/backups/lianxin-20260101T000000Z.lxbak")
    assert b"households' data" not in response.data
    client.post("/accounts/backups")
    assert [p.name for p in folder.iterdir()] == ["lianxin-20260101T000000Z.lxbak"]  # none made
