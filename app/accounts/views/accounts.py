"""The administrator's account pages and the audit log."""
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit
from app.accounts import bp, services
from app.accounts.forms import ROLE_LABELS, NewAccountForm, OwnHouseholdForm, RoleForm
from app.access.permissions import permission_required
from app.auth.forms import ConfirmForm, ResetForm
from app.models import Role
from app.views_util import attempt, flash_errors


@bp.route("/", methods=["GET", "POST"])
@permission_required("accounts.admin")
def index():
    """Every account, a page at a time, and a form to create one."""
    form = NewAccountForm()
    if form.validate_on_submit():
        if attempt(services.create_account, form.username.data, form.password.data,
                   Role(form.role.data), form.scope_id.data, form.display_name.data or "",
                   actor=current_user,
                   done=lambda user: _("Account %(name)s created.", name=user.username)):
            return redirect(url_for(".index"))
    q = request.args.get("q", "")[:64].strip()
    page = services.accounts_page(q, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("accounts/index.html", form=form, page=page, q=q, roles=ROLE_LABELS)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@permission_required("accounts.admin")
def detail(user_id: int):
    """One account: change its role, reset its password, disable it."""
    user = services.user_or_404(user_id)
    form = RoleForm(role=user.role)
    if form.validate_on_submit():
        if attempt(services.change_role, user, Role(form.role.data), form.scope_id.data,
                   actor=current_user, done=_("Role changed.")):
            return redirect(url_for(".detail", user_id=user.id))
    return render_template("accounts/detail.html", user=user, form=form, roles=ROLE_LABELS,
                           reset_form=ResetForm(), confirm=ConfirmForm(),
                           own_form=OwnHouseholdForm(household_id=user.household_id))


@bp.route("/<int:user_id>/own-household", methods=["POST"])
@permission_required("accounts.admin")
def own_household(user_id: int):
    """Link a committee member to the household they live in, or unlink them."""
    user = services.user_or_404(user_id)
    form = OwnHouseholdForm()
    if form.validate_on_submit():
        attempt(services.link_own_household, user, form.household_id.data, actor=current_user,
                done=_("Saved."))
    else:
        flash_errors(form)
    return redirect(url_for(".detail", user_id=user.id))


@bp.route("/<int:user_id>/password", methods=["POST"])
@permission_required("accounts.admin")
def reset_password(user_id: int):
    """Set a new password for any account."""
    user = services.user_or_404(user_id)
    form = ResetForm()
    if form.validate_on_submit():
        attempt(services.reset_password, user, form.password.data, actor=current_user,
                done=_("The password of %(name)s has been reset.", name=user.username))
    else:
        flash_errors(form)
    return redirect(url_for(".detail", user_id=user.id))


@bp.route("/<int:user_id>/active", methods=["POST"])
@permission_required("accounts.admin")
def set_active(user_id: int):
    """Disable or re-enable an account."""
    user = services.user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        attempt(services.set_active, user, request.form.get("active") == "1", actor=current_user)
    return redirect(url_for(".detail", user_id=user.id))


@bp.route("/audit")
@permission_required("accounts.admin")
def audit_log():
    """The audit log, newest first."""
    page = services.audit_page(request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("accounts/audit.html", page=page, labels=audit.ACTION_LABELS,
                           who=audit.actor_label)
