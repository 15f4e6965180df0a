"""Languages: complete catalogues, and pages in simplified Chinese, traditional Chinese and English."""
import re

import pytest
from babel.messages.checkers import python_format

from app.extensions import db
from app.models import User
from tests import factories
from tests._catalogs import LANGUAGES, extract_fresh, po_path, read_catalog

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

# What each language shows: <html lang>, a word of the login page, a word of /me, and a word
# that must NOT appear (the same word in the other script), so a fallback to the wrong catalogue fails.
SHOWN = {
    "zh_Hans": {"lang": "zh-Hans", "login": "用户名", "me": "可用积分", "not": "用戶名"},
    "zh_Hant": {"lang": "zh-Hant", "login": "用戶名", "me": "可用積分", "not": "用户名"},
    "en": {"lang": "en", "login": "Username", "me": "Points to spend", "not": "用户名"},
}


def _msgid(message):
    return message.id if isinstance(message.id, str) else message.id[0]


def _strings(message):
    return [message.string] if isinstance(message.string, str) else list(message.string)


# --- (a) the catalogues are complete -----------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    catalog = read_catalog(po_path(language), language)
    untranslated = [_msgid(m) for m in catalog if m.id and not all(s.strip() for s in _strings(m))]
    fuzzy = [_msgid(m) for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{language}: untranslated messages:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{language}: fuzzy messages (check, then remove the flag):\n" + "\n".join(fuzzy)
    assert not catalog.obsolete, f"{language}: obsolete (#~) entries: {list(catalog.obsolete)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_kept(language):
    catalog = read_catalog(po_path(language), language)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        expected = sorted(PLACEHOLDER.findall(_msgid(message)))
        for string in _strings(message):
            if sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"{_msgid(message)!r} -> {string!r}")
        if message.python_format:
            try:
                python_format(catalog, message)
            except Exception as error:  # babel's TranslationError
                wrong.append(f"{_msgid(message)!r}: {error}")
    assert not wrong, f"{language}: placeholders differ:\n" + "\n".join(wrong)


def test_catalogues_cover_every_message_in_the_source(tmp_path):
    """A string added to app/ or templates/ without a translation fails here, with its name."""
    source = {_msgid(m) for m in extract_fresh(tmp_path / "fresh.pot") if m.id}
    assert len(source) > 100
    report = []
    for language in LANGUAGES:
        catalog = read_catalog(po_path(language), language)
        missing = sorted(source - {_msgid(m) for m in catalog if m.id})
        report += [f"{language}: {msgid!r}" for msgid in missing]
    assert not report, ("messages missing from the catalogues (run scripts/translations.sh update, "
                        "translate, then compile):\n" + "\n".join(report))


# --- (b) the same page in each language -------------------------------------------------------

def _html_lang(response):
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def _assert_language(response, language, word_key):
    shown = SHOWN[language]
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _html_lang(response) == shown["lang"]
    assert shown[word_key] in page
    assert shown["not"] not in page


@pytest.mark.parametrize("header, language", [
    ("zh-CN,zh;q=0.9", "zh_Hans"),
    ("zh-TW,zh;q=0.9", "zh_Hant"),
    ("zh-HK", "zh_Hant"),
    ("en-US,en;q=0.9", "en"),
])
def test_login_page_follows_the_browser(client, header, language):
    response = client.get("/login", headers={"Accept-Language": header})
    _assert_language(response, language, "login")
    sign_in = {"zh_Hans": "登录", "zh_Hant": "登錄", "en": "Sign in"}[language]
    assert f">{sign_in}<" in response.get_data(as_text=True) or f'value="{sign_in}"' in \
        response.get_data(as_text=True)


def test_without_a_browser_language_the_page_is_in_the_default_language(app, client):
    from app.config import Config

    assert Config.BABEL_DEFAULT_LOCALE in LANGUAGES
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans"  # production default, whatever the tests configure
    _assert_language(client.get("/login"), "zh_Hans", "login")
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    _assert_language(app.test_client().get("/login"), "en", "login")


@pytest.mark.parametrize("language", LANGUAGES)
def test_footer_switch_on_the_login_page(app, client, language):
    app.config["WTF_CSRF_ENABLED"] = False
    # A browser asking for another language: the choice in the footer wins.
    other = "en-US" if language != "en" else "zh-CN"
    response = client.post("/language", data={"language": language, "next": "/login"},
                           headers={"Accept-Language": other})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    _assert_language(client.get("/login", headers={"Accept-Language": other}), language, "login")


