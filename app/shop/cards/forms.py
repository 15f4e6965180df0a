"""Forms of household cards: the PIN typed at the counter, issuing a village's cards. Shape
checks only; the services decide."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class PinForm(FlaskForm):
    """The household's 6-digit card PIN, typed on the shop keeper's phone."""

    pin = StringField(_l("PIN"), validators=[
        DataRequired(message=_l("Type the household's PIN.")), Length(max=12)])
    submit = SubmitField(_l("Next"))


class CardsIssueForm(FlaskForm):
    """Cards for a village or one of its grids; a reissue must be confirmed."""

    grid = SelectField(_l("Households"), coerce=str, validate_choice=False)
    reissue = BooleanField(_l("Replace the cards already issued (the old cards stop working)"))
    confirm = BooleanField(_l("I understand: every old card of these households will stop working"))
    submit = SubmitField(_l("Issue cards and print PIN slips"))
