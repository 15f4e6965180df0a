"""The required stack's floor: what a signed-in page costs before the app adds anything.

bench/floor.py serves this module once per step (FLOOR_STEP), each step adding one piece of the
stack every Lianxin page a household opens must have, and compares each with bare Flask's hello
world (bench/hello.py). The app's own code is not imported: only the libraries the project is
required to use (Flask, Flask-SQLAlchemy, Flask-Login, Flask-Babel, Flask-WTF), configured as
simply as they allow. Steps, each including the ones before:

- ``session``: the signed session cookie read (Flask's own sessions);
- ``login``: Flask-Login loads the signed-in account from SQLite by the ORM (one query);
- ``template``: a Jinja page extending a base layout, its strings translated by Flask-Babel from
  the app's own Chinese catalogue (40 strings, ten menu links by url_for);
- ``csrf``: the sign-out form's CSRF token (Flask-WTF), which every signed-in page carries;
- ``content``: what /me shows at least, read by the ORM: the household's balance and stars (one
  query) and its ten newest entries (one query).
"""
import os
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template, session
from flask_babel import Babel, gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from jinja2 import DictLoader
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STEPS = ("session", "login", "template", "csrf", "content")
STEP = os.environ.get("FLOOR_STEP", "content")
LEVEL = STEPS.index(STEP)
ROOT = Path(__file__).resolve().parent.parent

# Forty strings the real pages show, looked up in the app's zh_Hans catalogue.
STRINGS = ["Points", "Balance", "Score", "History", "Shop", "Meetings", "Issues", "Sign out",
           "Stars", "Rank", "Pay", "Catalogue", "Raise an issue", "Check in", "Notifications",
           "Settings", "Language", "Help", "Household", "Village", "Grid", "Date", "Rule",
           "Note", "Previous", "Next", "Awarded", "Deducted", "Redeemed", "Reversed",
           "points to the next star", "This month", "This year", "Certificate", "Rankings",
           "Print", "Download", "Search", "Back", "Home"]

TEMPLATES = {
    "base.html": """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ _('Points') }}</title>
<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap.min.css"></head><body>
<nav><ul>{% for endpoint in menu %}<li><a href="{{ url_for(endpoint) }}">{{ _(strings[loop.index0]) }}</a></li>{% endfor %}</ul>
{% if csrf %}<form method="post" action="/signout"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button>{{ _('Sign out') }}</button></form>{% endif %}
</nav><main>{% block main %}{% endblock %}</main>
<footer>{% for s in strings[10:] %}<span>{{ _(s) }}</span> {% endfor %}</footer></body></html>""",
    "me.html": """{% extends "base.html" %}{% block main %}<h1>{{ name }}</h1>
{% if household %}<p>{{ _('Balance') }} <strong>{{ household.balance }}</strong> · {{ _('Score') }} {{ household.score }}
· {{ _('Stars') }} {{ '★' * household.stars }}</p><table>{% for e in entries %}
<tr><td>{{ e.created_at.strftime('%Y-%m-%d') }}</td><td>{{ e.note }}</td><td>{{ e.points }}</td></tr>{% endfor %}</table>{% endif %}
{% endblock %}""",
}


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Account(UserMixin, db.Model):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    household_id: Mapped[int] = mapped_column()


class Home(db.Model):
    __tablename__ = "homes"
    id: Mapped[int] = mapped_column(primary_key=True)
    balance: Mapped[int] = mapped_column()
    score: Mapped[int] = mapped_column()
    stars: Mapped[int] = mapped_column()


class Entry(db.Model):
    __tablename__ = "entries"
    __table_args__ = (sa.Index("ix_entries_home_created", "household_id", "created_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column()
    points: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column()


def create() -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "bench-only"
    instance = os.environ.get("LIANXIN_INSTANCE")  # bench/floor.py's; else in memory (imported)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/floor.db" if instance else "sqlite://"
    app.jinja_loader = DictLoader(TEMPLATES)
    menu = []

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.route("/signin")
    def signin():
        if LEVEL >= STEPS.index("login"):
            login_user(db.session.get(Account, 1))
        else:
            session["uid"] = 1
        return "signed in"

    for n in range(10):  # the menu's destinations
        app.add_url_rule(f"/menu/{n}", f"menu{n}", hello)
        menu.append(f"menu{n}")

    if LEVEL >= STEPS.index("login"):
        db.init_app(app)
        login = LoginManager(app)
        login.user_loader(lambda uid: db.session.get(Account, int(uid)))
        with app.app_context():
            db.create_all()
            if db.session.get(Account, 1) is None:
                db.session.add_all([Account(id=1, name="陈大明", household_id=1),
                                    Home(id=1, balance=1234, score=2345, stars=3)])
                now = datetime.now(UTC)
                db.session.add_all([Entry(household_id=1, points=5 + n % 7, note=f"夜谈会 第{n}次",
                                          created_at=now) for n in range(200)])
                db.session.commit()
    if LEVEL >= STEPS.index("template"):
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "app" / "translations")
        Babel(app, locale_selector=lambda: "zh_Hans")
    if LEVEL >= STEPS.index("csrf"):
        CSRFProtect(app)

    @app.route("/page")
    def page():
        if LEVEL == 0:
            return f"Hello, {session.get('uid')}"
        return _page()

    @login_required
    def _page():
        if LEVEL < STEPS.index("template"):
            return f"Hello, {current_user.name}"
        household, entries = None, []
        if LEVEL >= STEPS.index("content"):
            household = db.session.get(Home, current_user.household_id)
            entries = db.session.scalars(
                sa.select(Entry).where(Entry.household_id == household.id)
                .order_by(Entry.created_at.desc(), Entry.id.desc()).limit(10)).all()
        return render_template("me.html", name=current_user.name, household=household,
                               entries=entries, menu=menu, strings=STRINGS,
                               csrf=LEVEL >= STEPS.index("csrf"), _=_)

    return app


app = create()
