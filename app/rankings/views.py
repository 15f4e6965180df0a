"""The ranking page of a village or grid, its movers, and the month's poster (HTML and PDF).

Thin views over app/rankings/reads.py and poster.py; who may see which village or grid is
app/access/rankings.py, and anything outside it is a 404.
"""
import math
from typing import Optional

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   Response, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions, scope
from app.access.permissions import permission_required
from app.extensions import db
from app.links import query_args
from app.models import Grid
from app.rankings import periods, poster, reads
from app.regions import services as region_services
from app.views_util import attempt, db_id, village_arg

bp = Blueprint("rankings", __name__)


def _period() -> periods.Period:
    """The period asked for; the current month, with a warning, when it makes no sense."""
    kind, key = request.args.get("period", "month"), request.args.get("at", "")
    if kind not in periods.KINDS:
        kind, key = "month", ""
    if not key:
        return periods.current(kind, reads.local_now())
    asked = attempt(periods.parse, kind, key, flash_as="warning")
    return asked.value if asked else periods.current("month", reads.local_now())


def _grid_arg() -> Optional[int]:
    raw = request.args.get("grid")
    if raw in (None, ""):
        return current_user.grid_id if permissions.may(current_user, "me.grid_leader") else None
    try:
        return db_id(raw)
    except ValueError:
        abort(404)


def _target():
    """(village, grid or None) asked for and readable by the user; 404 otherwise."""
    village_id = village_arg() or current_user.village_id or abort(404)
    village = scope.region_or_404(current_user, village_id)
    grid_id = _grid_arg()
    grid = db.session.get(Grid, grid_id) if grid_id else None
    if not village.is_village or (grid_id and grid is None) \
            or not permissions.may(current_user, "rankings.read", (village, grid)):
        abort(404)
    return village, grid


def _page_number() -> int:
    try:
        return db_id(request.args.get("page", "1"))
    except ValueError:
        return 1


@bp.route("/rankings")
@permission_required("rankings.list")
def ranking():
    """A village's or grid's households ranked by points gained, and who moved most."""
    if permissions.may(current_user, "regions.overview") and village_arg() is None:
        return _choose_village()
    village, grid = _target()
    period = _period()
    rows = reads.ranking(village.id, period, grid.id if grid else None)
    size = current_app.config["PAGE_SIZE"]
    pages = max(1, math.ceil(len(rows) / size))
    number = min(_page_number(), pages)
    own_grid_only = permissions.may(current_user, "me.grid_leader")
    grids = [] if own_grid_only else scope.grids(current_user, village.id)
    return render_template("rankings/ranking.html", village=village, grid=grid, period=period,
                           rows=rows[(number - 1) * size:number * size], total=len(rows),
                           page=number, pages=pages, movers=reads.movers(rows), grids=grids,
                           kinds=periods.KINDS, has_next=period.step(1).first <= periods.current(
                               period.kind, reads.local_now()).first)


def _choose_village():
    """Officials first pick one of their villages (by name)."""
    q = request.args.get("q", "")[:64]
    page = region_services.village_page(scope.villages_query(current_user), None, q,
                                        request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("rankings/choose.html", page=page, q=q)


def _poster_data() -> dict:
    village, grid = _target()
    return poster.data(village, grid, _month())


def _month() -> periods.Period:
    key = request.args.get("month", "")
    if not key:
        return periods.current("month", reads.local_now())
    asked = attempt(periods.parse, "month", key, flash_as="warning")
    return asked.value if asked else periods.current("month", reads.local_now())


@bp.route("/rankings/poster")
@permission_required("rankings.list")
def poster_page():
    """The month's ranking and star households as an A4 poster to print from the browser."""
    return _no_store(Response(poster.render_html(_poster_data())))


@bp.route("/rankings/poster.pdf")
@permission_required("rankings.list")
def poster_pdf():
    """The same poster as a one-page A4 PDF."""
    data = _poster_data()
    try:
        pdf = poster.render_pdf(data)
    except ImportError:
        flash(_("PDF printing is not installed on this server; print the poster from the browser."),
              "warning")
        return redirect(url_for(".poster_page", **query_args()))
    response = _no_store(Response(pdf, mimetype="application/pdf"))
    response.headers["Content-Disposition"] = f"inline; filename=ranking-{data['period'].key}.pdf"
    return response


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
