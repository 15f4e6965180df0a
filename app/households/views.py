"""Register pages: thin views over households.services, households.reads and accounts.services."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.accounts import services as accounts
from app.access.permissions import permission_required
from app.households import bp, reads, services
from app.ledger import reads as ledger_reads
from app.auth.forms import ConfirmForm, ResetForm
from app.households.forms import AccountForm, GridForm, HouseholdForm, SearchForm
from app.models import Role
from app.views_util import attempt, back_or, flash_errors, managed_village, readable_village



def _grid_choices(village_id: int):
    grids = scope.grids(current_user, village_id)
    return [(0, _("No grid"))] + [(g.id, g.name) for g in grids]


@bp.route("/")
@permission_required("households.register")
def register():
    """The village register, searchable, a page at a time."""
    village = readable_village()
    form = SearchForm(request.args)
    form.validate()
    can_manage = scope.can_manage_village(current_user, village.id)
    page = reads.register_page(village, scope.households_query(current_user),
                                  q=form.q.data or "", status=form.status.data or "active",
                                  cursor=request.args.get("after"),
                                  limit=current_app.config["PAGE_SIZE"])
    return render_template("households/register.html", village=village, form=form, page=page,
                           counts=reads.village_counts(village.id), can_manage=can_manage,
                           waiting=ledger_reads.waiting_counts(village.id) if can_manage else None)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("households.manage")
def create():
    """Add a household to the register."""
    village = managed_village()
    form = HouseholdForm()
    form.grid_id.choices = _grid_choices(village.id)
    if form.validate_on_submit():
        household = attempt(services.create_household, current_user, village, form.data,
                            done=lambda added: _("Household %(number)s added.", number=added.number))
        if household:
            return redirect(url_for(".detail", household_id=household.value.id))
    return render_template("households/form.html", form=form, village=village, household=None)


@bp.route("/<int:household_id>")
@permission_required("households.register")
def detail(household_id: int):
    """One household's record and its sign-in accounts."""
    household = scope.household_or_404(current_user, household_id)
    users = accounts.accounts_of_households([household.id]).get(household.id, [])
    return render_template("households/detail.html", household=household, users=users,
                           can_manage=scope.can_manage_village(current_user, household.village_id),
                           account_form=AccountForm(), reset_form=ResetForm(), confirm=ConfirmForm())


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@permission_required("households.manage")
def edit(household_id: int):
    """Change a household's details or grid."""
    household = scope.managed_household_or_404(current_user, household_id)
    form = HouseholdForm(obj=household)
    form.grid_id.choices = _grid_choices(household.village_id)
    if request.method == "GET":
        form.grid_id.data = household.grid_id or 0
    if form.validate_on_submit():
        if attempt(services.update_household, current_user, household, form.data, done=_("Saved.")):
            return redirect(url_for(".detail", household_id=household.id))
    return render_template("households/form.html", form=form, village=household.village,
                           household=household)


@bp.route("/<int:household_id>/active", methods=["POST"])
@permission_required("households.manage")
def set_active(household_id: int):
    """Deactivate or reactivate (the detail page asks for confirmation first)."""
    household = scope.managed_household_or_404(current_user, household_id)
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        services.set_active(current_user, household, active)
        flash(_("Household reactivated.") if active else _("Household deactivated."), "success")
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/<int:household_id>/accounts", methods=["POST"])
@permission_required("households.manage")
def create_account(household_id: int):
    """Create a sign-in account for a household."""
    household = scope.managed_household_or_404(current_user, household_id)
    form = AccountForm()
    if form.validate_on_submit():
        attempt(accounts.create_account, form.username.data, form.password.data, Role.HOUSEHOLD,
                household.id, display_name=household.head_name, actor=current_user,
                done=_("Account %(name)s created.", name=form.username.data))
    else:
        flash_errors(form)
    return redirect(url_for(".detail", household_id=household.id))


@bp.route("/accounts/<int:user_id>/password", methods=["POST"])
@permission_required("households.manage")
def reset_password(user_id: int):
    """Reset the password of a household or grid-leader account of the committee's village."""
    user = scope.managed_account_or_404(current_user, user_id)
    form = ResetForm()
    if form.validate_on_submit():
        attempt(accounts.reset_password, user, form.password.data, actor=current_user,
                done=_("The password of %(name)s has been reset.", name=user.username))
    else:
        flash_errors(form)
    return redirect(back_or(url_for(".register")))


@bp.route("/grids", methods=["GET", "POST"])
@permission_required("households.register")
def grids():
    """The village's grids with their household counts and leaders; committees add grids."""
    village = readable_village()
    can_manage = scope.can_manage_village(current_user, village.id)
    form = GridForm()
    if can_manage and form.validate_on_submit():
        if attempt(services.create_grid, current_user, village, form.name.data, done=_("Grid added.")):
            return redirect(url_for(".grids", village=village.id))
    return render_template("households/grids.html", village=village, form=form,
                           grids=reads.grid_summaries(village.id), can_manage=can_manage,
                           account_form=AccountForm(), reset_form=ResetForm())


@bp.route("/grids/<int:grid_id>/leader", methods=["POST"])
@permission_required("households.manage")
def create_leader(grid_id: int):
    """Create the grid leader's account."""
    grid = scope.managed_grid_or_404(current_user, grid_id)
    form = AccountForm()
    if form.validate_on_submit():
        attempt(accounts.create_account, form.username.data, form.password.data, Role.GRID_LEADER,
                grid.id, actor=current_user,
                done=_("Account %(name)s created.", name=form.username.data))
    else:
        flash_errors(form)
    return redirect(url_for(".grids", village=grid.village_id))
