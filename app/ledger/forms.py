"""Forms of the committee's ledger pages: shape checks only; rules live in the services."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, \
    ValidationError
from wtforms.widgets import HiddenInput

from app.models.ledger import KINDS, EntryKind
from app.views_util import MAX_ID

# More households than any village has; a longer list is refused with a message, not a 500.
MAX_HOUSEHOLDS = 2000
KIND_LABELS = {EntryKind.AWARD: _l("Award"), EntryKind.DEDUCTION: _l("Deduction"),
               EntryKind.REDEMPTION: _l("Redemption"), EntryKind.REVERSAL: _l("Reversal"),
               EntryKind.ADJUSTMENT: _l("Adjustment")}
STAR_RANGE = NumberRange(min=1, max=1000000, message=_l("Enter a whole number from 1 to 1000000."))
POINTS_RANGE = NumberRange(min=-10000, max=10000, message=_l("Enter a whole number from -10000 to 10000."))


class IdListField(Field):
    """Household ids from repeated checkboxes or one comma-separated hidden value."""

    widget = HiddenInput()

    def _value(self):
        return ",".join(str(i) for i in self.data or [])

    def process_formdata(self, valuelist):
        parts = [p for value in valuelist for p in re.split(r"[\s,]+", value or "") if p]
        self.data = []
        if len(parts) > MAX_HOUSEHOLDS:
            raise ValueError(_l("Choose at most %(num)d households at a time.", num=MAX_HOUSEHOLDS))
        if not all(p.isascii() and p.isdigit() and 0 < int(p) <= MAX_ID for p in parts):
            raise ValueError(_l("The list of households is not valid."))
        self.data = list(dict.fromkeys(int(p) for p in parts))


def nonzero(form, field):
    """Points of a rule are never zero."""
    if field.data == 0:
        raise ValidationError(_l("Points cannot be zero."))


class AwardForm(FlaskForm):
    """Step one of an award: the rule and one household, a grid, or ticked households."""

    rule_id = SelectField(_l("Rule"), coerce=int)
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
    target = StringField(validators=[AnyOf(("household", "grid", "selection"),
                                           message=_l("Choose who gets the points."))])
    household_number = StringField(_l("Household number"), validators=[Optional(), Length(max=32)])
    grid_id = SelectField(_l("Grid"), coerce=int, default=0)
    household_ids = IdListField(_l("Selected households"))
    q = HiddenField(validators=[Optional(), Length(max=64)])


class DeductForm(FlaskForm):
    """Step one of a deduction: a deduction rule, household numbers and the reason."""

    rule_id = SelectField(_l("Deduction rule"), coerce=int)
    numbers = StringField(_l("Household numbers"), validators=[
        DataRequired(message=_l("Enter at least one household number.")), Length(max=2000),
        Regexp(r"^[0-9A-Za-z\-,，\s]+$", message=_l("Use household numbers separated by spaces or commas."))])
    note = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("A deduction needs a reason.")), Length(max=500)])
    submit = SubmitField(_l("Check before deducting"))

    def number_list(self) -> list[str]:
        """The household numbers typed, without duplicates."""
        return list(dict.fromkeys(n for n in re.split(r"[\s,，]+", self.numbers.data or "") if n))


class ConfirmEntriesForm(FlaskForm):
    """The confirmation page's form: what was shown, and the key that makes a replay harmless."""

    rule_id = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    households = IdListField(validators=[InputRequired(message=_l("Choose at least one household."))])
    note = HiddenField(validators=[Optional(), Length(max=500)])
    key = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_\-]{16,64}$")])
    photo = FileField(_l("Photo as evidence (optional)"))


class ReverseForm(FlaskForm):
    """Reverse (撤销) an entry, with the reason the household will read."""

    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("A reversal needs a reason.")), Length(max=500)])
    submit = SubmitField(_l("Reverse this entry"))


class CategoryForm(FlaskForm):
    """A new heading of the rulebook."""

    name = StringField(_l("Category name"), validators=[DataRequired(), Length(max=64)])
    sort_order = IntegerField(_l("Order"), default=0, validators=[
        Optional(), NumberRange(min=0, max=999, message=_l("Enter a whole number from 0 to 999."))])
    submit = SubmitField(_l("Add category"))


class RuleForm(FlaskForm):
    """A rule of the rulebook: the category choices are filled per village by the view."""

    category_id = SelectField(_l("Category"), coerce=int)
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


class EntryFilterForm(FlaskForm):
    """The entries list's filters (GET, so no CSRF)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), default="", choices=[("", _l("All kinds"))] + [
        (k, KIND_LABELS[k]) for k in KINDS])
    household = StringField(_l("Household number"), validators=[Optional(), Length(max=32)])


class SearchForm(FlaskForm):
    """The award page's search over the register (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=64)])

