"""The migration that adds the rankings' summary fills it from the entries already there."""
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.rankings import recount
from tests import factories

ENTRY = sa.text("INSERT INTO ledger_entries (id, household_id, village_id, points, kind, note, "
                "created_at, reverses_id) VALUES (:id, :h, :v, :points, :kind, '', :at, :rev)")


def test_upgrade_backfills_points_gained_by_local_month(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="b3d5f7a9c1e2")
        (village,) = factories.region_tree_before_sort_keys(villages=("迁移村",))[3]
        h = factories.household_before_people(village).id
        rows = [  # (id, points, kind, UTC time, reverses)
            (1, 30, "award", "2026-03-10 02:00:00", None),
            (2, -10, "deduction", "2026-03-31 20:00:00", None),  # 1 April in Shanghai
            (3, -5, "redemption", "2026-04-02 02:00:00", None),  # spending never counts
            (4, 7, "adjustment", "2026-05-02 02:00:00", None),
            (5, -30, "reversal", "2026-06-02 02:00:00", 1),  # off March, not June
            (6, 5, "reversal", "2026-06-03 02:00:00", 3),
        ]
        for id_, points, kind, at, rev in rows:
            db.session.execute(ENTRY, {"id": id_, "h": h, "v": village.id, "points": points,
                                       "kind": kind, "at": at + "+00:00", "rev": rev})
        db.session.commit()
        upgrade()
        stored = dict(db.session.execute(sa.text(
            "SELECT month, gained FROM ranking_months WHERE household_id = :h AND gained != 0"),
            {"h": h}).all())
        assert stored == {202604: -10, 202605: 7}
        assert recount.verify() == []
        db.engine.dispose()
