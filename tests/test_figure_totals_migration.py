"""The migration that adds each village's running totals fills them from its months' counters."""
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests import factories


def test_upgrade_backfills_each_villages_counters_summed_up_to_each_month(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="a7c9e1b3d5f7")
        _city, _county, _township, (one, two) = factories.region_tree(("一村", "二村"))
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
        db.engine.dispose()
