"""The committee's rulebook pages: categories, rules (add, change, retire) and village settings.

Thin views: reads come from app/ledger/reads.py, every write is one call to
app/ledger/rules.py (or app/ledger/settings.py), and a DomainError becomes a message.
"""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.ledger import reads, rules as book
from app.ledger.views import rulebook_bp as bp
from app.auth.forms import ConfirmForm
from app.ledger.forms.rulebook import CategoryForm, RuleEditForm, RuleForm, SettingsForm
from app.ledger.settings import save_settings
from app.views_util import attempt, flash_errors, managed_village, readable_village


@bp.route("/rules")
@permission_required("rulebook.rules")
def rules():
    """The village's active rules by category, with points and limits (read-only)."""
    village = readable_village()
    return render_template("rulebook/rules.html", village=village,
                           categories=reads.active_rules_by_category(village.id))


@bp.route("/rulebook")
@permission_required("rulebook.read")
def rulebook():
    """The village's rulebook: categories and their rules, active and retired."""
    village = readable_village()
    categories, by_category = reads.rulebook(village.id)
    return render_template("rulebook/rulebook.html", village=village, categories=categories,
                           by_category=by_category, form=CategoryForm(),
                           settings=reads.settings_for(village.id),
                           can_manage=scope.can_manage_village(current_user, village.id))


@bp.route("/rulebook/categories", methods=["POST"])
@permission_required("rulebook.manage")
def create_category():
    """Add a heading to the rulebook."""
    village = managed_village()
    form = CategoryForm()
    if form.validate_on_submit():
        attempt(book.create_category, current_user, village.id, form.name.data,
                form.sort_order.data or 0, done=_("Category added."))
    else:
        flash_errors(form)
    return redirect(url_for(".rulebook", village=village.id))


def _category_choices(village_id: int):
    return [(c.id, c.name) for c in reads.categories(village_id)]


def _rule_fields(form: RuleForm) -> dict:
    return {"name": form.name.data, "description": form.description.data or "", "points": form.points.data,
            "limit_count": form.limit_count.data, "limit_period": form.limit_period.data or None,
            "category_id": form.category_id.data}


@bp.route("/rulebook/new", methods=["GET", "POST"])
@permission_required("rulebook.manage")
def create_rule():
    """Add a rule to the rulebook."""
    village = managed_village()
    form = RuleForm()
    form.category_id.choices = _category_choices(village.id)
    if form.validate_on_submit():
        if attempt(book.create_rule, current_user, village.id, code=form.code.data,
                   **_rule_fields(form), done=_("Rule %(code)s added.", code=form.code.data)):
            return redirect(url_for(".rulebook", village=village.id))
    return render_template("rulebook/rule_form.html", form=form, village=village, rule=None)


@bp.route("/rulebook/<int:rule_id>/edit", methods=["GET", "POST"])
@permission_required("rulebook.manage")
def edit_rule(rule_id: int):
    """Change a rule; entries already made keep their points."""
    rule, village = reads.managed_rule_or_404(current_user, rule_id)
    form = RuleEditForm(obj=rule)
    form.category_id.choices = _category_choices(rule.village_id)
    if request.method == "GET":
        form.limit_period.data = rule.limit_period or ""
    if form.validate_on_submit():
        if attempt(book.update_rule, current_user, rule.id, **_rule_fields(form),
                   done=_("Saved. The change applies to new entries only.")):
            return redirect(url_for(".rulebook", village=rule.village_id))
    return render_template("rulebook/rule_form.html", form=form, village=village, rule=rule)


@bp.route("/rulebook/<int:rule_id>/retire", methods=["GET", "POST"])
@permission_required("rulebook.manage")
def retire_rule(rule_id: int):
    """Retire a rule after a confirmation page; rules are never deleted."""
    rule, village = reads.managed_rule_or_404(current_user, rule_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(book.retire_rule, current_user, rule.id,
                done=_("Rule %(code)s retired.", code=rule.code))
        return redirect(url_for(".rulebook", village=rule.village_id))
    return render_template("rulebook/retire.html", rule=rule, village=village, form=form)


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("rulebook.manage")
def settings():
    """Star thresholds on the score and the days households have to object to a notice."""
    village = managed_village()
    form = SettingsForm(obj=reads.settings_for(village.id))
    if form.validate_on_submit():
        if attempt(save_settings, current_user, village.id, form.star2.data, form.star3.data,
                   form.star4.data, form.star5.data, form.objection_days.data, done=_("Saved.")):
            return redirect(url_for(".rulebook", village=village.id))
    return render_template("rulebook/settings.html", form=form, village=village)
