"""The shop's reports: the monthly statement, and .xlsx downloads of it, a day and the stock."""
from datetime import timedelta

from flask import render_template, request

from app.access.permissions import permission_required
from app.shop import bp
from app.shop.reports import reads as reports, statement
from app.shop.pages import shop_arg
from app.spreadsheets import write


def _xlsx(buffer, shop, what: str):
    return write.xlsx_response(buffer, write.download_name(shop.village, f"{shop.name}-{what}"))


@bp.route("/shop/statement")
@permission_required("shop.catalogue_manage")
def monthly_statement():
    """A month's stock per product (opening, received by source, redeemed, voided, counted,
    closing, differences flagged) and points redeemed."""
    shop = shop_arg()
    month = statement.parse_month(request.args.get("month"))
    lines, points = statement.monthly(shop.id, month)
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    return render_template("shop/statement.html", shop=shop, month=month, lines=lines,
                           points=points, previous=previous,
                           following=statement.month_bounds(month)[1].date())


@bp.route("/shop/statement.xlsx")
@permission_required("shop.catalogue_manage")
def statement_xlsx():
    """The monthly statement as an Excel workbook."""
    shop = shop_arg()
    month = statement.parse_month(request.args.get("month"))
    lines, points = statement.monthly(shop.id, month)
    return _xlsx(statement.statement_workbook(shop.name, month, lines, points), shop,
                 f"{month:%Y-%m}")


@bp.route("/shop/redemptions.xlsx")
@permission_required("shop.catalogue_manage")
def redemptions_xlsx():
    """A day's redemptions, line by line, as an Excel workbook."""
    shop = shop_arg()
    day = reports.parse_day(request.args.get("day"))
    return _xlsx(statement.day_workbook(shop.id, day), shop, day.isoformat())


@bp.route("/shop/products.xlsx")
@permission_required("shop.catalogue_manage")
def products_xlsx():
    """The stock list as an Excel workbook."""
    shop = shop_arg()
    return _xlsx(statement.stock_workbook(shop.id), shop, "stock")
