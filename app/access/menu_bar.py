"""The top menu's links as HTML, kept per process: rendering them (some twenty translated labels
and url_for's) cost about a millisecond of every signed-in page, the error pages included, for
HTML that depends only on which links the account sees, the language, the page it is on (the
active link) and where the app is mounted. The links themselves are still asked of the rules
on every request (menu_sections_for), so a changed role or scope shows at once."""
import threading
from typing import Optional

from flask import current_app, request
from flask_babel import get_locale
from markupsafe import Markup

from app.access.permissions import menu_sections_for
from app.models import User

_KEPT: dict[tuple, Markup] = {}
_MOST = 512  # menus a process keeps: a few menus × three languages × the pages people open
_LOCK = threading.Lock()


def menu_bar(user: Optional[User]) -> Markup:
    """The `<li>`s of the top menu for this account on this page, in this language."""
    sections = menu_sections_for(user)
    key = (tuple((section.key, tuple(id(item) for item in section.items)) for section in sections),
           str(get_locale()), request.endpoint, request.script_root)
    found = _KEPT.get(key)
    if found is None:
        found = Markup(current_app.jinja_env.get_template("_partials/menu_bar.html").render(
            sections=sections, endpoint=request.endpoint))
        with _LOCK:
            if len(_KEPT) >= _MOST:
                _KEPT.clear()  # a new deployment's pages or a crawler's: start again
            _KEPT[key] = found
    return found
