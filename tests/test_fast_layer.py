"""The speed layer's fence: what app/fast.py (Prepared, as_loaded, SkipUnlimitedApiCalls), the
Limiter's Redis fallback (app/extensions.py) and the local:// storage (app/ratelimits.py) take
from SQLAlchemy, Flask-Limiter and limits beyond their public API still exists and still does
what they rely on, on SQLite and PostgreSQL; and only the sale and the token read use it.

A failure here after an upgrade means the layer must be brought in line (or dropped for plain
SQLAlchemy / Flask-Limiter) before the upgrade ships; requirements.txt pins the versions it was
written for and says so.
"""
import inspect
import re
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

import flask_limiter
import pytest
import sqlalchemy as sa
from limits.storage import MemoryStorage

from app.api import tokens
from app.database import transaction
from app.extensions import db, limiter
from app.fast import Prepared
from app.models import ApiToken, LedgerEntry, PaymentCode, Shop, User
from app.models.base import utcnow
from app.models.shop import Product, Redemption, RedemptionLine, StockMovement
from app.shop import checkout, codes
from tests import factories
from tests.shop_world import make_shop_world

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
FENCED = ("SQLAlchemy", "Flask-Limiter", "limits")


def test_the_versions_the_layer_was_written_for_are_pinned_and_installed():
    """requirements.txt pins each library the layer reaches into, says why next to it, and the
    installed one is that version (so this file's checks ran against what ships)."""
    text = REQUIREMENTS.read_text()
    for name in FENCED:
        pin = re.search(rf"^{re.escape(name)}==([\w.]+)", text, re.MULTILINE | re.IGNORECASE)
        assert pin, f"{name} is not pinned in requirements.txt"
        assert metadata.version(name) == pin.group(1), f"{name} installed is not the pinned version"
        before = text[:pin.start()].rstrip().splitlines()[-1]
        assert before.startswith("#") and "test_fast_layer" in before + text[pin.start():].splitlines()[0]


# The modules of the sale (claim the code, read the household and the basket, who the shop
# serves, debit, stock), of the token read, and the Limiter: by file name, wherever they move.
USERS = {"checkout.py", "codes.py", "shop.py", "services.py", "stock.py", "tokens.py", "extensions.py"}


def test_only_the_sale_and_the_token_read_use_the_speed_layer():
    app_dir = Path(__file__).resolve().parent.parent / "app"
    users = {path.relative_to(app_dir).as_posix() for path in app_dir.rglob("*.py")
             if re.search(r"^\s*(from app\.fast import|from app import fast|import app\.fast)",
                          path.read_text(encoding="utf-8"), re.MULTILINE)}
    assert {Path(user).name for user in users} <= USERS, sorted(users)


# -- SQLAlchemy: Prepared and as_loaded -------------------------------------------------------

def _rows(model, where):
    """Every column of the model's rows matching `where`, as the ORM reads them, by id."""
    db.session.expire_all()
    return [{c.key: getattr(row, c.key) for c in sa.inspect(model).column_attrs}
            for row in db.session.scalars(sa.select(model).where(where).order_by(model.id))]


def _raw(model, where):
    """The same rows as the driver hands them back (how they are stored), and which of their
    columns hold times."""
    table = model.__table__
    rows = db.session.execute(sa.text(f"SELECT * FROM {table.name} WHERE id IN :ids ORDER BY id")
                              .bindparams(sa.bindparam("ids", expanding=True)),
                              {"ids": [row["id"] for row in _rows(model, where)]}).all()
    times = [isinstance(getattr(column.type, "impl", column.type), sa.DateTime) for column in table.c]
    return [tuple(row) for row in rows], times


def _sale(world, key, plain, monkeypatch):
    code = codes.issue(world.h1_user)["secret"]
    with monkeypatch.context() as patch:
        if plain:  # every statement of the sale through SQLAlchemy instead of the driver
            patch.setattr(Prepared, "run", lambda self, params=None: self.run_plain(params))
        return checkout.sell(world.keeper, [(world.soap.id, 2), (world.rice.id, 1)],
                             idempotency_key=key, code=code)


# What differs between two sales of the same basket to the same household, one after the other.
VARYING = {"id", "created_at", "used_at", "idempotency_key", "payment_code_id", "redemption_id",
           "ref_id", "entry_id", "balance_after", "stock_after", "secret_hash", "number_hash",
           "expires_at"}


