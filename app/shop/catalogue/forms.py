"""Forms of the catalogue: products, goods received, stock-takes, how long vouchers are kept.
Shape checks only; the services decide."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

SOURCE_CHOICES = [("village", _l("Bought by the village")), ("donation", _l("Donated")),
                  ("returned", _l("Returned"))]
MOVEMENT_LABELS = {"received": _l("Received"), "redeemed": _l("Redeemed"), "voided": _l("Voided back"),
                   "counted": _l("Stock-take")}


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


class VoucherDaysForm(FlaskForm):
    """How long a village's order-ahead vouchers are kept."""

    voucher_days = IntegerField(_l("Days an order is kept"), validators=[
        InputRequired(message=_l("Give the number of days.")), NumberRange(min=1, max=60)])
    submit = SubmitField(_l("Save"))
