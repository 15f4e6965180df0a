"""The counter: scan a payment code, fill the basket, confirm, receipt; the day's redemptions."""
import secrets
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions
from app.access.permissions import permission_required
from app.errors import NotFound
from app.ledger.settlement import lapse_notice
from app.security import scanner_csp
from app.shop import bp, checkout, codes
from app.shop.cards import services as cards
from app.shop.counter import services as counter
from app.shop.reports import reads as reports
from app.shop.forms import CodeForm, ConfirmForm, basket_items
from app.shop.cards.scanned import card_read
from app.shop.pages import shop_arg
from app.views_util import attempt, limit_typed_codes


@bp.route("/shop/scan", methods=["GET", "POST"])
@permission_required("shop.counter")
@limit_typed_codes
def scan():
    """The camera scanner with a typed-code fallback; a code read opens its household's basket."""
    form, status = CodeForm(), 200
    if form.validate_on_submit():
        read = attempt(counter.read_code, current_user, form.code.data)
        status = read.status
        if read:
            kind, found = read.value
            if kind == "voucher":
                return redirect(url_for(".voucher", voucher_id=found))
            if kind == "card":
                return card_read(found)
            return redirect(url_for(".basket", code_id=found))
    elif request.method == "POST":
        status = 422  # nothing typed, or too long: the field says why
    return scanner_csp(current_app.make_response(
        (render_template("shop/scan.html", form=form), status)))


def _basket_or_rescan(code_id: int):
    return attempt(counter.basket, current_user, code_id).value


@bp.route("/shop/basket/<int:code_id>")
@permission_required("shop.counter")
def basket(code_id: int):
    """The household's name, number and balance, and the shop's products with +/- buttons."""
    found = _basket_or_rescan(code_id)
    if found is None:
        return redirect(url_for(".scan"))
    # The request key is made once, when the basket opens: a double tap or resend pays once.
    return render_template("shop/basket.html", basket=found, form=ConfirmForm(),
                           key=f"basket-{code_id}-{secrets.token_hex(8)}")


@bp.route("/shop/basket/<int:code_id>/confirm", methods=["POST"])
@permission_required("shop.counter")
def basket_confirm(code_id: int):
    """The confirmation page: lines, total and the balance after; writes nothing."""
    found = _basket_or_rescan(code_id)
    form = ConfirmForm()
    if found is None or not form.validate_on_submit():
        return redirect(url_for(".scan"))
    wanted = attempt(lambda: checkout.quantities(basket_items(request.form)))
    if not wanted:
        return redirect(url_for(".basket", code_id=code_id))
    prices = {p.id: p for p in found.products}
    lines = [(prices[p], q) for p, q in wanted.value.items() if p in prices]
    total = sum(p.points * q for p, q in lines)
    return render_template("shop/confirm.html", basket=found, lines=lines, total=total, form=form)


@bp.route("/shop/basket/<int:code_id>/checkout", methods=["POST"])
@permission_required("shop.counter")
def basket_checkout(code_id: int):
    """The sale itself, in one transaction; a refusal goes back to the basket with its reason."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for(".basket", code_id=code_id))
    sale = attempt(lambda: checkout.sell(current_user, basket_items(request.form),
                                         form.idempotency_key.data or None, code_id=code_id))
    if isinstance(sale.error, codes.CodeInvalid):
        return redirect(url_for(".scan"))
    if not sale:
        return redirect(url_for(".basket", code_id=code_id))
    return redirect(url_for(".receipt", redemption_id=sale.value.id))


@bp.route("/shop/redemptions/<int:redemption_id>")
@permission_required("shop.catalogue_manage")
def receipt(redemption_id: int):
    """A redemption's receipt: household, lines, points and the balance after."""
    try:
        sale = checkout.redemption_for(current_user, redemption_id)
    except NotFound:
        abort(404)
    return render_template("shop/receipt.html", sale=sale, form=ConfirmForm(),
                           pin_reset=cards.pin_reset_for_receipt(sale),
                           lapse=None if sale.voided_at else lapse_notice(sale.household),
                           may_void=sale.voided_at is None
                           and permissions.may(current_user, "shop.void", sale))


@bp.route("/shop/redemptions")
@permission_required("shop.catalogue_manage")
def redemptions():
    """A day's redemptions (today by default) with their totals, newest first."""
    shop = shop_arg()
    day = reports.parse_day(request.args.get("day"))
    page = reports.day_page(shop.id, day, request.args.get("after"), current_app.config["PAGE_SIZE"])
    return render_template("shop/redemptions.html", shop=shop, day=day, page=page,
                           totals=reports.day_totals(shop.id, day),
                           previous=day - timedelta(days=1), following=day + timedelta(days=1),
                           today=reports.today())


@bp.route("/shop/redemptions/<int:redemption_id>/void", methods=["POST"])
@permission_required("shop.catalogue_manage")
def void(redemption_id: int):
    """Void a redemption with a reason: points back by a reversal, goods back into stock."""
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(checkout.void, current_user, redemption_id, form.reason.data, not_found_404=True,
                done=_("Redemption voided: the points and the goods are back."))
    return redirect(url_for(".receipt", redemption_id=redemption_id))