def test_a_sale_on_the_driver_writes_what_sqlalchemy_would(app, monkeypatch):
    """The same basket sold twice, once through Prepared and once through SQLAlchemy: every row
    it writes (the redemption, its lines, the ledger entry, the stock movements, the payment
    code) holds the same values of the same types, stored in the same form, and the answers
    agree. Compiled SQL, bind and result processors and Python-side defaults are what Prepared
    takes from SQLAlchemy's internals."""
    world = make_shop_world(balance=200)
    fast = _sale(world, "fast", plain=False, monkeypatch=monkeypatch)
    plain = _sale(world, "plain", plain=True, monkeypatch=monkeypatch)
    assert (fast.points, fast.lines, fast.balance_after - plain.balance_after) == \
        (plain.points, plain.lines, 60)
    for model, column in ((Redemption, "id"), (RedemptionLine, "redemption_id"),
                          (LedgerEntry, "ref_id"), (StockMovement, "redemption_id"),
                          (PaymentCode, "id")):
        ids = {"fast": fast.id, "plain": plain.id}
        if model is PaymentCode:
            ids = {"fast": fast.payment_code_id, "plain": plain.payment_code_id}
        where = {name: getattr(model, column) == value for name, value in ids.items()}
        if model is LedgerEntry:
            where = {name: sa.and_(clause, LedgerEntry.ref_type == "redemption")
                     for name, clause in where.items()}
        mine, theirs = _rows(model, where["fast"]), _rows(model, where["plain"])
        assert len(mine) == len(theirs) > 0, model
        for one, other in zip(mine, theirs):
            assert {k: type(v) for k, v in one.items()} == {k: type(v) for k, v in other.items()}, model
            assert {k: v for k, v in one.items() if k not in VARYING} == \
                {k: v for k, v in other.items() if k not in VARYING}, model
            for name, value in one.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, (model, name)
        (mine, times), (theirs, _times) = _raw(model, where["fast"]), _raw(model, where["plain"])
        for one, other in zip(mine, theirs):  # stored alike: SQLite keeps times as text
            assert [type(v) for v in one] == [type(v) for v in other], model
            assert [len(str(v)) for v, time in zip(one, times) if time and v is not None] == \
                [len(str(v)) for v, time in zip(other, times) if time and v is not None], model


def test_a_failed_sale_on_the_driver_fails_as_sqlalchemy_would(app, monkeypatch):
    """A driver error (here a unique key) is SQLAlchemy's IntegrityError with its statement,
    which transaction()'s replay of an idempotent request relies on; nothing is left written."""
    world = make_shop_world(balance=200)
    first = _sale(world, "same", plain=False, monkeypatch=monkeypatch)
    again = _sale(world, "same", plain=False, monkeypatch=monkeypatch)
    assert again.replayed and again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Redemption)) == 1
    insert = Prepared(Redemption.__table__.insert())
    with pytest.raises(sa.exc.IntegrityError) as raised:
        with transaction():
            insert.run({"shop_id": world.shop.id, "household_id": world.h1.id, "points": 1,
                        "balance_after": 0, "idempotency_key": "same"})
    assert "INSERT INTO redemptions" in str(raised.value.statement)


def _token(client) -> str:
    response = client.post("/api/v1/tokens", json={"username": "keeper", "password": factories.PASSWORD})
    assert response.status_code == 201, response.json
    return response.json["token"]


def test_the_token_read_loads_the_account_and_shop_as_the_orm_would(app, client):
    """tokens.current() builds the account and its shop from one row (as_loaded): the same
    values and types as the ORM's own load, persistent with nothing to flush, the shop set
    without a query and other relationships loaded lazily."""
    world = make_shop_world(balance=0)
    shop_id, village_id = world.shop.id, world.home.id
    token = _token(client)
    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        tokens.current()  # the first use writes last_used_at (and its commit expires the account)
        db.session.remove()  # a new request: nothing loaded yet
        user, row = tokens.current()
        assert sa.inspect(user).persistent and not db.session.dirty and not db.session.new
        assert "shop" in user.__dict__ and user.shop.id == shop_id
        loaded = {model: {c.key: getattr(obj, c.key) for c in sa.inspect(model).column_attrs}
                  for model, obj in ((User, user), (Shop, user.shop))}
        assert user.shop.village.id == village_id  # not in the row: loaded when asked for
        db.session.remove()
        for model, values in loaded.items():
            orm = db.session.get(model, values["id"])
            theirs = {c.key: getattr(orm, c.key) for c in sa.inspect(model).column_attrs}
            assert values == theirs and {k: type(v) for k, v in values.items()} == \
                {k: type(v) for k, v in theirs.items()}, model
        assert row.expires_at.tzinfo is not None


