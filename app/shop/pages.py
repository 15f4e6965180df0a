"""What the shop's pages share: the shop a page shows. Used by the catalogue's, the counter's,
the vouchers' and the reports' views, so it lives here rather than in one of them (views do not
import other views)."""
from flask import abort, request
from flask_login import current_user

from app.errors import NotFound
from app.shop.catalogue import services as catalogue
from app.views_util import db_id


def shop_arg():
    """The shop a page shows (?shop= for a committee or admin with several), or 404."""
    raw = request.args.get("shop")
    try:
        return catalogue.shop_for(current_user, db_id(raw) if raw else None)
    except (ValueError, NotFound):
        abort(404)
