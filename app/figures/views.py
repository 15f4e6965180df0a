"""The officials' figures page and its .xlsx download: per region, for a period, every village."""
import io
from datetime import date
from typing import Optional
from urllib.parse import quote

from flask import abort, current_app, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from app.access import scope
from app.access.permissions import permission_required
from app.figures import charts, reads as figures
from app.dates import local_today
from app.issues import bp
from app.models.meeting import FORMATS
from app.models.base import utcnow
from app.pagination import Page
from app.spreadsheets import write
from app.views_util import db_id


def _month(raw: str):
    """The first day of a month given as YYYY-MM (or a date in it, as older links have)."""
    try:
        return date.fromisoformat(f"{raw}-01" if len(raw) == 7 else raw).replace(day=1)
    except ValueError:
        return None


def _period() -> tuple[date, date]:
    """?start= and ?end= as whole months (YYYY-MM, inclusive): the rollup counts by month.
    By default the last twelve months, this one included."""
    this_month = local_today(utcnow()).replace(day=1)
    start = _month(request.args.get("start") or "")
    if start is None:
        back = this_month.year * 12 + this_month.month - 1 - 11
        start = date(back // 12, back % 12 + 1, 1)
    end = _month(request.args.get("end") or "") or this_month
    return (start, end) if start <= end else (end, start)


def _asked():
    """The region and period the request asks for (404 outside the user's scope)."""
    raw = request.args.get("region")
    try:
        region = scope.region_or_404(current_user, db_id(raw)) if raw else scope.root_region(current_user)
    except ValueError:
        abort(404)
    start, end = _period()
    return region, start, end


def _query():
    """The region, period and figures the request asks for (404 outside the user's scope)."""
    region, start, end = _asked()
    rows, total = figures.figures(region, start, end, local_today(utcnow()))
    return region, start, end, rows, total


def _page(region, start: date, end: date) -> Page:
    """The page of sorted villages the request asks for: ?after= is the position where it
    starts; only that page's villages are read in full (reads.page)."""
    raw = request.args.get("after") or "0"
    first = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0  # not ² or ①
    size = current_app.config["PAGE_SIZE"]
    rows, more = figures.page(region, start, end, local_today(utcnow()), *_sorting(), first, size)
    return Page(rows, str(first + size) if more else None)


SORTS = ("name",) + figures.COLUMNS


def _sorting() -> tuple[str, bool]:
    """?sort= (a column of SORTS, else the name) and ?dir=asc|desc (older links: ?desc=1)."""
    sort = request.args.get("sort")
    sort = sort if sort in SORTS else "name"
    direction = request.args.get("dir")
    if direction not in ("asc", "desc"):
        direction = "desc" if request.args.get("desc") == "1" else "asc"
    return sort, direction == "desc"


def _link_args(region, start: date, end: date) -> dict:
    """The arguments this page's own links carry: only names it knows, values it has checked
    (never the visitor's query string, whose names url_for would obey)."""
    args = {"start": start.strftime("%Y-%m"), "end": end.strftime("%Y-%m")}
    if region is not None and request.args.get("region"):
        args["region"] = region.id
    return args


@bp.route("/figures")
@permission_required("issues.figures")
def figures_page():
    """Meetings, cadres, households reached, issues and how they were settled, per village."""
    region, start, end = _asked()
    sort, descending = _sorting()
    page = _page(region, start, end)
    today = local_today(utcnow())
    overdue = figures.overdue_by_month(region, charts.months_between(start, end), today)
    total = figures.total(region, start, end, today, page.items, overdue=overdue)
    specs = charts.specs(region, start, end, today, page.items, overdue=overdue)
    return render_template("figures/index.html", region=region, start=start, end=end,
                           cells=_cells(page.items), page=page, total=total, sort=sort, charts=specs,
                           descending=descending, formats=FORMATS, columns=figures.COLUMNS,
                           link_args=_link_args(region, start, end), links=_row_links(start, end),
                           pct=_rate_text, days=_days_text)


def _cells(rows) -> list[tuple]:
    """The table's cells, a tuple a village in the columns' order, the rates as text."""
    return [(r.village_id, r.name, r.meetings, r.cadres, r.reached, _rate_text(r.attendance_rate),
             r.issues, r.suggestions, r.resolved, r.on_time, r.overdue, _days_text(r.avg_days),
             _rate_text(r.satisfaction)) for r in rows]


def _rate_text(value: Optional[float]) -> str:
    """A rate as the page shows it: a percentage to one decimal, or a dash where there is none
    (a function, not a Jinja macro: a 50-village page shows some hundred)."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _days_text(value: Optional[float]) -> str:
    """Average days to resolve as the page shows them: one decimal, or a dash."""
    return "—" if value is None else f"{value:.1f}"


def _row_links(start: date, end: date) -> dict[str, str]:
    """The links of a village's row, each ending in the argument its id completes."""
    span = {"start": start.strftime("%Y-%m"), "end": end.strftime("%Y-%m")}
    return {"figures": url_for("issues.figures_page", **span, region=""),
            "meetings": url_for("meetings.index", status="closed", village=""),
            "issues": url_for("issues.index", village=""),
            "resolved": url_for("issues.index", status="done", village=""),
            "overdue": url_for("issues.index", status="overdue", village="")}


def _percent(value):
    return round(value * 100, 1) if value is not None else None


@bp.route("/figures.xlsx")
@permission_required("issues.figures")
def figures_xlsx():
    """The villages table as an .xlsx workbook."""
    region, start, end, rows, total = _query()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Figures")[:31])
    labels = dict(FORMATS)
    sheet.append([_("Village"), _("Households")] + [str(labels[f]) for f in figures.FORMATS] + [
        _("Meetings held"), _("Cadres attending"), _("Households reached"),
        _("Attendance rate (%)"), _("Issues collected"), _("Suggestions collected"), _("Resolved"),
        _("Resolved on time"), _("Overdue now"), _("Average days to resolve"),
        _("Satisfaction rate (%)")])
    for row in figures.sort_rows(rows, "name", False) + [total]:
        name = WriteOnlyCell(sheet, value=row.name or _("Total"))
        name.data_type = "s"
        sheet.append([name, row.households] + [row.by_format[f] for f in figures.FORMATS] + [
            row.meetings, row.cadres, row.reached, _percent(row.attendance_rate), row.issues,
            row.suggestions, row.resolved, row.on_time, row.overdue,
            round(row.avg_days, 1) if row.avg_days is not None else None,
            _percent(row.satisfaction)])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    start, end = start.strftime("%Y-%m"), end.strftime("%Y-%m")
    name = f"{region.name if region else _('All')}-{start}-{end}.xlsx"
    response = send_file(buffer, mimetype="application/vnd.openxmlformats-officedocument."
                         "spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"figures-{start}-{end}.xlsx\"; "
                                               f"filename*=UTF-8''{quote(name, safe='')}")
    return response


@bp.route("/figures/charts/<name>.xlsx")
@permission_required("issues.figures")
def chart_xlsx(name):
    """One chart's data as an .xlsx workbook: the same numbers as the chart and its table (the
    villages chart: the villages of the table's page, in its order)."""
    if name not in charts.NAMES:
        abort(404)
    region, start, end = _asked()
    villages = []
    if name == "villages":  # only this chart needs the table's villages: the page's figures
        villages = _page(region, start, end).items
    found = charts.specs(region, start, end, local_today(utcnow()), villages, names=(name,))
    if not found:
        abort(404)
    spec = found[0]
    book, sheet = write.sheet(spec["title"], [spec["first"]] + [s["name"] for s in spec["series"]])
    for index, category in enumerate(spec["categories"]):
        sheet.append([write.text(sheet, category)] + [s["data"][index] for s in spec["series"]])
    span = f"{start.strftime('%Y-%m')}-{end.strftime('%Y-%m')}"
    label = f"{region.name if region else _('All')}-{spec['title']}-{span}.xlsx"
    return write.xlsx_response(write.save(book), f"attachment; filename=\"chart-{name}-{span}.xlsx\"; "
                               f"filename*=UTF-8''{quote(label, safe='')}")
