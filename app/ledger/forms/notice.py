"""Forms of objections (异议) to entries on the notice board: shape checks only."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class ObjectionForm(FlaskForm):
    """A household's objection to one of its entries."""

    reason = TextAreaField(_l("What is wrong with this entry"), validators=[
        DataRequired(message=_l("Say what is wrong with this entry.")), Length(max=1000)])
    submit = SubmitField(_l("Send objection"))


class AnswerForm(FlaskForm):
    """The committee's answer to an objection: keep the entry, or reverse it."""

    answer = TextAreaField(_l("Answer"), validators=[
        DataRequired(message=_l("Answer the objection.")), Length(max=1000)])
    submit = SubmitField(_l("Send"))
