"""The household's payment code page (/me/pay): a QR and a 12-digit number that refresh themselves."""
from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import scope
from app.access.permissions import permission_required
from app.extensions import limiter
from app.shop import bp, codes
from app.shop.forms import ConfirmForm


def _per_user() -> str:
    return f"pay:{current_user.id}"


def _shown(code: dict) -> dict:
    number = code["number"]
    return {"qr": code["qr"], "number": f"{number[:4]} {number[4:8]} {number[8:]}",
            "expires_at": code["expires_at"].isoformat(),
            "seconds": codes._seconds("PAY_CODE_SECONDS", 60)}


@bp.route("/me/pay", methods=["GET", "POST"])
@permission_required("shop.pay")
@limiter.limit("30 per minute", key_func=_per_user, methods=["POST"])
def pay():
    """The page; a GET shows no code (GETs never write), a POST (or its script) issues one."""
    household = scope.own_household_or_404(current_user)
    form = ConfirmForm()
    code = _shown(codes.issue(current_user)) if form.validate_on_submit() else None
    return render_template("shop/pay.html", household=household, code=code, form=form)


@bp.route("/me/pay/code", methods=["POST"])
@permission_required("shop.pay")
@limiter.limit("30 per minute", key_func=_per_user)
def pay_code():
    """A fresh code as JSON for the page's script: {qr, number, expires_at, seconds}."""
    return jsonify(_shown(codes.issue(current_user)))


@bp.route("/me/pay/revoke", methods=["POST"])
@permission_required("shop.pay")
def pay_revoke():
    """Revoke every unused code of the household (a lost or borrowed phone)."""
    if ConfirmForm().validate_on_submit():
        count = codes.revoke_all(current_user)
        flash(_("%(count)d codes revoked. Only codes shown from now on can pay.", count=count),
              "success")
    return redirect(url_for(".pay"))
