"""Officials' and administrators' overview of villages."""
from flask import current_app, render_template, request, url_for
from flask_login import current_user

from app.access import permissions, scope
from app.access import regions as access_regions
from app.access.permissions import permission_required
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
    shown = page.items + ([under] if under else [])
    return render_template(
        "regions/overview.html", under=under, page=page, trails=services.trails(page.items),
        counts=services.household_counts([v.id for v in page.items]),
        totals=services.region_totals(under),
        children=services.children(scope.regions_query(current_user), under)
        if under is None or not under.is_village else [],
        q=request.args.get("q", "")[:64],
        first_steps=permissions.may(current_user, "regions.import") and not first_run.has_regions(),
        changeable=access_regions.changeable(current_user, shown), links=_row_links(),
    )


def _row_links() -> dict[str, tuple[str, str]]:
    """Each village row's links, as the text before and after its id: one url_for a page, not
    two a row (the row links were a fifth of a 50-village page)."""
    marker = 987654321  # an id no converter refuses, found once in each built link
    links = {"register": url_for("households.register", village=marker),
             "manage": url_for("regions.manage_region", region_id=marker)}
    return {name: tuple(link.split(str(marker), 1)) for name, link in links.items()}  # type: ignore[misc]
