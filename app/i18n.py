"""Language choice: the account's own, then the session's, then the browser's, then the default."""
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Optional

import flask_babel
from babel import dates as babel_dates

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user

from app.calls import is_call

# Browsers send region tags; Babel's catalogues are named by script.
BROWSER_TAGS = {
    "zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans",
    "zh_tw": "zh_Hant", "zh_hk": "zh_Hant", "zh_mo": "zh_Hant", "zh_hant": "zh_Hant",
    "en": "en",
}
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def normalise(tag: Optional[str]) -> Optional[str]:
    """Map a browser or user language tag to one of our catalogues, or None."""
    if not tag:
        return None
    key = tag.strip().replace("-", "_").lower()
    if key in BROWSER_TAGS:
        return BROWSER_TAGS[key]
    return BROWSER_TAGS.get(key.split("_")[0]) if not key.startswith("zh_") else (
        "zh_Hant" if key.split("_")[-1] in {"tw", "hk", "mo", "hant"} else "zh_Hans"
    )


def install_template_gettext(app) -> None:
    """Templates' _() and friends read the catalogue of the request's locale through one locale
    lookup, instead of Flask-Babel's five context lookups a string (a page shows forty strings:
    that was a tenth of a household's /me). Same catalogues, same Markup and %-formatting (Jinja's
    newstyle gettext); force_locale() is honoured, as the locale is asked each time."""
    catalogues: dict = {}

    def catalogue():
        locale = get_locale()
        found = catalogues.get(locale)
        if found is None:
            found = catalogues[locale] = get_translations()
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.filters["dateformat"] = format_date


@lru_cache(maxsize=4096)
def _date_text(day: date, format: str, locale) -> str:
    return babel_dates.format_date(day, format, locale=locale)


def format_date(value=None, format: Optional[str] = None) -> str:
    """Flask-Babel's `dateformat` filter, with the text of each (day, format, language) made once
    a process: a history page shows twenty entries of a few days, and Babel's formatting was a
    seventh of the page. A datetime is first moved to the user's time zone, as Flask-Babel does."""
    if format is None or not isinstance(value, (date, datetime)):
        return flask_babel.format_date(value, format)
    if isinstance(value, datetime):
        value = flask_babel.to_user_timezone(value).date()
    return _date_text(value, format, get_locale())


def select_locale() -> str:
    """Flask-Babel locale selector."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]

    if is_call(request.path):
        return _api_locale()
    if current_user and current_user.is_authenticated and current_user.language:
        return current_user.language
    if session.get("language") in LANGUAGE_NAMES:
        return session["language"]
    for tag, _quality in request.accept_languages:
        chosen = normalise(tag)
        if chosen:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _api_locale() -> str:
    """API calls: Accept-Language, then the token holder's language; never the session's."""
    for tag, _quality in request.accept_languages:
        chosen = normalise(tag)
        if chosen:
            return chosen
    user = getattr(g, "api_user", None)
    if user is not None and user.language in LANGUAGE_NAMES:
        return user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everyone using Lianxin lives in one time zone; show times in it."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def html_lang(locale: str) -> str:
    """The BCP 47 tag for <html lang>, so phones pick the right Chinese fonts."""
    return {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant"}.get(locale, locale)


def name_key(name: str) -> tuple:
    """Sort key for Chinese names as people expect: by pinyin, with numbers in numeric order
    (第2网格 before 第10网格), not by Unicode code point."""
    from pypinyin import lazy_pinyin

    key = []
    for part in lazy_pinyin(name or ""):
        for piece in re.split(r"(\d+)", part):
            if piece:
                key.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece.lower()))
    return tuple(key)


def warm_up() -> None:
    """Load pypinyin's dictionaries now (some 0.3-0.6 s) rather than in the first request that
    sorts names; wsgi.py calls it, so a served app's workers start warm and tests do not pay it."""
    name_key("罗翠村")
