"""Configuration read from the environment, with safe defaults for a single village's laptop."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("LIANXIN_INSTANCE", BASE_DIR / "instance"))


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        # Written with O_EXCL so two workers starting together cannot disagree on the key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


def database_url() -> str:
    """The database to use: DATABASE_URL, or SQLite under instance/."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'lianxin.db'}"
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(name: str, default: int) -> int:
    """Read a positive whole number from the environment, else `default`."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


class Config:
    """Settings for running Lianxin; every value can come from the environment."""

    INSTANCE_PATH = INSTANCE_DIR
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    LANGUAGES = ("zh_Hans", "zh_Hant", "en")
    BABEL_DEFAULT_LOCALE = os.environ.get("LIANXIN_LANGUAGE", "zh_Hans")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("LIANXIN_TIMEZONE", "Asia/Shanghai")

    # Tokens live as long as the session: a shop counter page left open all day keeps working.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_PROTECTION = "basic"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
    # Over HTTPS the cookies get the __Host- prefix: browsers then refuse them from plain HTTP
    # and from any other (sub)domain.
    if SESSION_COOKIE_SECURE:
        SESSION_COOKIE_NAME = "__Host-session"
        REMEMBER_COOKIE_NAME = "__Host-remember_token"
    # A session unused this long ends: staff accounts (admin, officials, committee, shop) soon,
    # residents (households, grid leaders) on their own phones after weeks.
    IDLE_TIMEOUT_STAFF = timedelta(minutes=_positive_int("LIANXIN_IDLE_MINUTES_STAFF", 8 * 60))
    IDLE_TIMEOUT_RESIDENT = timedelta(minutes=_positive_int("LIANXIN_IDLE_MINUTES_RESIDENT",
                                                       30 * 24 * 60))

    # OWASP ASVS 5.0: scrypt N=2^15, r=8, p=3 (werkzeug's default has p=1).
    PASSWORD_HASH_METHOD = "scrypt:32768:8:3"

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (README).
    TRUSTED_PROXIES = _positive_int("LIANXIN_TRUSTED_PROXIES", 0)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "local://")
    RATELIMIT_HEADERS_ENABLED = False
    # Redis out of reach: count in each process's memory (logged once) rather than fail requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # FAILED sign-ins (web and API alike); a right password clears its username's count. The
    # address ceiling is high: a village behind one carrier address or a meeting hall's Wi-Fi
    # signs in together.
    LOGIN_LIMIT_PER_USERNAME = os.environ.get("LOGIN_LIMIT_PER_USERNAME", "10 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "100 per 15 minutes")
    # The JSON API: tokens live this many days; calls are limited per token holder, not per
    # address (a whole village may share one carrier address).
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "30"))
    API_LIMIT_PER_HOLDER = os.environ.get("API_LIMIT_PER_HOLDER", "600 per minute")

    # Threads per gunicorn worker process (gunicorn.conf.py reads the same variable): each
    # serves a request at once with a database connection of its own, so the pool keeps at least
    # this many (app/__init__.py) instead of opening and closing the ones beyond it.
    THREADS = _positive_int("LIANXIN_THREADS", 4)

    PAGE_SIZE = 50
    # Points certificates (README "Points certificates"): the signing key is derived from SECRET_KEY;
    # the public keys of earlier SECRET_KEYs (base64url raw, comma-separated) keep old ones valid.
    CERTIFICATE_PREVIOUS_KEYS = [k for k in os.environ.get("CERTIFICATE_PREVIOUS_KEYS", "").split(",")
                                 if k.strip()]
    CERTIFICATE_VERIFY_LIMIT = os.environ.get("CERTIFICATE_VERIFY_LIMIT", "60 per minute")

    # Health and metrics (README, "Health and metrics"): who may read /metrics, and one JSON
    # line per request on stderr.
    METRICS_ALLOW = os.environ.get("LIANXIN_METRICS_ALLOW", "127.0.0.1,::1")
    REQUEST_LOG = _flag("LIANXIN_REQUEST_LOG", True)

    # Backups (README "Backups"): empty BACKUP_DIR means <INSTANCE_PATH>/backups; the daily job
    # keeps the newest backup of this many days and the first of this many months.
    BACKUP_DIR = os.environ.get("LIANXIN_BACKUP_DIR", "")
    BACKUP_KEEP_DAILY = _positive_int("BACKUP_KEEP_DAILY", 7)
    BACKUP_KEEP_MONTHLY = _positive_int("BACKUP_KEEP_MONTHLY", 12)
    # Where pg_dump and pg_restore of the server's version are, when not in the usual places.
    PG_BIN_DIR = os.environ.get("LIANXIN_PG_BIN_DIR", "")

    # Points shop: a payment code lives a minute; once read it is held for the basket.
    PAY_CODE_SECONDS = int(os.environ.get("PAY_CODE_SECONDS", "60"))
    BASKET_HOLD_SECONDS = int(os.environ.get("BASKET_HOLD_SECONDS", "600"))
    SHOP_TYPED_CODE_LIMIT = os.environ.get("SHOP_TYPED_CODE_LIMIT", "10 per 10 minutes")
    # Wrong card PINs per shop keeper (each card also locks itself after five wrong PINs).
    SHOP_PIN_LIMIT = os.environ.get("SHOP_PIN_LIMIT", "10 per 10 minutes")

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key(Path(self.INSTANCE_PATH))
        self.SQLALCHEMY_DATABASE_URI = database_url()


class TestConfig(Config):
    """Fast hashing and an explicit database for the test suite."""

    TESTING = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SECRET_KEY = "test-secret"

    def __init__(self) -> None:
        pass
