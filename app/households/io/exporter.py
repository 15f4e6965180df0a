"""Register export and the import template, as .xlsx workbooks committees open in Excel or WPS."""
import io

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Grid, Household, Region
from app.spreadsheets import write
from app.spreadsheets.write import download_name  # noqa: F401 (the register's pages name files with it)

TEMPLATE_HEADERS = ("户号", "户主", "人口", "住址", "电话", "网格")


def register_workbook(village: Region, query: sa.Select) -> io.BytesIO:
    """Every household of the village (active and inactive) with its grid, balance and score."""
    rows = db.session.execute(
        query.where(Household.village_id == village.id)
        .outerjoin(Grid, Grid.id == Household.grid_id).add_columns(Grid.name)
        .order_by(Household.number)
    ).all()
    headers = (_("Household number"), _("Head of household"), _("Members"), _("Address"),
               _("Phone"), _("Grid"), _("Status"), _("Balance"), _("Score"))
    active, inactive = _("Active"), _("Inactive")
    book, sheet = write.sheet(_("Households"), headers)
    for household, grid_name in rows:
        sheet.append([write.text(sheet, household.number), write.text(sheet, household.head_name),
                      household.members, write.text(sheet, household.address),
                      write.text(sheet, household.phone), write.text(sheet, grid_name or ""),
                      active if household.active else inactive, household.balance, household.score])
    return write.save(book)


def template_workbook(village: Region) -> io.BytesIO:
    """The import template: Chinese headers and one example row (with a real grid, if any)."""
    grid = db.session.scalar(sa.select(Grid.name).where(Grid.village_id == village.id)
                             .order_by(Grid.name).limit(1))
    book, sheet = write.sheet("农户名单", TEMPLATE_HEADERS)
    sheet.append([write.text(sheet, "0001"), write.text(sheet, "张三"), 3, write.text(sheet, "一组12号"),
                  write.text(sheet, "13800000000"), write.text(sheet, grid or "")])
    return write.save(book)
