"""Forms of the points shop. Shape checks only; the services decide."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, HiddenField, IntegerField, SelectField, StringField,
                     SubmitField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.errors import InvalidInput
from app.views_util import db_id, form_id

SOURCE_CHOICES = [("village", _l("Bought by the village")), ("donation", _l("Donated")),
                  ("returned", _l("Returned"))]
MOVEMENT_LABELS = {"received": _l("Received"), "redeemed": _l("Redeemed"), "voided": _l("Voided back"),
                   "counted": _l("Stock-take")}
VOUCHER_LABELS = {"held": _l("Waiting for pickup"), "redeemed": _l("Picked up"),
                  "cancelled": _l("Cancelled"), "expired": _l("Expired")}


class ProductForm(FlaskForm):
    """Add or edit a product."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the product a name.")),
                                                Length(max=64)])
    category = StringField(_l("Category"), validators=[Length(max=32)])
    unit = StringField(_l("Unit"), validators=[Length(max=16)])
    points = IntegerField(_l("Price in points"), validators=[
        InputRequired(message=_l("Give the price in points.")), NumberRange(min=1, max=100000)])
    low_stock = IntegerField(_l("Warn when stock is at or below"), default=5, validators=[
        InputRequired(message=_l("Give the warning level.")), NumberRange(min=0, max=100000)])
    active = BooleanField(_l("On sale"), default=True)
    photo = FileField(_l("Photo (optional)"))
    remove_photo = BooleanField(_l("Remove the photo"))
    submit = SubmitField(_l("Save"))


class ReceiveForm(FlaskForm):
    """Goods received for a product."""

    quantity = IntegerField(_l("Quantity received"), validators=[
        InputRequired(message=_l("Give the quantity.")), NumberRange(min=1, max=100000)])
    source = SelectField(_l("Source"), choices=SOURCE_CHOICES)
    note = StringField(_l("From whom, or a note"), validators=[Length(max=200)])
    submit = SubmitField(_l("Add to stock"))


class CountForm(FlaskForm):
    """A stock-take of a product."""

    counted = IntegerField(_l("Counted stock"), validators=[
        InputRequired(message=_l("Give the counted stock.")), NumberRange(min=0, max=100000)])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Give a reason for the stock-take.")), Length(max=200)])
    submit = SubmitField(_l("Save stock-take"))


class CodeForm(FlaskForm):
    """The code a scanner read, or the 12-digit number the shop keeper typed."""

    code = StringField(_l("Payment code"), validators=[
        DataRequired(message=_l("Scan or type the code.")), Length(max=64)])
    submit = SubmitField(_l("Look up"))


class ConfirmForm(FlaskForm):
    """A button with a CSRF token and the basket's request key."""

    idempotency_key = HiddenField(validators=[Optional(), Length(max=100)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Confirm"))


def basket_items(formdata) -> list[tuple[int, int]]:
    """[(product_id, quantity)] from a basket form's `qty-<product id>` fields (blank is 0); a
    field naming no possible product id (`qty-99999999999999999999`) makes the basket unreadable
    rather than reach the database."""
    items = []
    for name, value in formdata.items():
        if not name.startswith("qty-"):
            continue
        try:
            product_id, quantity = db_id(name[4:]), int(value or 0)
        except ValueError:
            raise InvalidInput(_("The basket could not be read.")) from None
        items.append((product_id, quantity))
    return items


class VoucherDaysForm(FlaskForm):
    """How long a village's order-ahead vouchers are kept."""

    voucher_days = IntegerField(_l("Days an order is kept"), validators=[
        InputRequired(message=_l("Give the number of days.")), NumberRange(min=1, max=60)])
    submit = SubmitField(_l("Save"))


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
