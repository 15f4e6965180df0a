"""The figures page orders a region's villages by name in the database, by the stored pinyin key
(regions.sort_key): that order is exactly name_key's, on both databases; every ORM writer keeps
the key, the migration fills it, and `flask figures verify` finds one that went stale."""
from datetime import date

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.figures import names as sort_keys, reads as figures
from app.i18n import name_key, sort_key
from app.models import Region, RegionLevel
from app.regions import manage
from app.regions.services import add_regions
from tests import factories

# Numbers in names, readings their characters do not have alone (长沙 cháng, 重庆 chóng, 厦门
# xià), Latin in both cases and mixed with Chinese, an empty name, names that differ only after
# a shared start, and names that are equal (they keep the order of their ids).
TRICKY = ["第2网格", "第10网格", "第02网格", "第1网格", "长沙", "长沙村", "重庆", "厦门", "夏门",
          "常沙", "Alpha村", "alpha村", "Beta", "b", "a1", "a01", "a10", "a2", "", "张", "张三",
          "张三丰", "同名村", "同名村", "1", "10", "2", "罗翠村", "Zhang庄", "zhang 3", "第2组1号",
          "第2组10号", "第2组"]


def _tree(names):
    """A township holding a village of each name, in this order of ids."""
    city, county, township, _made = factories.region_tree(villages=())
    made = add_regions([(name, RegionLevel.VILLAGE, township) for name in names])
    db.session.commit()
    return township, made


def _expected(villages, descending=False):
    """The villages in name_key order, equal names by id (both reversed when descending)."""
    ordered = sorted(villages, key=lambda v: (name_key(v.name), v.id), reverse=descending)
    return [v.id for v in ordered]


def _page_ids(township, descending, size):
    """Every village of the figures page's name order, fetched `size` at a time."""
    found, start, more = [], 0, True
    today = date.today()
    while more:
        rows, more = figures.page(township, today, today, today, "name", descending, start, size)
        found += [r.village_id for r in rows]
        start += size
    return found


def test_the_database_orders_names_exactly_as_name_key(app):
    township, villages = _tree(TRICKY)
    stored = db.session.scalars(sa.select(Region.id).where(Region.parent_id == township.id)
                                .order_by(Region.sort_key, Region.id)).all()
    assert stored == _expected(villages)
    assert _page_ids(township, False, 4) == _expected(villages)
    assert _page_ids(township, True, 5) == _expected(villages, descending=True)
    assert _page_ids(township, False, 100) == _expected(villages)
    assert [v.sort_key for v in villages] == [sort_key(n) for n in TRICKY]


def test_digits_int_cannot_read_are_text_in_names(app):
    """① and ² are digits to str.isdigit() but not to int(): a village named with them (①组,
    第²村) is made and ordered as text, not refused with a 500; fullwidth digits (１０) are
    numbers, as \\d reads them."""
    names = ["①组", "第²村", "②组", "第１０组", "第２组", "第2组", "²"]
    township, villages = _tree(names)
    assert _page_ids(township, False, 3) == _expected(villages)
    assert [v.sort_key for v in villages] == [sort_key(n) for n in names]
    assert name_key("第１０组")[1] == (0, 10, "") and name_key("第２组") < name_key("第１０组")
    assert name_key("①组")[0][0] == 1  # text


def test_a_renamed_village_moves(app):
    township, villages = _tree(["安村", "白村", "陈村"])
    admin = factories.user("sortadmin", "admin")
    last = villages[2]
    manage.rename_region(admin, db.session.get(Region, last.id), "阿村")
    db.session.commit()
    assert db.session.get(Region, last.id).sort_key == sort_key("阿村")
    assert _page_ids(township, False, 2) == [last.id, villages[0].id, villages[1].id]
    assert sort_keys.verify() == []


def test_verify_finds_a_stale_key_and_rebuild_rewrites_it(app, runner):
    township, villages = _tree(["安村", "白村"])
    db.session.execute(sa.update(Region.__table__).where(Region.__table__.c.id == villages[0].id)
                       .values(name="赵村"))  # past the ORM: the key still says 安村
    db.session.commit()
    assert any(f"region {villages[0].id} " in line for line in sort_keys.verify())
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "sort key stale" in result.output
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert sort_keys.verify() == []
    assert _page_ids(township, False, 10) == [villages[1].id, villages[0].id]


def test_the_migration_fills_the_keys_of_regions_already_there(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="c8e1f3a5b7d9")
        for rid, name in enumerate(["重庆村", "第10网格", "第2网格", "长沙村"], start=1):
            db.session.execute(sa.text(
                "INSERT INTO regions (id, name, level, path, active) VALUES (:id, :name, 4, :path, 1)"),
                {"id": rid, "name": name, "path": f"/{rid:010d}/"})
        db.session.commit()
        upgrade()
        keys = dict(db.session.execute(sa.text("SELECT name, sort_key FROM regions")).all())
        assert keys == {name: sort_key(name) for name in keys}
        assert sort_keys.verify() == []
        db.engine.dispose()
