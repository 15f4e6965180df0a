"""Telephone numbers as a village office writes them: a mainland mobile or a landline with its area code."""
import re
from typing import Optional

from flask_babel import gettext as _

# After spaces and dashes are taken out: 11 digits 1[3-9]… (an optional +86 / 86 in front), or
# a landline whose area code (0 and two or three digits) comes before its 7 or 8 digits.
MOBILE = re.compile(r"^(?:\+?86)?1[3-9][0-9]{9}$")
LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}[0-9]{7,8}$")


def problem(text: str) -> Optional[str]:
    """Why `text` is not a telephone number one can call, or None (an empty one is no problem)."""
    compact = re.sub(r"[\s\-]", "", text or "")
    if not compact or MOBILE.match(compact) or LANDLINE.match(compact):
        return None
    return _("Phone %(phone)s is neither an 11-digit mobile number nor a landline with its area "
             "code (such as 0598-1234567).", phone=text)
