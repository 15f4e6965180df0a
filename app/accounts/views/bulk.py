"""Accounts in bulk and their printable sign-in slips (passwords are shown once, on the slips)."""
from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.accounts import bp, bulk
from app.accounts.forms import BulkAccountsForm
from app.accounts.reads import site_qr
from app.views_util import attempt, db_id

LABELS = {"committees": _l("A committee account for every village"),
          "officials": _l("An official account for this place and every township under it"),
          "households": _l("An account for every household of this village")}


def _choices(region) -> list[tuple[str, str]]:
    if region.is_village:  # a committee's scope is its village alone
        return [("households", LABELS["households"])]
    return [("committees", LABELS["committees"]), ("officials", LABELS["officials"])]


@bp.route("/bulk", methods=["GET", "POST"])
@permission_required("accounts.bulk")
def bulk_accounts():
    """Create every missing account of one kind for ?region= (or the committee's village)."""
    root = scope.root_region(current_user)
    region_id = request.args.get("region", type=db_id) or (root.id if root else None)
    region = scope.region_or_404(current_user, region_id) if region_id else abort(404)
    form = BulkAccountsForm()
    form.kind.choices = _choices(region)
    if form.validate_on_submit():
        slips = attempt(bulk.create, current_user, form.kind.data, region, field=form.kind)
        if slips:
            return render_template("accounts/slips.html", slips=slips.value, region=region,
                                   qr=site_qr(), site=url_for("auth.login", _external=True))
    return render_template("accounts/bulk.html", form=form, region=region)
