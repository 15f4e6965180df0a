"""The meeting's live check-in code: a signed, short-lived token inside a URL of this site.

The token carries the meeting's id and a time slot of SLOT seconds, signed with the app's secret
(itsdangerous). It is accepted in its own slot and the next one, so a photo of the screen stops
working within 2 x SLOT seconds; a token names one meeting, so it never checks in to another.
After a valid scan the page carries a *ticket* (household, meeting, 5 minutes) for the one tap
that checks in, so signing in or a slow tap does not lose the scan.
"""
import io
from datetime import datetime

import qrcode
import qrcode.image.svg
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from app.errors import DomainError
from app.views_util import MAX_ID, db_id

SLOT = 30
TICKET_SECONDS = 300


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="meeting-check-in-code")


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="meeting-check-in-ticket")


def slot_of(now: datetime) -> int:
    """The number of the SLOT-second period `now` falls in."""
    return int(now.timestamp()) // SLOT


def make_token(meeting_id: int, now: datetime) -> str:
    """The token shown in the meeting's QR code at `now`."""
    return _serializer().dumps([meeting_id, slot_of(now)])


def read_token(token: str, now: datetime) -> int:
    """The meeting id inside a fresh, untampered token; else a DomainError with a clear message."""
    try:
        meeting_id, slot = _serializer().loads(token or "")
        meeting_id, slot = db_id(meeting_id), int(slot)  # a signed 10**30 names no meeting either
    except (BadSignature, ValueError, TypeError):
        raise DomainError(_("This check-in code is not valid. Please scan the code on the "
                            "meeting's screen again."), code="check_in_code_invalid") from None
    if not 0 <= slot_of(now) - slot <= 1:
        raise DomainError(_("This check-in code has expired. Please scan the code on the "
                            "meeting's screen again."), code="check_in_code_expired")
    return meeting_id


def make_ticket(meeting_id: int, household_id: int) -> str:
    """The form token that lets this household check in to this meeting for a few minutes."""
    return _tickets().dumps([meeting_id, household_id])


def read_ticket(ticket: str, household_id: int) -> int:
    """The meeting id of a fresh ticket made for this household; else a DomainError."""
    try:
        found = _tickets().loads(ticket or "", max_age=TICKET_SECONDS)
    except SignatureExpired:
        raise DomainError(_("This check-in code has expired. Please scan the code on the "
                            "meeting's screen again."), code="check_in_code_expired") from None
    except BadSignature:
        found = None
    if not (isinstance(found, list) and len(found) == 2 and found[1] == household_id
            and isinstance(found[0], int) and 1 <= found[0] <= MAX_ID):
        raise DomainError(_("This check-in code is not valid. Please scan the code on the "
                            "meeting's screen again."), code="check_in_code_invalid")
    return int(found[0])


def qr_svg(data: str) -> str:
    """An SVG QR code of `data`: error correction M and a quiet zone of four modules."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage).save(buffer)
    return buffer.getvalue().decode()
