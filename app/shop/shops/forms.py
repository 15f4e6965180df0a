"""Forms of the shops' pages: opening and renaming a shop, its keepers. Shape checks only; the
services decide."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app.views_util import form_id


class OpenShopForm(FlaskForm):
    """Open a shop: its name, and its village (the choices are filled by the view)."""

    village_id = SelectField(_l("Village"), coerce=form_id)
    name = StringField(_l("Shop name"), validators=[
        DataRequired(message=_l("A shop needs a name.")), Length(max=64)])
    submit = SubmitField(_l("Open the shop"))


class RenameShopForm(FlaskForm):
    """A shop's new name."""

    name = StringField(_l("Shop name"), validators=[
        DataRequired(message=_l("A shop needs a name.")), Length(max=64)])
    submit = SubmitField(_l("Rename"))


class KeeperForm(FlaskForm):
    """A new shop keeper's account: their name; the username and password are made for them."""

    display_name = StringField(_l("Shop keeper's name"), validators=[
        DataRequired(message=_l("Give the shop keeper's name.")), Length(max=64)])
    submit = SubmitField(_l("Create the account and print its slip"))


class ShopButtonForm(FlaskForm):
    """A button with a CSRF token (served villages, switching a keeper off or on)."""

    submit = SubmitField(_l("Save"))
