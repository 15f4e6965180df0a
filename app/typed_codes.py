"""The 12-digit number printed under a payment code's QR, as people type it at the shop's counter
or a meeting's desk: below both the shop's codes and the views' guessing limit (views_util)."""
from typing import Optional


def typed_number(text: str) -> Optional[str]:
    """The 12 digits of a typed code (spaces and dashes allowed), or None when it is not one."""
    digits = "".join(ch for ch in (text or "") if ch not in " -")
    return digits if len(digits) == 12 and digits.isascii() and digits.isdigit() else None
