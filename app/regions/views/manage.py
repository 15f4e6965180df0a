"""The page where administrators and officials above a place change it: thin views over manage.py."""
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions, scope
from app.access.permissions import permission_required
from app.auth.forms import ConfirmForm
from app.regions import bp, manage
from app.regions.forms import AddRegionForm, MergeForm, MoveForm, RegionNameForm
from app.views_util import attempt, flash_errors


def _region(region_id: int):
    """A region in the user's scope that the user may change or add under, else 404."""
    region = scope.region_or_404(current_user, region_id)
    if not (permissions.may(current_user, "regions.manage", region)
            or permissions.may(current_user, "regions.add_under", region)):
        abort(404)
    return region


def _forms(region):
    move, merge = MoveForm(prefix="move"), MergeForm(prefix="merge")
    move.township_id.choices = [(t.id, t.name) for t in manage.move_targets(current_user, region)]
    merge.survivor_id.choices = [(v.id, v.name) for v in manage.merge_targets(current_user, region)]
    return {"rename": RegionNameForm(prefix="rename", obj=region), "add": AddRegionForm(prefix="add"),
            "move": move, "merge": merge, "confirm": ConfirmForm(prefix="active")}


@bp.route("/<int:region_id>/manage")
@permission_required("regions.manage_pages")
def manage_region(region_id: int):
    """Rename, add under, deactivate, move or merge one place."""
    region = _region(region_id)
    return render_template("regions/manage.html", region=region, forms=_forms(region),
                           may_change=permissions.may(current_user, "regions.manage", region))


def _act(region, form, action, done: str):
    """Run one service call for a posted form and go back to the page with its message."""
    if form.validate_on_submit():
        attempt(action, done=done)
    else:
        flash_errors(form)
    return redirect(url_for(".manage_region", region_id=region.id))


@bp.route("/<int:region_id>/rename", methods=["POST"])
@permission_required("regions.manage_pages")
def rename_region(region_id: int):
    """Give a place its new name."""
    region, form = _region(region_id), RegionNameForm(prefix="rename")
    return _act(region, form, lambda: manage.rename_region(current_user, region, form.name.data),
                _("Saved."))


@bp.route("/<int:region_id>/children", methods=["POST"])
@permission_required("regions.manage_pages")
def add_region(region_id: int):
    """Add a township or village under this place."""
    region, form = _region(region_id), AddRegionForm(prefix="add")
    return _act(region, form, lambda: manage.add_region(current_user, region, form.name.data,
                                                        form.code.data), _("Place added."))


@bp.route("/<int:region_id>/active", methods=["POST"])
@permission_required("regions.manage_pages")
def set_region_active(region_id: int):
    """Deactivate or reactivate a place (the page asks for confirmation first)."""
    region, active = _region(region_id), request.form.get("active") == "1"
    return _act(region, ConfirmForm(prefix="active"),
                lambda: manage.set_region_active(current_user, region, active),
                _("Place reactivated.") if active else _("Place deactivated."))


@bp.route("/<int:region_id>/move", methods=["POST"])
@permission_required("regions.manage_pages")
def move_village(region_id: int):
    """Put a village under another township."""
    region = _region(region_id)
    form = _forms(region)["move"]
    return _act(region, form, lambda: manage.move_village(
        current_user, region, scope.region_or_404(current_user, form.township_id.data),
        form.code.data), _("Village moved."))


@bp.route("/<int:region_id>/merge", methods=["POST"])
@permission_required("regions.manage_pages")
def merge_village(region_id: int):
    """Merge this village into another one of its township."""
    region = _region(region_id)
    form = _forms(region)["merge"]
    return _act(region, form, lambda: manage.merge_villages(
        current_user, region, scope.region_or_404(current_user, form.survivor_id.data)),
        _("Villages merged."))
