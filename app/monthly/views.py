"""The monthly report's page (a month picker and the figures) and its .xlsx download."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions, scope
from app.access.permissions import permission_required
from app.monthly import report
from app.regions import services as region_services
from app.shop.reports import statement
from app.spreadsheets import write
from app.views_util import village_arg

bp = Blueprint("monthly", __name__)


def _village():
    """The village asked for (a committee's own by default) that the user may read; else 404."""
    own = permissions.may(current_user, "me.committee")  # a committee's own village by default
    village_id = village_arg() or (current_user.village_id if own else None)
    if village_id is None:
        return None
    village = scope.region_or_404(current_user, village_id)
    if not permissions.may(current_user, "reports.monthly", village):
        abort(404)
    return village


@bp.route("/reports/monthly")
@permission_required("reports.monthly_page")
def report_page():
    """Pick a village (officials) and a month; see the figures; download the workbook."""
    village = _village()
    month = statement.parse_month(request.args.get("month"))
    if village is None:
        q = request.args.get("q", "")[:64]
        page = region_services.village_page(scope.villages_query(current_user), None, q,
                                            request.args.get("after"),
                                            current_app.config["PAGE_SIZE"])
        return render_template("monthly/choose.html", page=page, q=q, month=month)
    return render_template("monthly/report.html", found=report.gather(village, month))


@bp.route("/reports/monthly.xlsx")
@permission_required("reports.monthly_page")
def download():
    """The month's report as one .xlsx workbook."""
    village = _village() or abort(404)
    month = statement.parse_month(request.args.get("month"))
    found = report.gather(village, month)
    return write.xlsx_response(report.workbook(found),
                               write.download_name(village, _("monthly report") + f" {month:%Y-%m}"))
