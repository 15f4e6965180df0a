"""Forms of the rulebook pages: shape checks only; rules live in app/ledger/rules.py."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, \
    ValidationError

from app.dates import Plausible
from app.views_util import form_id

STAR_RANGE = NumberRange(min=1, max=1000000, message=_l("Enter a whole number from 1 to 1000000."))
POINTS_RANGE = NumberRange(min=-10000, max=10000, message=_l("Enter a whole number from -10000 to 10000."))


def nonzero(form, field):
    """Points of a rule are never zero."""
    if field.data == 0:
        raise ValidationError(_l("Points cannot be zero."))


class CategoryForm(FlaskForm):
    """A new heading of the rulebook."""

    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=64)])
    sort_order = IntegerField(_l("Order"), default=0, validators=[
        Optional(), NumberRange(min=0, max=999, message=_l("Enter a whole number from 0 to 999."))])
    submit = SubmitField(_l("Add category"))


class RuleForm(FlaskForm):
    """A rule of the rulebook: the category choices are filled per village by the view."""

    category_id = SelectField(_l("Category"), coerce=form_id)
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=32),
        Regexp(r"^[0-9A-Za-z\-_.]+$", message=_l("Use digits, letters, dots, dashes and underscores."))])
    name = StringField(_l("Rule name"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=500)])
    points = IntegerField(_l("Points (negative for a deduction)"), validators=[
        InputRequired(message=_l("Enter a whole number from -10000 to 10000.")), POINTS_RANGE, nonzero])
    limit_count = IntegerField(_l("At most (times)"), validators=[
        Optional(), NumberRange(min=1, max=1000, message=_l("Enter a whole number from 1 to 1000."))])
    limit_period = SelectField(_l("Per"), default="", choices=[
        ("", _l("No limit")), ("day", _l("day")), ("month", _l("month")), ("year", _l("year")),
        ("event", _l("meeting or issue"))])
    submit = SubmitField(_l("Save"))


class RuleEditForm(RuleForm):
    """Editing a rule: its code stays as it is (past entries and notices name it)."""

    code = None


class SettingsForm(FlaskForm):
    """Star thresholds on the score and the objection window; the service checks their order."""

    star2 = IntegerField(_l("Score for 2 stars"), validators=[InputRequired(), STAR_RANGE])
    star3 = IntegerField(_l("Score for 3 stars"), validators=[InputRequired(), STAR_RANGE])
    star4 = IntegerField(_l("Score for 4 stars"), validators=[InputRequired(), STAR_RANGE])
    star5 = IntegerField(_l("Score for 5 stars"), validators=[InputRequired(), STAR_RANGE])
    objection_days = IntegerField(_l("Days to object after a notice"), validators=[
        InputRequired(), NumberRange(min=1, max=60, message=_l("Enter a whole number from 1 to 60."))])
    submit = SubmitField(_l("Save"))


class SettlementForm(FlaskForm):
    """The year-end settlement: on or off, its date and the warning days (app/ledger/settlement.py)."""

    enabled = BooleanField(_l("Clear unspent points once a year (年度清零)"))
    settle_on = DateField(_l("Points lapse at the end of"), validators=[
        Optional(), Plausible(past=timedelta(0))])
    warn_days = IntegerField(_l("Warn households this many days before"), default=30, validators=[
        InputRequired(), NumberRange(min=1, max=180, message=_l("Enter a whole number from 1 to 180."))])
    submit = SubmitField(_l("Save"))

    def validate(self, extra_validators=None) -> bool:
        """A settlement switched on needs its date (Optional() would skip an inline check)."""
        if not super().validate(extra_validators):
            return False
        if self.enabled.data and self.settle_on.data is None:
            self.settle_on.errors = [_l("Choose the date points lapse.")]
            return False
        return True
