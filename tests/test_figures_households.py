"""The figures' count of each village's active households and the people in them
(figure_villages) stays equal to a direct count of the register after every path that changes
households: adding one, changing its members, importing a file, deactivating and reactivating,
merging two villages; `flask figures verify` finds a wrong count and `rebuild` mends it; the
figures page and the officials' list of villages use it."""
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.households import services as households
from app.households.io import importer
from app.figures import recount
from app.figures.reads import figures
from app.models import FigureVillage, Household
from app.regions import manage
from app.regions.services import household_counts
from tests.ledger_world import make_world


def _direct() -> dict:
    """(Active households, people in them) per village, counted from the register itself."""
    db.session.expire_all()
    return {v: (n, int(people)) for v, n, people in db.session.execute(
        sa.select(Household.village_id, sa.func.count(), sa.func.sum(Household.members))
        .where(Household.active.is_(True)).group_by(Household.village_id))}


def _kept() -> dict:
    return {v: (n, people) for v, n, people in db.session.execute(
        sa.select(FigureVillage.village_id, FigureVillage.households, FigureVillage.members))
        if n or people}


def test_the_count_follows_every_path_that_changes_households(app, runner):
    w = make_world()
    assert _kept() == _direct() == {w.home.id: (3, 9), w.other.id: (1, 3)}

    added = households.create_household(w.committee, w.home, {"number": "0901", "head_name": "新户",
                                                              "members": 2})
    assert _kept() == _direct() and _kept()[w.home.id] == (4, 11)
    # Its members changed (the register's edit form): the people follow, the households stay.
    households.update_household(w.committee, db.session.get(Household, added.id),
                                {"number": "0901", "head_name": "新户", "members": 5})
    assert _kept() == _direct() and _kept()[w.home.id] == (4, 14)

    text = "户号,户主,人口,住址,电话,网格\r\n0902,张三,3,,,\r\n0903,李四,,,,\r\n"
    preview = importer.preview_upload(w.home, "名单.csv", text.encode("utf-8"), w.committee)
    assert preview.token and importer.confirm_import(w.home, preview.token, w.committee) == 2
    assert _kept() == _direct() and _kept()[w.home.id] == (6, 18)  # an empty 人口 is one person

    households.set_active(w.committee, db.session.get(Household, added.id), False)
    households.set_active(w.committee, db.session.get(Household, added.id), False)  # again: no change
    households.set_active(w.committee, db.session.get(Household, w.h3.id), False)
    assert _kept() == _direct() and _kept()[w.home.id] == (4, 10)
    # An inactive household's members change: nobody active came or went.
    households.update_household(w.committee, db.session.get(Household, added.id),
                                {"number": "0901", "head_name": "新户", "members": 7})
    assert _kept() == _direct() and _kept()[w.home.id] == (4, 10)
    households.set_active(w.committee, db.session.get(Household, added.id), True)
    assert _kept() == _direct() and _kept()[w.home.id] == (5, 17)

    manage.merge_villages(w.admin, w.other, w.home)
    assert _kept() == _direct() == {w.home.id: (6, 20)}
    assert recount.verify() == []

    rows, total = figures(w._city, date.today(), date.today(), date.today())
    assert {r.village_id: (r.households, 20) for r in rows if r.households} == _direct()
    assert total.households == 6
    assert household_counts([w.home.id, w.other.id]) == {w.home.id: (6, 20), w.other.id: (0, 0)}

    # A count gone wrong (say, a household inserted past the services) is found and mended.
    db.session.execute(sa.update(FigureVillage).where(FigureVillage.village_id == w.home.id)
                       .values(households=9, members=21))
    db.session.commit()
    wrong = recount.verify()
    assert wrong == [f"village {w.home.id}: active households 9 expected 6",
                     f"village {w.home.id}: people in active households 21 expected 20"]
    result = runner.invoke(args=["figures", "verify"])
    assert result.exit_code == 1 and "active households 9 expected 6" in result.output
    assert runner.invoke(args=["figures", "rebuild"]).exit_code == 0
    assert _kept() == _direct() and recount.verify() == []


def test_changes_of_one_household_at_once_leave_the_counts_right(app):
    """Committee members deactivating and editing the same household at once (each request
    loaded it before the others wrote): the village's counts move from the household as
    stored, so a deactivation counts once and a member change by what it changed."""
    from app.models import User
    from tests.races import race

    w = make_world()
    target, committee = w.h3.id, w.committee.id
    db.session.rollback()

    def work(i):
        actor, household = db.session.get(User, committee), db.session.get(Household, target)
        if i % 2:
            households.update_household(actor, household, {"number": household.number,
                                                           "head_name": "改", "members": i % 7 + 1})
        else:
            households.set_active(actor, household, False)

    results = race(app, work, threads=12)
    assert not [r for r in results if isinstance(r, Exception) and "changed" not in str(r)], results
    db.session.expire_all()
    assert _kept() == _direct() and recount.verify() == []
    assert _kept()[w.home.id][0] == 2  # h3 gone once
