"""The responsible units' accounts page: the admin's and officials' list and creation form."""
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import bp, units
from app.accounts.forms import UnitAccountForm
from app.access.permissions import permission_required
from app.views_util import attempt


@bp.route("/units", methods=["GET", "POST"])
@permission_required("accounts.create_unit")
def units_index():
    """The unit accounts of the user's area, a page at a time, and a form to create one."""
    form = UnitAccountForm()
    form.region_id.choices = [(r.id, f"{'  ' * (r.level - 1)}{r.name}")
                              for r in units.serving_regions(current_user)]
    if form.validate_on_submit():
        if attempt(units.create_unit, current_user, form.username.data, form.password.data,
                   form.display_name.data, form.region_id.data,
                   done=lambda user: _("Account %(name)s created.", name=user.username)):
            return redirect(url_for(".units_index"))
    page = units.units_page(current_user, request.args.get("after"),
                            current_app.config["PAGE_SIZE"])
    return render_template("accounts/units.html", form=form, page=page)
