"""A certificate as a one-page A4 PDF (WeasyPrint, as the posters and card sheets) with its QR.

The QR carries the absolute address of the verification page with the signed token in it, at
error correction M and the lowest QR version that holds it, so a cheap phone reads it.
"""
import base64
import io
import os

import qrcode
import qrcode.image.svg
from flask import current_app, render_template, url_for

from app.certificates import services
from app.models import Certificate


def verify_url(token: str) -> str:
    """The verification page of a token, absolute (this site's address, as the sign-in slips)."""
    return url_for("certificates.verify", token=token, _external=True)


def qr(payload: str) -> tuple[str, int]:
    """(an SVG data URI of the payload's QR, its QR version)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode(), code.version


def data(certificate: Certificate) -> dict:
    """What the certificate shows: its signed statement, its QR and where the QR leads."""
    url = verify_url(certificate.token)
    image, version = qr(url)
    return {"certificate": certificate, "statement": services.statement_of(certificate),
            "qr": image, "qr_version": version, "url": url}


def render_html(certificate: Certificate) -> str:
    """The certificate's page as HTML, as WeasyPrint lays it out."""
    return render_template("certificates/document.html", **data(certificate))


def render_pdf(certificate: Certificate) -> bytes:
    """The certificate as a one-page A4 PDF (ImportError when WeasyPrint is not installed)."""
    import weasyprint

    stylesheet = os.path.join(current_app.static_folder, "css", "certificate.css")
    return weasyprint.HTML(string=render_html(certificate)).write_pdf(
        stylesheets=[weasyprint.CSS(filename=stylesheet)])
