"""Demo rulebook template: 罗翠村's rulebook, published for the whole city, the first template
every demo village may adopt (issue: set up a real county)."""
import sqlalchemy as sa

from app.demo.places import HOME_VILLAGE
from app.extensions import db
from app.ledger.rulebook_templates import publish
from app.models import Region, RegionLevel

TEMPLATE_NAME = "罗翠村积分制管理细则（试行）"


def load_template() -> None:
    """Publish 罗翠村's rulebook as the city's template (after the ledger demo made it)."""
    city = db.session.scalar(sa.select(Region).where(Region.level == RegionLevel.CITY,
                                                     Region.parent_id.is_(None)).order_by(Region.id))
    home = db.session.scalar(sa.select(Region).where(Region.name == HOME_VILLAGE,
                                                     Region.level == RegionLevel.VILLAGE))
    publish(None, city, home, TEMPLATE_NAME)
