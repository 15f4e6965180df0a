"""The migration that keeps each village's people beside its households fills it from the register."""
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.figures import recount
from app.models import Household
from tests import factories


def test_upgrade_backfills_the_people_in_each_villages_active_households(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade(revision="e5c7a9b1d3f5")
        _city, _county, _township, (big, small, empty) = factories.region_tree(("大村", "小村", "空村"))
        db.session.add_all([Household(village_id=big.id, number="1", head_name="甲", members=4),
                            Household(village_id=big.id, number="2", head_name="乙", members=2),
                            Household(village_id=big.id, number="3", head_name="丙", members=9,
                                      active=False),  # gone: not counted
                            Household(village_id=small.id, number="1", head_name="丁", members=1)])
        db.session.flush()
        db.session.execute(sa.text("INSERT INTO figure_villages (village_id, households) VALUES "
                                   "(:big, 2), (:small, 1), (:empty, 0)"),
                           {"big": big.id, "small": small.id, "empty": empty.id})
        db.session.commit()
        upgrade()
        stored = dict(db.session.execute(sa.text("SELECT village_id, members FROM figure_villages")).all())
        assert stored == {big.id: 6, small.id: 1, empty.id: 0}
        assert recount.verify() == []
        db.engine.dispose()
