"""The region tree as an .xlsx workbook whose columns the tree import reads back."""
import io

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Region, RegionLevel
from app.regions.tree_import import LABELS
from app.spreadsheets import write

LEVEL_NAMES = {RegionLevel.CITY: "市", RegionLevel.COUNTY: "县", RegionLevel.TOWNSHIP: "乡镇街道",
               RegionLevel.VILLAGE: "村社区"}


def tree_workbook(regions: sa.Select) -> io.BytesIO:
    """Every region of the query in tree order: code, name, level, parent code, status."""
    parent = sa.orm.aliased(Region)
    rows = db.session.execute(
        regions.outerjoin(parent, parent.id == Region.parent_id).add_columns(parent.code)
        .order_by(Region.path)
    ).all()
    headers = [str(LABELS[k]) for k in ("code", "name", "level", "parent")] + [_("Status")]
    active, inactive = _("Active"), _("Inactive")
    book, sheet = write.sheet(_("Regions"), headers)
    for region, parent_code in rows:
        sheet.append([write.text(sheet, region.code or ""), write.text(sheet, region.name),
                      write.text(sheet, LEVEL_NAMES[RegionLevel(region.level)]),
                      write.text(sheet, parent_code or ""), active if region.active else inactive])
    return write.save(book)