def test_footer_switch_refuses_an_unknown_language(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/language", data={"language": "fr", "next": "/login"})
    _assert_language(client.get("/login", headers={"Accept-Language": "zh-TW"}), "zh_Hant", "login")


def _household_account(username="hh-i18n"):
    village = factories.village()
    household = factories.household(village, head_name="罗大伯")
    factories.user(username, "household", household_id=household.id)
    return household


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_points_page_in_each_language(app, client, auth, language):
    app.config["WTF_CSRF_ENABLED"] = False
    household = _household_account()
    auth.login("hh-i18n")
    client.post("/language", data={"language": language, "next": "/me"})
    response = client.get("/me", headers={"Accept-Language": "en-US" if language != "en" else "zh-CN"})
    _assert_language(response, language, "me")
    page = response.get_data(as_text=True)
    assert "罗大伯" in page
    number = {"zh_Hans": "户号 {}", "zh_Hant": "戶號 {}", "en": "Household {}"}[language]
    assert number.format(household.number) in page


@pytest.mark.parametrize("header, language", [("zh-CN", "zh_Hans"), ("zh-TW", "zh_Hant"), ("en-US", "en")])
def test_my_points_page_follows_the_browser_until_a_choice_is_made(app, client, auth, header, language):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_account()
    auth.login("hh-i18n")
    _assert_language(client.get("/me", headers={"Accept-Language": header}), language, "me")


# --- (c) the choice is kept on the account -----------------------------------------------------

def test_language_is_remembered_on_the_account(app, auth, client):
    app.config["WTF_CSRF_ENABLED"] = False
    _household_account()
    auth.login("hh-i18n")
    assert client.post("/language", data={"language": "zh_Hant", "next": "/me"}).status_code == 302
    auth.logout()
    assert db.session.scalar(db.select(User.language).where(User.username == "hh-i18n")) == "zh_Hant"

    phone = app.test_client()  # another phone: no session, a browser asking for simplified Chinese
    phone.post("/login", data={"username": "hh-i18n", "password": factories.PASSWORD})
    _assert_language(phone.get("/me", headers={"Accept-Language": "zh-CN"}), "zh_Hant", "me")


def test_account_language_wins_over_the_session_of_the_sign_in_page(app, auth, client):
    """Chosen English on the account; someone switches the sign-in page to simplified, then signs in."""
    app.config["WTF_CSRF_ENABLED"] = False
    _household_account()
    auth.login("hh-i18n")
    client.post("/language", data={"language": "en", "next": "/me"})
    auth.logout()

    phone = app.test_client()
    phone.post("/language", data={"language": "zh_Hans", "next": "/login"})
    _assert_language(phone.get("/login"), "zh_Hans", "login")
    phone.post("/login", data={"username": "hh-i18n", "password": factories.PASSWORD})
    _assert_language(phone.get("/me"), "en", "me")


# --- (d) the templates' fast paths give Flask-Babel's own text -----------------------------------

def test_templates_translate_and_format_dates_as_flask_babel_does(app):
    """Templates' _() and `dateformat` skip Flask-Babel's per-string context lookups (issue 21):
    the text must be Flask-Babel's, in each language, under force_locale too, and a datetime late
    in the UTC day must show the next day in the scheme's time zone (Asia/Shanghai)."""
    from datetime import UTC, date, datetime

    import flask_babel
    from flask import render_template_string

    late = datetime(2026, 3, 31, 20, 30, tzinfo=UTC)  # 1 April 04:30 in Shanghai
    source = "{{ _('Points to spend') }}|{{ when|dateformat('medium') }}|{{ day|dateformat('long') }}"
    for language in LANGUAGES:
        with app.test_request_context("/", headers={"Accept-Language": language.replace("_", "-")}):
            with flask_babel.force_locale(language):
                expected = "|".join([flask_babel.gettext("Points to spend"),
                                     flask_babel.format_date(late, "medium"),
                                     flask_babel.format_date(date(2026, 4, 2), "long")])
                shown = render_template_string(source, when=late, day=date(2026, 4, 2))
        assert shown == expected, language
        assert ("4月1日" in shown or "Apr 1, 2026" in shown), shown
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(source, when=late, day=date(2026, 4, 2)).startswith(
            "Points to spend|Apr 1, 2026")
        with flask_babel.force_locale("zh_Hans"):  # an error page in another language
            assert render_template_string("{{ _('Points to spend') }}") == "可用积分"
        assert render_template_string("{{ _('Points to spend') }}") == "Points to spend"
