"""Browser tests: the real app on a localhost port, driven by the system's Chromium.

The server runs against its own migrated, demo-loaded SQLite database (never the parametrised
`app` fixture, so these tests run once, not once per database). Server and browser are
session-scoped; each test gets a fresh browser context (cookies, viewport) from `phone`.

Chromium is `$CHROMIUM` or /usr/bin/chromium. Without it the tests are skipped and say so;
with REQUIRE_BROWSER=1 a missing Chromium fails the run instead.
"""
import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app, demo
from app.extensions import db

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (set CHROMIUM to its path)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    return None


MISSING = _missing()


def pytest_report_header(config):
    # Only shown when this directory is named on the command line; the summary below always is.
    return [f"browser tests SKIPPED: {MISSING}" if MISSING else f"browser: {CHROMIUM}"]


def pytest_collection_modifyitems(config, items):
    """Skip the browser tests when Chromium is missing, or stop the run if it is required."""
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(item.path).parents]
    if not ours or not MISSING:
        return
    if REQUIRED:
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but the browser tests cannot run: {MISSING}")
    marker = pytest.mark.skip(reason=f"browser tests SKIPPED: {MISSING}")
    for item in ours:
        item.add_marker(marker)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say at the end of the run whether the optional suites ran."""
    stats = terminalreporter.stats
    e2e = [r for key in ("passed", "failed", "error", "skipped") for r in stats.get(key, [])
           if getattr(r, "when", "call") in ("call", "setup") and "tests/e2e/" in r.nodeid]
    ran = sum(1 for r in e2e if r.outcome != "skipped")
    line = (f"browser tests SKIPPED: {MISSING}" if MISSING
            else f"browser tests: {ran} ran with Chromium at {CHROMIUM}")
    terminalreporter.write_sep("-", "optional suites")
    terminalreporter.write_line(line)
    pg = os.environ.get("TEST_DATABASE_URL")
    terminalreporter.write_line("PostgreSQL tests: ran" if pg
                                else "PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set")


class LiveServer:
    """The app served on a free localhost port from a background thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        """Begin serving."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The real app on a migrated SQLite database holding the demo city."""
    home = tmp_path_factory.mktemp("e2e")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'lianxin.db'}",
        "INSTANCE_PATH": str(home),
        "UPLOAD_FOLDER": str(home / "uploads"),
        # Every test signs in again, so the per-username login limit is raised. Not
        # RATELIMIT_ENABLED=False: the limiter is one shared object, and Flask-Limiter keeps
        # `enabled` from the first init_app as the default for every later app in the run.
        "LOGIN_LIMIT_PER_USERNAME": "10000 per minute",
        "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
    })
    with app.app_context():
        upgrade()
        demo.load()
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if MISSING:  # only reached when a test is run without collection's skip
        pytest.skip(f"browser tests SKIPPED: {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    """A new page in a cheap-phone-sized context (360x740, touch, Chinese)."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where tests save screenshots: $E2E_SCREENSHOTS, or a temporary folder."""
    target = os.environ.get("E2E_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path

