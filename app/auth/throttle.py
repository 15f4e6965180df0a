"""Sign-in limits that count failures only, shared by the sign-in page and the API's tokens.

Wrong passwords are counted per username (LOGIN_LIMIT_PER_USERNAME) and per address with a much
higher ceiling (LOGIN_LIMIT_PER_ADDRESS): a whole village may sign in from one carrier address or
a meeting hall's Wi-Fi, so successful sign-ins are never counted, and a right password clears its
username's count. Once a count is full, every attempt is refused (429) until the window passes,
the right password included.
"""
from flask import current_app, request

from app.extensions import limiter, login_username_key

_FAILED = "lianxin.sign_in_failed"  # in the request's environ, which ends with it


def _per_username() -> str:
    return current_app.config["LOGIN_LIMIT_PER_USERNAME"]


def _per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _failed(_response) -> bool:
    return request.environ.get(_FAILED, False)


def limited(view):
    """Decorate a sign-in view (POST) with both limits, the same counts for every sign-in door."""
    view = limiter.shared_limit(_per_username, "sign-in-username", key_func=login_username_key,
                                methods=["POST"], deduct_when=_failed)(view)
    return limiter.shared_limit(_per_address, "sign-in-address", methods=["POST"],
                                deduct_when=_failed)(view)


def attempted(ok: bool) -> None:
    """Count a wrong password; or, for a right one, clear its username's failures."""
    if ok:
        limiter.forget(login_username_key())
    else:
        request.environ[_FAILED] = True
