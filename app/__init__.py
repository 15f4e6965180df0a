"""Lianxin (连心): village civility points, night-talk meetings and points shops."""
from pathlib import Path
from typing import Any, Optional

from flask import Flask

from app.flask_app import LianxinFlask
from app.config import BASE_DIR, Config, TestConfig
from app.extensions import babel, csrf, db, limiter, login, migrate


def create_app(test_config: Optional[dict[str, Any]] = None) -> Flask:
    """Build the application in named steps; `test_config` overrides settings for tests."""
    app = LianxinFlask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.config.from_object(TestConfig() if test_config else Config())
    if test_config:
        app.config.update(test_config)
    Path(app.config["INSTANCE_PATH"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_hooks(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of app/extensions.py."""
    from app import i18n, ratelimits
    from app.database import configure_engines

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A pooled PostgreSQL connection may have died with a server restart: app/database.py
        # tests its socket before each use, without pool_pre_ping's round trip.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        # One connection for each of a worker's threads, kept (SQLAlchemy's pool keeps 5 and
        # opens and closes any beyond them for every request that needs one).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_size", max(5, app.config["THREADS"]))
        if "connect_timeout" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            # A database host that is down answers nothing: give up after 5 s (a clean 503), not
            # after the system's TCP timeout (minutes, past gunicorn's worker timeout).
            app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {}).setdefault(
                "connect_timeout", 5)
    db.init_app(app)
    with app.app_context():
        configure_engines(db.engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    login.init_app(app)
    login.login_view = "auth.login"
    login.session_protection = app.config["SESSION_PROTECTION"]
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_template_gettext(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "local://")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                          ratelimits.storage_options(app.config["RATELIMIT_STORAGE_URI"]))
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from app.views_util import IdConverter

    app.url_map.converters["int"] = IdConverter
    from app.accounts import bp as accounts_bp
    from app.api import bp as api_bp, pages_bp as api_pages_bp
    from app.auth import bp as auth_bp
    from app.households import bp as households_bp
    from app import ledger  # noqa: F401  (its event handlers and jobs)
    from app.ledger.views import claims_bp, notice_bp, points_bp, rulebook_bp
    from app.main import bp as main_bp
    from app.issues import bp as issues_bp
    from app.figures import jobs, views  # noqa: F401  (its nightly check; its pages, on the issues blueprint)
    from app.meetings import bp as meetings_bp
    from app.notifications import bp as notifications_bp
    from app.regions import bp as regions_bp
    from app.shop import bp as shop_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp, url_prefix="/accounts")
    app.register_blueprint(households_bp, url_prefix="/households")
    app.register_blueprint(regions_bp, url_prefix="/regions")
    # The ledger's pages, by audience; their addresses stay under /ledger.
    for ledger_pages in (points_bp, rulebook_bp, claims_bp, notice_bp):
        app.register_blueprint(ledger_pages, url_prefix="/ledger")
    app.register_blueprint(notifications_bp)
    app.register_blueprint(shop_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(issues_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(api_pages_bp, url_prefix="/account")
    from app.rankings.views import bp as rankings_bp  # rankings and their posters

    app.register_blueprint(rankings_bp)
    from app.certificates.views import bp as certificates_bp  # points certificates, /verify

    app.register_blueprint(certificates_bp)
    from app.monthly.views import bp as monthly_bp  # a village's monthly report

    app.register_blueprint(monthly_bp)
    csrf.exempt(api_bp)  # only bearer tokens authenticate API calls, never the session cookie
    from app.api.sessions import PagesOnlySessions

    app.session_interface = PagesOnlySessions()
    from app import access  # noqa: F401  (registers every feature's permission rules and menu links)


def register_errorhandlers(app: Flask) -> None:
    """Friendly error pages in the user's language."""
    from app.errors import register

    register(app)


def register_hooks(app: Flask) -> None:
    """Security headers, versioned static links, checked query strings for links, template helpers,
    request ids, logs and metrics."""
    from app import health, links, security, static_urls

    security.init_app(app)
    static_urls.init_app(app)
    links.init_app(app)
    health.init_app(app)


def register_commands(app: Flask) -> None:
    """The command-line interface of CONTRACT.md."""
    from app.cli import register

    register(app)