def test_a_compiled_statement_still_has_what_prepared_reads(app):
    """The compiler's attributes Prepared reads when it first runs a statement, on this
    database's dialect: a clear message here beats a wrong sale later."""
    dialect = db.engine.dialect
    products = Product.__table__
    compiled = products.insert().compile(dialect=dialect, column_keys=["shop_id", "name", "points"])
    for name in ("string", "binds", "positional", "insert_prefetch", "update_prefetch"):
        assert hasattr(compiled, name), name
    if compiled.positional:
        assert list(compiled.positiontup)
    for bind in compiled.binds.values():
        assert {"required", "effective_value", "type"} <= set(dir(bind))
        inspect.signature(bind.type.dialect_impl(dialect).bind_processor).bind(dialect)
    defaults = {column.key: column.default for column in compiled.insert_prefetch}
    assert {"stock", "active", "created_at"} <= set(defaults)
    assert defaults["created_at"].is_callable and not defaults["stock"].is_callable
    inspect.signature(products.c.created_at.type.dialect_impl(dialect).result_processor).bind(
        dialect, None)
    assert issubclass(dialect.loaded_dbapi.Error, Exception)
    inspect.signature(dialect.is_disconnect).bind(None, None, None)
    inspect.signature(sa.exc.DBAPIError.instance).bind(
        "SELECT 1", None, Exception(), Exception, connection_invalidated=False, dialect=dialect)
    mapper = sa.inspect(User)
    assert callable(mapper.class_manager.new_instance)
    assert mapper.identity_key_from_primary_key([1])[1] == (1,)


# -- Flask-Limiter: the Limiter subclass --------------------------------------------------------

def test_flask_limiters_private_parts_the_subclass_uses_still_exist(app):
    base = flask_limiter.Limiter
    assert list(inspect.signature(base._check_request_limit).parameters) == \
        ["self", "callable_name", "in_middleware"]
    assert inspect.signature(base._check_request_limit).parameters["in_middleware"].default is True
    assert callable(getattr(base, "_Limiter__check_conditional_deductions"))
    for name in ("_storage", "_storage_dead", "_storage_options", "_fallback_limiter",
                 "_fallback_storage", "_in_memory_fallback_enabled"):
        assert hasattr(limiter, name), name
    assert isinstance(limiter._storage_options, dict)
    with app.test_request_context():
        assert isinstance(limiter.context.conditional_deductions, dict)
    for name in ("_MemoryStorage__schedule_expiry", "_MemoryStorage__expire_events"):
        assert callable(getattr(MemoryStorage, name)), name  # app/ratelimits.LocalStorage


def _checks(monkeypatch) -> list:
    """Records each call of Flask-Limiter's own request check, with whether its hook made it."""
    seen: list = []
    own = flask_limiter.Limiter._check_request_limit

    def recorded(self, callable_name=None, in_middleware=True):
        seen.append(in_middleware)
        return own(self, callable_name, in_middleware)

    monkeypatch.setattr(flask_limiter.Limiter, "_check_request_limit", recorded)
    return seen


def test_api_calls_without_limits_skip_flask_limiters_hook_and_pages_do_not(app, client, monkeypatch):
    """The subclass's override of the hook's check (the speed part): Flask-Limiter must still
    call `_check_request_limit(in_middleware=True)` before each request, or pages lose their
    limits; API calls without limits of their own must not reach it."""
    make_shop_world(balance=0)
    token = _token(client)
    seen = _checks(monkeypatch)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert seen == []
    client.get("/login")
    assert seen and seen[0] is True


def test_the_limits_still_count_and_refuse(app, client, monkeypatch):
    """Through the subclass: a page's limit (sign-ins per username), an API call's own limit
    (sign-ins by token request) and the per-holder count of every API call refuse at the limit."""
    make_shop_world(balance=0)
    monkeypatch.setitem(app.config, "API_LIMIT_PER_HOLDER", "3 per minute")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    token = _token(client)
    bearer = {"Authorization": f"Bearer {token}"}
    assert [client.get("/api/v1/me", headers=bearer).status_code for _ in range(4)] == [200] * 3 + [429]
    wrong = [client.post("/api/v1/tokens", json={"username": "h1", "password": "typo"}).status_code
             for _ in range(11)]
    assert wrong == [401] * 10 + [429]
    pages = [client.post("/login", data={"username": "h2", "password": "typo"}).status_code
             for _ in range(11)]
    assert pages == [200] * 10 + [429]


def test_with_redis_down_limits_fall_back_to_memory_and_still_refuse(app, monkeypatch, caplog):
    """The subclass's Redis fallback: a storage that does not answer is no server error, the
    limits count in this process from then on, and the outage is logged once."""
    from app import create_app

    make_shop_world(balance=0)
    node = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "INSTANCE_PATH": app.config["INSTANCE_PATH"], "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0",  # nobody listens there
                       "API_LIMIT_PER_HOLDER": "3 per minute"})
    client = node.test_client()
    # A token made here, not signed in for: the API's own count (Limiter.hit) meets Redis first.
    keeper = db.session.scalar(sa.select(User).where(User.username == "keeper"))
    db.session.add(ApiToken(user_id=keeper.id, token_hash=tokens.hash_token("t" * 43),
                            expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    bearer = {"Authorization": "Bearer " + "t" * 43}
    assert [client.get("/api/v1/me", headers=bearer).status_code for _ in range(4)] == [200] * 3 + [429]
    pages = [client.post("/login", data={"username": "h2", "password": "typo"}).status_code
             for _ in range(11)]
    assert pages == [200] * 10 + [429]
    assert len([r for r in caplog.records if "falling back to in-memory" in r.getMessage()]) == 1
