"""Household and grid forms: shape checks only; rules live in services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.auth.forms import new_password_field, username_field
from app.views_util import form_id

NUMBER_PATTERN = r"^[0-9A-Za-z\-]{1,32}$"


class HouseholdForm(FlaskForm):
    """Create or edit a household; the grid choices are filled per village by the view."""

    number = StringField(_l("Household number"), validators=[
        DataRequired(), Length(max=32),
        Regexp(NUMBER_PATTERN, message=_l("Use digits, letters and dashes only.")),
    ])
    head_name = StringField(_l("Head of household"), validators=[DataRequired(), Length(max=64)])
    members = IntegerField(_l("Members"), default=1, validators=[
        DataRequired(message=_l("Enter a whole number from 1 to 99.")),
        NumberRange(min=1, max=99, message=_l("Enter a whole number from 1 to 99.")),
    ])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[
        Optional(), Length(max=32),
        Regexp(r"^[0-9+\- ]*$", message=_l("Use digits, spaces, + and - only.")),
    ])
    grid_id = SelectField(_l("Grid"), coerce=form_id, default=0)
    submit = SubmitField(_l("Save"))


class GridForm(FlaskForm):
    """Create a grid (微网格) in the committee's village."""

    name = StringField(_l("Grid name"), validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Add grid"))


class AccountForm(FlaskForm):
    """Create a sign-in account for a household or a grid leader, or reset its password."""

    username = username_field()
    password = new_password_field()
    submit = SubmitField(_l("Create account"))


class SearchForm(FlaskForm):
    """The register's search box (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=64)])
    status = SelectField(_l("Status"), choices=[("active", _l("Active")), ("inactive", _l("Inactive")),
                                                ("all", _l("All"))], default="active")
