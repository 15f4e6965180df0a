"""What a new password must not be: short, common, a repetition, or the account's own name.

The common-password list is data/common-passwords.txt.gz (see data/README.txt): 20,000 passwords
from real leaks, compared lower-case, loaded once.
"""
import gzip
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _

from app.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"
# Words of this site that people reach for first.
_SITE_WORDS = ("lianxin", "连心", "連心", "jifen", "积分", "password", "mima")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The vendored list of common passwords, lower-case."""
    with gzip.open(_LIST, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def _is_repetition(password: str) -> bool:
    """True for a short unit repeated: '11111111', 'adminadmin', 'abcabcabc'."""
    for size in range(1, len(password) // 2 + 1):
        if len(password) % size == 0 and password[:size] * (len(password) // size) == password:
            return True
    return False


def _is_sequence(password: str) -> bool:
    """True for a run of consecutive characters up or down: '12345678', 'abcdefgh', '87654321'."""
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:])}
    return steps in ({1}, {-1})


def check_new_password(password: str, username: str = "") -> None:
    """Refuse a weak new password with InvalidInput saying why; return None when it will do."""
    password = password or ""
    lowered = password.lower()
    if len(password) < MIN_LENGTH:
        raise InvalidInput(_("A password needs at least %(count)d characters.", count=MIN_LENGTH),
                           code="password_too_short")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(_("A password can have at most %(count)d characters.", count=MAX_LENGTH),
                           code="password_too_long")
    name = (username or "").strip().lower()
    if name and (name in lowered or lowered in name):
        raise InvalidInput(_("The password must not contain the username."),
                           code="password_has_username")
    stripped = lowered.rstrip("0123456789!.@#")
    if (lowered in common_passwords() or stripped in common_passwords() or _is_repetition(lowered)
            or _is_sequence(lowered) or any(lowered.startswith(w) and len(stripped) <= len(w)
                                            for w in _SITE_WORDS)):
        raise InvalidInput(_("This password is too common and easy to guess; choose another."),
                           code="password_too_common")
