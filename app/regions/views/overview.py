"""Officials' and administrators' overview of villages."""
from typing import NamedTuple, Optional

from flask import current_app, render_template, request, url_for
from markupsafe import Markup, escape
from flask_login import current_user

from app.access import permissions, scope
from app.access import regions as access_regions
from app.access.permissions import permission_required
from app.models import Region
from app.views_util import db_id
from app.regions import bp, first_run, services


@bp.route("/")
@permission_required("regions.overview")
def overview():
    """The villages under the official's region (or under ?region=), with household counts."""
    root = scope.root_region(current_user)
    region_id = request.args.get("region", type=db_id)
    under = scope.region_or_404(current_user, region_id) if region_id else root
    page = services.village_page(scope.villages_query(current_user), under,
                                 request.args.get("q", "")[:64], request.args.get("after"),
                                 current_app.config["PAGE_SIZE"])
    changeable = access_regions.changeable(current_user, page.items + ([under] if under else []))
    return render_template(
        "regions/overview.html", under=under, page=page, rows=_rows(page.items, changeable),
        totals=services.region_totals(under),
        children=services.children(scope.regions_query(current_user), under)
        if under is None or not under.is_village else [],
        q=request.args.get("q", "")[:64],
        first_steps=permissions.may(current_user, "regions.import") and not first_run.has_regions(),
        changeable=changeable,
    )


class VillageRow(NamedTuple):
    """A village of the page with what its row shows."""

    village: Region
    register: Markup  # its register's link
    manage: Optional[Markup]  # its Change page's link; None when the user may not change it
    trail: str  # the places above it
    households: int
    people: int


def _rows(villages: list[Region], changeable: set[int]) -> list[VillageRow]:
    """The page's rows, each link the text of one url_for a page around the village's id, joined
    here: a url_for a link, then Jinja's three escaped outputs a link, were most of a 50-village
    page."""
    register, manage = _around_id("households.register", "village"), _around_id("regions.manage_region", "region_id")
    trails = services.trails(villages)
    counts = services.household_counts([v.id for v in villages])
    return [VillageRow(v, Markup(f"{register[0]}{v.id}{register[1]}"),
                       Markup(f"{manage[0]}{v.id}{manage[1]}") if v.id in changeable else None,
                       trails[v.id], *counts.get(v.id, (0, 0))) for v in villages]


def _around_id(endpoint: str, argument: str) -> tuple[Markup, Markup]:
    """An endpoint's link for any id, as the escaped text before and after the id."""
    marker = 987654321  # an id no converter refuses, found once in the built link
    before, after = url_for(endpoint, **{argument: marker}).split(str(marker), 1)
    return escape(before), escape(after)
