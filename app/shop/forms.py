"""The forms the shop's parts share: the code a scanner read (the meetings' desk uses it too), a
confirm button, a basket's quantities. Each part's own forms are in its forms.py. Shape checks
only; the services decide."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.errors import InvalidInput
from app.views_util import db_id


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
