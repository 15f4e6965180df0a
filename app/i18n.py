"""Language choice: the account's own, then the session's, then the browser's, then the default;
and the pinyin sort key of Chinese names (the app's one use of pypinyin)."""
import gzip
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path
from typing import NamedTuple, Optional

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
    (第2网格 before 第10网格), not by Unicode code point. A number is a run of decimal digits
    (\\d, which int() reads, fullwidth ones too); ① or ², digits to isdigit() but not to int(),
    are text."""
    key = []
    for part in name_pinyin(name or ""):
        for piece in re.split(r"(\d+)", part):
            if piece:
                key.append((0, int(piece), "") if piece.isdecimal() else (1, 0, piece.lower()))
    return tuple(key)


SORT_KEY_LENGTH = 1024  # regions.sort_key: 64 characters of 6-letter pinyin take 512


def sort_key(name: str) -> str:
    """name_key as a string that sorts byte by byte (PostgreSQL collation "C", SQLite's BINARY)
    exactly as name_key's tuples compare, so a database can order by it (regions.sort_key).
    A number is "0", its digit count as a character and its digits (numeric order, no end mark
    needed; UTF-8 keeps code point order byte by byte); a text
    piece is "1", its text and "\\x01", which sorts below every character left in the text (those
    up to "\\x02" are written "\\x02" and a higher byte): so digits come before text, and a key
    before its own extensions, as in the tuples."""
    out = []
    for numeric, number, text in name_key(name):
        if numeric == 0:
            digits = str(number)
            out.append(f"0{chr(0x30 + len(digits))}{digits}")
        else:
            out.append("1" + "".join(ch if ch > "\x02" else "\x02" + chr(ord(ch) + 3)
                                     for ch in text) + "\x01")
    return "".join(out)


def warm_up() -> None:
    """Load pypinyin and the phrase table now (some 0.2-0.3 s) rather than in the first request
    that sorts names; wsgi.py calls it, so a served app's workers start warm and tests do not pay it."""
    name_key("罗翠村")


# --- pinyin without pypinyin's 44 MB phrase dictionary (issue 21) -------------------------------
# pypinyin is loaded with PYPINYIN_NO_PHRASES (its single-character readings only) and
# PYPINYIN_NO_DICT_COPY (we never add readings of our own). data/pinyin-phrases.txt.gz (made by
# scripts/pinyin_phrases.py from the pinned pypinyin) has every phrase of its dictionary, so a
# name is cut into phrases exactly where pypinyin would cut it, and the readings of the 3,437
# phrases that do not read as their characters do (长沙 cháng shā, 重庆 chóng qìng, 厦门 xià mén),
# which are given to pypinyin with load_phrases_dict. A phrase is then handed to lazy_pinyin whole
# and everything else character by character: the same plain pinyin as pypinyin with its whole
# dictionary (tests/test_i18n_pinyin.py compares them). A worker's pinyin then costs some 14 MB
# instead of 54 (bench/worker_memory.py); pypinyin's single readings are most of what is left.
PHRASE_TABLE = Path(__file__).parent / "data" / "pinyin-phrases.txt.gz"
_PYPINYIN_MEMORY = {"PYPINYIN_NO_PHRASES": "1", "PYPINYIN_NO_DICT_COPY": "1"}
_LOADING = threading.Lock()  # the environment is the process's: one thread at a time sets it


class _Pinyin(NamedTuple):
    phrases: tuple[str, ...]  # every phrase of pypinyin's dictionary, in code point order
    read_whole: frozenset[str]  # the phrases that do not read as their characters do
    is_han: Callable[[str], object]  # pypinyin's test for a run of characters it has readings of
    lazy_pinyin: Callable[[list[str]], list[str]]


@cache
def _pinyin() -> _Pinyin:
    """pypinyin without its phrase dictionary, given the phrases that read differently; the
    variables are set only while it is imported (pypinyin.constants reads them then), so that
    processes the app starts do not inherit them."""
    with _LOADING:
        saved = {name: os.environ.get(name) for name in _PYPINYIN_MEMORY}
        os.environ.update(_PYPINYIN_MEMORY)
        try:
            from pypinyin import lazy_pinyin, load_phrases_dict
            from pypinyin.constants import RE_HANS
        finally:
            for variable, value in saved.items():
                if value is None:
                    del os.environ[variable]
                else:
                    os.environ[variable] = value
    phrases, readings = _read_phrase_table()
    load_phrases_dict(readings)
    return _Pinyin(phrases, frozenset(readings), RE_HANS.match, lazy_pinyin)


def _read_phrase_table() -> tuple[tuple[str, ...], dict[str, list[list[str]]]]:
    """(every phrase, in code point order; {phrase: pypinyin's reading} of those that do not read as
    their characters do). Made to leave little behind: a phrase alone on its line is kept as the
    line itself, and the readings share one list per syllable (pypinyin copies them before use)."""
    lines = gzip.decompress(PHRASE_TABLE.read_bytes()).decode("utf-8").splitlines()
    syllables: dict[str, list[str]] = {}
    readings = {}
    for number, line in enumerate(lines):
        if "\t" in line:
            phrase, _tab, reading = line.partition("\t")
            readings[phrase] = [syllables.setdefault(s, [s]) for s in reading.split(" ")]
            lines[number] = phrase
    return tuple(sorted(line for line in lines if not line.startswith("#"))), readings


def _cut(run: str, phrases: Sequence[str]) -> Iterator[str]:
    """Cut a run of Chinese characters into phrases and single characters as pypinyin 0.55.0's
    mmseg.Seg(no_non_phrases=True).cut does: at each place the longest phrase among the prefixes
    that begin some phrase, looking no further than the first that begins none; where the whole
    rest begins some phrase but holds none, every character alone (its quirk, kept)."""
    while run:
        longest = at = 0
        for end in range(1, len(run) + 1):
            word = run[:end]
            at = bisect_left(phrases, word, at)  # a longer word sorts no earlier
            if at == len(phrases) or not phrases[at].startswith(word):
                break
            if phrases[at] == word:
                longest = end
        else:
            if not longest:
                yield from run
                return
        yield run[:longest or 1]
        run = run[longest or 1:]


def name_pinyin(name: str) -> list[str]:
    """The plain pinyin of each character of `name` (other runs as they are), as pypinyin's
    lazy_pinyin gives it with its whole phrase dictionary."""
    pinyin = _pinyin()
    pieces: list[str] = []
    for han, run in groupby(name, key=lambda ch: bool(pinyin.is_han(ch))):
        text = "".join(run)
        if not han:
            pieces.append(text)
            continue
        for word in _cut(text, pinyin.phrases):
            pieces.extend([word] if word in pinyin.read_whole else word)
    return pinyin.lazy_pinyin(pieces)
