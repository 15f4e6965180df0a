"""The migrations that add the figures' sums fill them from what is already there: each
village's households and cadres by their latest month there, and its counters summed up to each
month."""
from contextlib import contextmanager

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Household
from tests import factories


@contextmanager
def _upgraded_to(tmp_path, revision: str):
    """In the context of an app on a new SQLite database at `revision`; two villages made."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision=revision)
        _city, _county, _township, villages = factories.region_tree(("一村", "二村"))
        yield villages
        db.engine.dispose()


def test_upgrade_backfills_each_villages_households_by_their_latest_month(tmp_path):
    with _upgraded_to(tmp_path, "f6d8b0c2e4a7") as (one, two):
        houses = [factories.household(one).id for _ in range(3)] + [factories.household(two).id]
        reached = [(one.id, 202601, houses[0]), (one.id, 202603, houses[0]), (one.id, 202601, houses[1]),
                   (one.id, 202605, houses[2]), (one.id, 202602, houses[2]), (two.id, 202512, houses[3])]
        db.session.execute(sa.text("INSERT INTO figure_reach (village_id, month, household_id) "
                                   "VALUES (:v, :m, :h)"),
                           [{"v": v, "m": m, "h": h} for v, m, h in reached])
        db.session.commit()
        upgrade()
        stored = set(db.session.execute(sa.text(
            "SELECT village_id, month, households FROM figure_reach_latest")).all())
        # 一村's latest months: 202603 (houses[0]), 202601 (houses[1]), 202605 (houses[2]).
        assert stored == {(one.id, 202605, 1), (one.id, 202603, 2), (one.id, 202601, 3),
                          (two.id, 202512, 1)}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 4


def test_upgrade_backfills_each_villages_counters_summed_up_to_each_month(tmp_path):
    with _upgraded_to(tmp_path, "a7c9e1b3d5f7") as (one, two):
        months = [(one.id, 202511, 1, 4, 0), (one.id, 202601, 2, 0, 3600), (one.id, 202603, 0, 1, 60),
                  (two.id, 202602, 1, 9, 0)]
        db.session.execute(sa.text(
            "INSERT INTO figure_months (village_id, month, meetings_group, issues, resolve_seconds) "
            "VALUES (:v, :m, :g, :i, :s)"), [dict(zip("vmgis", row)) for row in months])
        db.session.commit()
        upgrade()
        stored = set(db.session.execute(sa.text(
            "SELECT village_id, month, meetings_group, issues, resolve_seconds, attendances "
            "FROM figure_month_totals")).all())
        assert stored == {(one.id, 202511, 1, 4, 0, 0), (one.id, 202601, 3, 4, 3600, 0),
                          (one.id, 202603, 3, 5, 3660, 0), (two.id, 202602, 1, 9, 0, 0)}


def test_upgrade_backfills_each_villages_cadres_by_their_latest_month(tmp_path):
    with _upgraded_to(tmp_path, "b8d0f2a4c6e8") as (one, two):
        hosted = [(one.id, 202601, 4, "1:李"), (one.id, 202603, 4, "1:李"), (one.id, 202602, 3, "7"),
                  (one.id, 202602, 4, "7"), (two.id, 202512, 2, "9")]  # "7" at two levels: two cadres
        db.session.execute(sa.text("INSERT INTO figure_cadres (village_id, month, level, cadre) "
                                   "VALUES (:v, :m, :l, :c)"),
                           [dict(zip("vmlc", row)) for row in hosted])
        db.session.commit()
        upgrade()
        stored = set(db.session.execute(sa.text(
            "SELECT village_id, month, cadres FROM figure_cadre_latest")).all())
        assert stored == {(one.id, 202603, 1), (one.id, 202602, 3), (two.id, 202512, 1)}
