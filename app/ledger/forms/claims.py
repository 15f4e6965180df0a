"""Forms of the claims pages (积分申报): shape checks only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.views_util import form_id


class ClaimForm(FlaskForm):
    """A claim (积分申报): the rule and household choices are filled by the view."""

    household_id = SelectField(_l("Household"), coerce=form_id)
    rule_id = SelectField(_l("Rule"), coerce=form_id)
    description = TextAreaField(_l("What was done"), validators=[
        DataRequired(message=_l("Describe what was done.")), Length(max=1000)])
    photo = FileField(_l("Photo (optional)"))
    submit = SubmitField(_l("Send claim"))


class RejectForm(FlaskForm):
    """Reject a claim; the household reads the reason."""

    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Say why the claim is rejected.")), Length(max=500)])
    submit = SubmitField(_l("Reject"))


class DecideForm(FlaskForm):
    """A button with a CSRF token (approving a claim)."""

    submit = SubmitField(_l("Approve"))
