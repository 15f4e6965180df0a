"""Points certificates' pages: issue, list, show, PDF, withdraw; and the public verification.

Thin views over services.py and document.py; who may do what is app/access/certificates.py, and a
certificate outside the user's scope is a 404. `/verify/...` needs no account, sets no cookie
and is rate limited per address.
"""
from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, Response, url_for)
from flask_babel import gettext as _
from flask_login import current_user

from app.access import permissions, scope
from app.access.permissions import permission_required
from app.certificates import document, reads, services, signing
from app.extensions import db, limiter
from app.models import Certificate
from app.views_util import attempt, db_id, village_arg

bp = Blueprint("certificates", __name__)


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not permissions.may(current_user, "certificates.read", certificate):
        abort(404)
    return certificate


@bp.route("/certificates/issue", methods=["POST"])
@permission_required("certificates.list")
def issue():
    """Issue a certificate for the household's own figures, or (committee) a household's."""
    if permissions.may(current_user, "me.household"):
        household = scope.own_household_or_404(current_user)
    else:
        try:
            household = scope.household_or_404(current_user, db_id(request.form.get("household", "")))
        except ValueError:
            abort(404)
    if not permissions.may(current_user, "certificates.issue", household):
        abort(404)
    certificate = services.issue(current_user, household)
    flash(_("Certificate No. %(number)s issued.", number=certificate.id), "success")
    return redirect(url_for(".show", certificate_id=certificate.id))


@bp.route("/certificates")
@permission_required("certificates.list")
def listing():
    """A household's own certificates, or a village's (committee, officials above it)."""
    if permissions.may(current_user, "me.household"):
        household = scope.own_household_or_404(current_user)
        page = reads.of_household(household.id, request.args.get("after"))
        return render_template("certificates/list.html", page=page, village=None, household=household)
    village_id = village_arg() or current_user.village_id or abort(404)
    village = scope.region_or_404(current_user, village_id)
    if not village.is_village:
        abort(404)
    page = reads.of_village(village.id, request.args.get("after"))
    return render_template("certificates/list.html", page=page, village=village, household=None)


@bp.route("/certificates/<int:certificate_id>")
@permission_required("certificates.list")
def show(certificate_id: int):
    """One certificate: its figures, its PDF, and (committee) the way to withdraw it."""
    certificate = _certificate_or_404(certificate_id)
    return render_template("certificates/show.html", certificate=certificate,
                           statement=services.statement_of(certificate),
                           url=document.verify_url(certificate.token),
                           may_withdraw=permissions.may(current_user, "certificates.withdraw",
                                                        certificate))


@bp.route("/certificates/<int:certificate_id>.pdf")
@permission_required("certificates.list")
def pdf(certificate_id: int):
    """The certificate as a one-page A4 PDF."""
    certificate = _certificate_or_404(certificate_id)
    try:
        body = document.render_pdf(certificate)
    except ImportError:
        flash(_("PDF printing is not installed on this server."), "warning")
        return redirect(url_for(".show", certificate_id=certificate.id))
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=certificate-{certificate.id}.pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/certificates/<int:certificate_id>/withdraw", methods=["POST"])
@permission_required("certificates.list")
def withdraw(certificate_id: int):
    """Withdraw a certificate (the committee, with a reason and a confirmation)."""
    certificate = _certificate_or_404(certificate_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the withdrawal."), "warning")
    else:
        attempt(services.withdraw, current_user, certificate, request.form.get("reason", ""),
                done=_("The certificate has been withdrawn."))
    return redirect(url_for(".show", certificate_id=certificate.id))


def _verify_limit() -> str:
    return current_app.config.get("CERTIFICATE_VERIFY_LIMIT", "60 per minute")


@bp.route("/verify/<token>")
@limiter.limit(_verify_limit)
def verify(token: str):
    """Anyone: is this certificate genuine, altered, or withdrawn?"""
    verdict = services.check(token[:signing.MAX_TOKEN + 1])
    response = Response(render_template("certificates/verify.html", verdict=verdict),
                        status=200 if verdict.statement is not None else 404)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify/key")
def key():
    """The site's public key and how a bank checks a certificate offline."""
    public = services.private_key().public_key()
    return render_template("certificates/key.html", pem=signing.public_pem(public),
                           raw=signing.b64url(signing.raw_public(public)))


@bp.route("/verify/key.pem")
def key_pem():
    """The site's public key as PEM."""
    return Response(signing.public_pem(services.private_key().public_key()),
                    mimetype="application/x-pem-file")


@bp.route("/verify/key.json")
def key_json():
    """The site's public keys as JWK-like JSON (the current one first)."""
    return jsonify({"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
                              "x": signing.b64url(signing.raw_public(k))}
                             for k in services.public_keys()]})
