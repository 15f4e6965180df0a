"""The figures' count of each village's active households (figure_villages) stays equal to a direct
count of the register after every path that changes households: adding one, importing a file,
deactivating and reactivating, merging two villages; `flask figures verify` finds a wrong count
and `rebuild` mends it; the figures page uses it."""
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.households import services as households
from app.households.io import importer
from app.figures import recount
from app.figures.reads import figures
from app.models import FigureVillage, Household
from app.regions import manage
from tests.ledger_world import make_world


def _direct() -> dict:
    """Active households per village, counted from the register itself."""
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Household.village_id, sa.func.count())
                                   .where(Household.active.is_(True)).group_by(Household.village_id)).all())


def _kept() -> dict:
    return {v: n for v, n in db.session.execute(
        sa.select(FigureVillage.village_id, FigureVillage.households)) if n}


def test_the_count_follows_every_path_that_changes_households(app, runner):
    w = make_world()
    assert _kept() == _direct() == {w.home.id: 3, w.other.id: 1}

    added = households.create_household(w.committee, w.home, {"number": "0901", "head_name": "新户",
                                                              "members": "2"})
    assert _kept() == _direct() and _kept()[w.home.id] == 4

    text = "户号,户主,人口,住址,电话,网格\r\n0902,张三,3,,,\r\n0903,李四,2,,,\r\n"
    preview = importer.preview_upload(w.home, "名单.csv", text.encode("utf-8"), w.committee)
    assert preview.token and importer.confirm_import(w.home, preview.token, w.committee) == 2
    assert _kept() == _direct() and _kept()[w.home.id] == 6

    households.set_active(w.committee, db.session.get(Household, added.id), False)
    households.set_active(w.committee, db.session.get(Household, added.id), False)  # again: no change
    households.set_active(w.committee, db.session.get(Household, w.h3.id), False)
    assert _kept() == _direct() and _kept()[w.home.id] == 4
    households.set_active(w.committee, db.session.get(Household, added.id), True)
    assert _kept() == _direct() and _kept()[w.home.id] == 5

    manage.merge_villages(w.admin, w.other, w.home)
    assert _kept() == _direct() == {w.home.id: 6}
    assert recount.verify() == []

    rows, total = figures(w._city, date.today(), date.today(), date.today())
    assert {r.village_id: r.households for r in rows if r.households} == _direct()
    assert total.households == 6

    # A count gone wrong (say, a household inserted past the services) is found and mended.
    db.session.execute(sa.update(FigureVillage).where(FigureVillage.village_id == w.home.id)
                       .values(households=9))
    db.session.commit()
    wrong = recount.verify()
    assert wrong == [f"village {w.home.id}: active households 9 expected 6"]
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "active households 9 expected 6" in result.output
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert _kept() == _direct() and recount.verify() == []
