"""What the accounts' pages read beside the services' lists: the sign-in slips' QR code, which the
shop's keeper slips print too (so it lives below the pages, and no page imports another's)."""
import qrcode
import qrcode.image.svg
from flask import url_for
from markupsafe import Markup


def site_qr() -> Markup:
    """The sign-in page's address as an SVG QR code (error correction M, four-module margin)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(url_for("auth.login", _external=True))
    return Markup(code.make_image().to_string(encoding="unicode"))
