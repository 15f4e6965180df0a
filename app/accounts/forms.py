"""Administrator's account forms: shape checks only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.auth.forms import new_password_field, username_field
from app.models import Role
from app.views_util import MAX_ID, form_id

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.OFFICIAL: _l("Official"),
    Role.COMMITTEE: _l("Village committee"),
    Role.SHOP: _l("Shop keeper"),
    Role.GRID_LEADER: _l("Grid leader"),
    Role.HOUSEHOLD: _l("Household"),
    Role.UNIT: _l("Responsible unit"),
}


class NewAccountForm(FlaskForm):
    """Create any account: role plus the id of its region, shop, grid or household."""

    username = username_field()
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=64)])
    password = new_password_field()
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    scope_id = IntegerField(_l("Scope id (region, shop, grid or household)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField(_l("Create account"))


class UnitAccountForm(FlaskForm):
    """Create a responsible unit's account: its name and the region it serves (choices by the view)."""

    display_name = StringField(_l("Unit's name"), validators=[DataRequired(), Length(max=64)])
    region_id = SelectField(_l("Region it serves"), coerce=form_id)
    username = username_field()
    password = new_password_field()
    submit = SubmitField(_l("Create account"))


class RoleForm(FlaskForm):
    """Change an account's role and scope."""

    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    scope_id = IntegerField(_l("Scope id"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField(_l("Change role"))


class OwnHouseholdForm(FlaskForm):
    """Link a committee member to the household they live in (empty unlinks)."""

    household_id = IntegerField(_l("Own household id"), validators=[
        Optional(), NumberRange(min=1, max=MAX_ID)])
    submit = SubmitField(_l("Save"))


class BulkAccountsForm(FlaskForm):
    """Create the missing accounts of one kind for a place; the choices are filled by the view."""

    kind = SelectField(_l("Accounts to create"), validators=[DataRequired()])
    submit = SubmitField(_l("Create accounts and print sign-in slips"))
