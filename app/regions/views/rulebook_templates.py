"""Rulebook templates as pages: officials publish them, committees adopt them."""
from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions, scope
from app.access.permissions import permission_required
from app.auth.forms import ConfirmForm
from app.ledger import rulebook_templates as templates
from app.regions import bp
from app.regions.forms import PublishTemplateForm
from app.views_util import attempt, flash_errors, managed_village


def _publisher_region(region_id: int):
    region = scope.region_or_404(current_user, region_id)
    if region.is_village or not permissions.may(current_user, "regions.add_under", region):
        abort(404)
    return region


@bp.route("/<int:region_id>/templates", methods=["GET", "POST"])
@permission_required("regions.templates")
def region_templates(region_id: int):
    """The place's templates; publish or update one from a village's rulebook."""
    region = _publisher_region(region_id)
    form = PublishTemplateForm()
    form.village_id.choices = templates.village_choices(region)
    if form.validate_on_submit():
        if attempt(templates.publish, current_user, region,
                   scope.region_or_404(current_user, form.village_id.data), form.name.data,
                   done=_("Template published; villages that adopted it are up to date.")):
            return redirect(url_for(".region_templates", region_id=region.id))
    return render_template("regions/templates.html", region=region, form=form,
                           templates=templates.templates_of(region))


@bp.route("/templates")
@permission_required("regions.adopt_templates")
def adopt_templates():
    """The templates published above the committee's village, to adopt in one step."""
    village = managed_village()
    return render_template("regions/adopt.html", village=village, confirm=ConfirmForm(),
                           templates=templates.templates_for(village),
                           sync=templates.sync_counts(village))


@bp.route("/templates/<int:template_id>/adopt", methods=["POST"])
@permission_required("regions.adopt_templates")
def adopt_template(template_id: int):
    """Copy a template into the village's rulebook."""
    village = managed_village()
    template = templates.adoptable(village, template_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        if attempt(templates.adopt, current_user, village, template, done=lambda result: _(
                "Template adopted: %(added)d rules added, %(kept)d of your own kept.", **result)):
            return redirect(url_for("rulebook.rulebook", village=village.id))
    else:
        flash_errors(form)
    return redirect(url_for(".adopt_templates", village=village.id))
