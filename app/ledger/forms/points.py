"""Forms of the points pages (awards, deductions, entries, reversals): shape checks only."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from app.models.ledger import KINDS, EntryKind
from app.views_util import MAX_ID, form_id

# More households than any village has; a longer list is refused with a message, not a 500.
MAX_HOUSEHOLDS = 2000
KIND_LABELS = {EntryKind.AWARD: _l("Award"), EntryKind.DEDUCTION: _l("Deduction"),
               EntryKind.REDEMPTION: _l("Redemption"), EntryKind.REVERSAL: _l("Reversal"),
               EntryKind.ADJUSTMENT: _l("Adjustment"), EntryKind.EXPIRY: _l("Year-end lapse")}


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


class AwardForm(FlaskForm):
    """Step one of an award: the rule and one household, a grid, or ticked households."""

    rule_id = SelectField(_l("Rule"), coerce=form_id)
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])
    target = StringField(validators=[AnyOf(("household", "grid", "selection"),
                                           message=_l("Choose who gets the points."))])
    household_number = StringField(_l("Household number"), validators=[Optional(), Length(max=32)])
    grid_id = SelectField(_l("Grid"), coerce=form_id, default=0)
    household_ids = IdListField(_l("Selected households"))
    q = HiddenField(validators=[Optional(), Length(max=64)])


class DeductForm(FlaskForm):
    """Step one of a deduction: a deduction rule, household numbers and the reason."""

    rule_id = SelectField(_l("Deduction rule"), coerce=form_id)
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

