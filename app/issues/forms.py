"""Forms of the issue pages. Shape checks only; the services decide the rest."""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.dates import Plausible
from app.views_util import form_id

KINDS = [("issue", _l("Issue or appeal (问题诉求)")), ("suggestion", _l("Suggestion (意见建议)"))]
CATEGORIES = [("roads", _l("Roads and lights")), ("water", _l("Water and irrigation")),
              ("environment", _l("Environment and sanitation")), ("safety", _l("Safety")),
              ("welfare", _l("Welfare and care")), ("agriculture", _l("Farming and income")),
              ("other", _l("Other"))]


class RaiseForm(FlaskForm):
    """Raise an issue; the household and meeting choices are filled by the view."""

    household_id = SelectField(_l("Household"), coerce=form_id)
    kind = SelectField(_l("Kind"), choices=KINDS)
    category = SelectField(_l("Category"), choices=CATEGORIES)
    description = TextAreaField(_l("What is the problem or suggestion"), validators=[
        DataRequired(message=_l("Describe the issue.")), Length(max=1000)])
    meeting_id = SelectField(_l("Raised at meeting"), coerce=form_id)
    photo = FileField(_l("Photo (optional)"))
    submit = SubmitField(_l("Send"))


class AssignForm(FlaskForm):
    """Responsible person or unit, deadline and measures."""

    responsible_user_id = SelectField(_l("Responsible account"), coerce=form_id)
    responsible_unit = StringField(_l("Responsible person or unit"), validators=[Length(max=64)])
    deadline = DateField(_l("Deadline (整改时限)"), validators=[
        DataRequired(message=_l("Give a deadline.")), Plausible(past=timedelta(0))])
    measures = TextAreaField(_l("Measures (整改措施)"), validators=[
        DataRequired(message=_l("Describe the measures.")), Length(max=1000)])
    submit = SubmitField(_l("Assign"))


class NoteForm(FlaskForm):
    """A text for progress, resolution feedback or supervision."""

    note = TextAreaField(_l("Note"), validators=[
        DataRequired(message=_l("Write a note.")), Length(max=1000)])
    submit = SubmitField(_l("Save"))


class ConfirmIssueForm(FlaskForm):
    """The raiser's answer to a resolution."""

    satisfied = SelectField(_l("Are you satisfied?"), choices=[
        ("yes", _l("Satisfied")), ("no", _l("Not satisfied"))])
    reason = TextAreaField(_l("What is still wrong (if not satisfied)"),
                           validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Send answer"))


class ButtonForm(FlaskForm):
    """A button with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SettingsForm(FlaskForm):
    """The village's issue settings."""

    confirm_days = IntegerField(_l("Days a resolved issue waits for the raiser's answer"),
                                validators=[InputRequired(), NumberRange(min=1, max=90)])
    submit = SubmitField(_l("Save"))
