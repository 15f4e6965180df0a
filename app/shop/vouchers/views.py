"""Order ahead: the household's order page and vouchers; the counter's pickup and cancel."""
import secrets

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import lookup, scope
from app.access.permissions import may, permission_required
from app.shop import bp, codes
from app.shop.catalogue import services as catalogue
from app.shop.vouchers import services as vouchers
from app.shop.forms import ConfirmForm, basket_items
from app.shop.pages import shop_arg
from app.views_util import attempt

VOUCHER_LABELS = {"held": _l("Waiting for pickup"), "redeemed": _l("Picked up"),
                  "cancelled": _l("Cancelled"), "expired": _l("Expired")}


def _voucher_or_404(voucher_id: int):
    return lookup.found_or_404(scope.voucher_for, current_user, voucher_id)


@bp.route("/shop/order", methods=["GET", "POST"])
@permission_required("shop.pay")
def order():
    """Pick products at home; points and stock are held for a voucher to show at the counter."""
    household = scope.own_household_or_404(current_user)
    shop = shop_arg()
    form, status = ConfirmForm(), 200
    if form.validate_on_submit():
        voucher = attempt(lambda: vouchers.order(current_user, basket_items(request.form),
                                                 form.idempotency_key.data or None, shop_id=shop.id),
                          done=_("Order placed: show this voucher at the shop."))
        if voucher:
            return redirect(url_for(".voucher", voucher_id=voucher.value.id))
        if voucher.code == "idempotency_key_reused":
            status = voucher.status  # the key placed another order: a conflict, as the API answers
    products = [p for p in catalogue.products(shop.id, active_only=True) if p.stock > 0]
    return render_template("shop/order.html", shop=shop, household=household, products=products,
                           shops=scope.shops_for(current_user),
                           key=f"order-{secrets.token_hex(12)}"), status


@bp.route("/shop/vouchers")
@permission_required("shop.pay")
def my_vouchers():
    """The household's vouchers, newest first."""
    return render_template("shop/vouchers.html", vouchers=vouchers.of_household(current_user),
                           voucher_labels=VOUCHER_LABELS)


@bp.route("/shop/vouchers/<int:voucher_id>")
@permission_required("shop.catalogue_any")
def voucher(voucher_id: int):
    """A voucher: its QR and number while held (household), or the pickup button (shop)."""
    found = _voucher_or_404(voucher_id)
    shown = None
    if found.status == "held" and may(current_user, "shop.voucher_code", found):
        shown = {"qr": codes.qr_data_uri(vouchers.secret_of(found)), "number": vouchers.number_of(found)}
    return render_template("shop/voucher.html", voucher=found, shown=shown, form=ConfirmForm(),
                           voucher_labels=VOUCHER_LABELS)


@bp.route("/shop/vouchers/<int:voucher_id>/redeem", methods=["POST"])
@permission_required("shop.counter")
def voucher_redeem(voucher_id: int):
    """Hand over a voucher's goods: a redemption of the points held at order time."""
    _voucher_or_404(voucher_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".voucher", voucher_id=voucher_id))
    sale = attempt(vouchers.redeem, current_user, voucher_id)
    if not sale:
        return redirect(url_for(".voucher", voucher_id=voucher_id))
    return redirect(url_for(".receipt", redemption_id=sale.value.id))


@bp.route("/shop/vouchers/<int:voucher_id>/cancel", methods=["POST"])
@permission_required("shop.catalogue_any")
def voucher_cancel(voucher_id: int):
    """Cancel a held voucher (the household or the shop): points and stock come back."""
    _voucher_or_404(voucher_id)
    if ConfirmForm().validate_on_submit():
        attempt(vouchers.cancel, current_user, voucher_id,
                done=_("Voucher cancelled: the points and the goods are back."))
    return redirect(url_for(".voucher", voucher_id=voucher_id))
