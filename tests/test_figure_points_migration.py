"""The migration that adds the charts' points by rule fills it from the entries already there."""
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.figures import rule_points
from app.models import Rule, RuleCategory
from tests import factories

ENTRY = sa.text("INSERT INTO ledger_entries (id, household_id, village_id, points, kind, rule_id, "
                "note, created_at, reverses_id) VALUES (:id, :h, :v, :points, :kind, :rule, '', :at, :rev)")


def test_upgrade_backfills_points_by_village_month_and_rule(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="c4e8a2f6b913")
        (village,) = factories.region_tree_before_sort_keys(villages=("迁移村",))[3]
        h = factories.household_before_people(village).id
        category = RuleCategory(village_id=village.id, name="乡风文明")
        db.session.add(category)
        db.session.flush()
        good = Rule(village_id=village.id, category_id=category.id, code="A01", name="好", points=30)
        bad = Rule(village_id=village.id, category_id=category.id, code="B01", name="差", points=-10)
        db.session.add_all([good, bad])
        db.session.commit()
        rows = [  # (id, points, kind, rule, UTC time, reverses)
            (1, 30, "award", good.id, "2026-03-10 02:00:00", None),
            (2, -10, "deduction", bad.id, "2026-03-31 20:00:00", None),  # 1 April in Shanghai
            (3, -5, "redemption", None, "2026-04-02 02:00:00", None),  # spending never counts
            (4, 7, "adjustment", None, "2026-05-02 02:00:00", None),  # no rule
            (5, 30, "award", good.id, "2026-05-03 02:00:00", None),
            (6, -30, "reversal", good.id, "2026-06-02 02:00:00", 1),  # off March, not June
            (7, 5, "reversal", None, "2026-06-03 02:00:00", 3),
        ]
        for id_, points, kind, rule, at, rev in rows:
            db.session.execute(ENTRY, {"id": id_, "h": h, "v": village.id, "points": points,
                                       "kind": kind, "rule": rule, "at": at + "+00:00", "rev": rev})
        db.session.commit()
        upgrade()
        stored = {(m, r): n for m, r, n in db.session.execute(sa.text(
            "SELECT month, rule_id, points FROM figure_points WHERE village_id = :v AND points != 0"),
            {"v": village.id}).all()}
        assert stored == {(202604, bad.id): -10, (202605, good.id): 30}
        assert rule_points.verify() == []
        db.engine.dispose()
