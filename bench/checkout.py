"""Checkout throughput: the shop service against raw sqlite3, and HTTP under gunicorn.

    .venv/bin/python bench/checkout.py service [--sales 300]
        checkouts per second through the shop service (app.shop.checkout.sell, what the counter
        page and the API call) on a file SQLite database, and the same statements through raw
        sqlite3 in the same run; prints the ratio (goal: at least 10 %).

    .venv/bin/python bench/checkout.py http [--database-url URL] [--keepers 50] [--sales 10]
        starts gunicorn with 4 workers on a fresh database (file SQLite unless a PostgreSQL URL is
        given; that database is emptied), signs in --keepers shop keepers, and lets them all sell
        at once through the pages (scan, basket, checkout); prints req/s, p95 and errors, then
        checks that every balance and stock agrees with the ledger and the movements.

Each sale is two products (three units) paid with its own payment code.
"""
import argparse
import html
import http.cookiejar
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_PASSWORD = "bench-password-1"


def _app(url: str, instance: str):
    from app import create_app

    os.environ["PAY_CODE_SECONDS"] = "3600"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "PAY_CODE_SECONDS": 3600,
                       "SECRET_KEY": "bench-secret"})


def _world(keepers: int, households: int, codes_each: int):
    """A village shop with keepers, households with points and codes, and two stocked products."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.extensions import db
    from app.ledger import rules, services
    from app.models import RegionLevel, Role, Shop, User, Household
    from app.regions.services import add_regions
    from app.shop import codes
    from app.shop.catalogue import services as catalogue

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    (city,) = add_regions([("基准市", RegionLevel.CITY, None)])
    (county,) = add_regions([("基准县", RegionLevel.COUNTY, city)])
    (town,) = add_regions([("基准镇", RegionLevel.TOWNSHIP, county)])
    (village,) = add_regions([("基准村", RegionLevel.VILLAGE, town)])
    shop = Shop(village_id=village.id, name="基准超市")
    db.session.add(shop)
    db.session.flush()

    def account(name, role, **scope):
        user = User(username=name, role=role, **scope)
        user.set_password(BENCH_PASSWORD)
        db.session.add(user)
        return user

    committee = account("bench-committee", Role.COMMITTEE.value, region_id=village.id)
    keeper_users = [account(f"bench-keeper-{i}", Role.SHOP.value, shop_id=shop.id)
                    for i in range(keepers)]
    homes = [Household(village_id=village.id, number=f"{i:04d}", head_name=f"户{i}")
             for i in range(households)]
    db.session.add_all(homes)
    db.session.flush()
    payers = [account(f"bench-household-{i}", Role.HOUSEHOLD.value, household_id=h.id)
              for i, h in enumerate(homes)]
    db.session.commit()
    category = rules.create_category(committee, village.id, "基准")
    rule = rules.create_rule(committee, village.id, category.id, "B1", "基准加分", 1000)
    for _ in range(codes_each):
        services.award(committee, [h.id for h in homes], rule.id)
    products = [catalogue.create_product(keeper_users[0], shop.id, name, points)
                for name, points in (("大米", 50), ("肥皂", 5))]
    for product in products:
        catalogue.receive_goods(keeper_users[0], product.id, 100_000, "village")
    secrets_by_household = {h.id: [codes.issue(p)["secret"] for _ in range(codes_each)]
                            for h, p in zip(homes, payers)}
    ids = {"keepers": [k.id for k in keeper_users], "products": [p.id for p in products],
           "households": [h.id for h in homes], "village": village.id, "shop": shop.id}
    db.session.remove()
    return ids, secrets_by_household


def bench_service(sales: int) -> None:
    """The shop service against the same statements through raw sqlite3, on one file database."""
    from app.extensions import db
    from app.models import User
    from app.shop import checkout

    folder = tempfile.mkdtemp(prefix="lianxin-bench-")
    path = Path(folder) / "bench.db"
    app = _app(f"sqlite:///{path}", folder)
    with app.app_context():
        ids, by_household = _world(1, 2, sales)
        service_codes, raw_codes = by_household[ids["households"][0]], by_household[ids["households"][1]]
        items = [(ids["products"][0], 1), (ids["products"][1], 2)]
        keeper = db.session.get(User, ids["keepers"][0])
        start = time.perf_counter()
        for i, secret in enumerate(service_codes):
            checkout.sell(keeper, items, f"svc-{i}", code=secret)
        service_rate = sales / (time.perf_counter() - start)
        db.session.remove()
        db.engine.dispose()
    raw_rate = _raw_sqlite(path, ids, raw_codes, items)
    print(f"service: {service_rate:.0f} checkouts/s; raw sqlite3: {raw_rate:.0f} checkouts/s; "
          f"ratio {100 * service_rate / raw_rate:.1f} % (goal >= 10 %)")


def _raw_sqlite(path: Path, ids: dict, codes_: list[str], items) -> float:
    """The statements one sale through the service runs (app.shop.checkout.sell, as its SQL log
    shows them), through sqlite3 with the same pragmas, per sale: the keeper and its shop are
    read again (the service's session expired them at the last commit), the code is claimed,
    the household and products read, the redemption written, the village's service checked, the
    points taken, the entry written, each product's stock taken, the movements and lines
    written in one executemany each, and the redemption completed."""
    import hashlib

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    keeper, shop = ids["keepers"][0], ids["shop"]
    start = time.perf_counter()
    for i, secret in enumerate(codes_):
        now = datetime.now(UTC).isoformat(sep=" ")
        key = f"raw-{i}"
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT * FROM users WHERE id = ?", (keeper,)).fetchone()
        conn.execute("SELECT * FROM shops WHERE id = ?", (shop,)).fetchone()
        digest = hashlib.sha256(secret.encode()).hexdigest()
        code_id, household = conn.execute(
            "UPDATE payment_codes SET used_at = ? WHERE secret_hash = ? AND used_at IS NULL AND "
            "revoked_at IS NULL AND expires_at > ? AND (held_by IS NULL OR held_by = ?) "
            "RETURNING id, household_id", (now, digest, now, keeper)).fetchone()
        _id, village, _active, _number, _head = conn.execute(
            "SELECT id, village_id, active, number, head_name FROM households WHERE id = ?",
            (household,)).fetchone()
        prices = {row[0]: row[3] for row in conn.execute(
            "SELECT id, shop_id, name, points, active FROM products WHERE id IN (?, ?) AND shop_id = ?",
            (items[0][0], items[1][0], shop))}
        cost = sum(prices[p] * q for p, q in items)
        redemption, = conn.execute(
            "INSERT INTO redemptions (shop_id, household_id, points, balance_after, payment_code_id, "
            "idempotency_key, actor_id, created_at, void_reason) VALUES (?,?,?,?,?,?,?,?,'') RETURNING id",
            (shop, household, cost, 0, code_id, key, keeper, now)).fetchone()
        assert conn.execute("SELECT shop_id FROM shop_villages WHERE shop_id = ? AND village_id = ?",
                            (shop, village)).fetchone()
        balance, = conn.execute("UPDATE households SET balance = balance - ? WHERE id = ? AND "
                                "balance >= ? RETURNING balance", (cost, household, cost)).fetchone()
        entry, = conn.execute(
            "INSERT INTO ledger_entries (household_id, village_id, points, kind, ref_type, ref_id, "
            "note, actor_id, created_at, idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
            (household, village, -cost, "redemption", "redemption", redemption, "raw", keeper,
             now, None)).fetchone()
        movements = []
        for product, quantity in sorted(items):
            after, = conn.execute("UPDATE products SET stock = stock - ? WHERE id = ? AND stock - ? >= 0 "
                                  "RETURNING stock", (quantity, product, quantity)).fetchone()
            movements.append((shop, product, "redeemed", -quantity, after, None, "", redemption,
                              keeper, now))
        conn.executemany("INSERT INTO stock_movements (shop_id, product_id, kind, quantity, stock_after, "
                         "source, note, redemption_id, actor_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         movements)
        conn.executemany("INSERT INTO redemption_lines (redemption_id, product_id, quantity, points) "
                         "VALUES (?,?,?,?)", [(redemption, p, q, prices[p]) for p, q in sorted(items)])
        conn.execute("UPDATE redemptions SET entry_id = ?, balance_after = ? WHERE id = ?",
                     (entry, balance, redemption))
        conn.execute("COMMIT")
    rate = len(codes_) / (time.perf_counter() - start)
    conn.close()
    return rate


FIELD = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


class Browser:
    """One signed-in shop keeper: its own cookies and connections; records each request's time."""

    def __init__(self, base: str, timings: list, errors: list):
        self.base, self.timings, self.errors = base, timings, errors
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path: str, data=None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        start = time.perf_counter()
        try:
            response = self.opener.open(self.base + path, body, timeout=120)
            status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text, location = error.code, error.read().decode(), error.headers.get("Location", "")
        self.timings.append(time.perf_counter() - start)
        if status >= 400:
            self.errors.append((path, status))
        return status, text, location

    def fields(self, path: str) -> dict:
        return {n: html.unescape(v) for n, v in FIELD.findall(self.request(path)[1])}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _sell(browser: Browser, secret: str, products: list[int]) -> None:
    token = browser.fields("/shop/scan")["csrf_token"]
    _status, _text, basket = browser.request("/shop/scan", {"csrf_token": token, "code": secret})
    path = urllib.parse.urlsplit(basket).path
    form = browser.fields(path)
    browser.request(path + "/checkout", {"csrf_token": form["csrf_token"],
                                         "idempotency_key": form["idempotency_key"],
                                         f"qty-{products[0]}": "1", f"qty-{products[1]}": "2"})


def bench_http(database_url: str, keepers: int, sales: int) -> int:
    """Gunicorn with 4 workers; every keeper sells `sales` baskets, all keepers at once."""
    folder = tempfile.mkdtemp(prefix="lianxin-bench-")
    url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
    app = _app(url, folder)
    with app.app_context():
        ids, by_household = _world(keepers, keepers, sales)
        from app.extensions import db

        db.engine.dispose()
    port = 8000 + secrets.randbelow(1000)
    env = dict(os.environ, DATABASE_URL=url, LIANXIN_INSTANCE=folder, SECRET_KEY="bench-secret",
               PAY_CODE_SECONDS="3600", LOGIN_LIMIT_PER_ADDRESS="100000 per minute",
               LOGIN_LIMIT_PER_USERNAME="100000 per minute", LIANXIN_PER_PROCESS_LIMITS="1")
    # Sync workers, as measured before gunicorn.conf.py made the deployed ones threaded.
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b",
                               f"127.0.0.1:{port}", "-k", "sync", "--threads", "1",
                               "--log-level", "warning", "wsgi:app"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        timings, errors = [], []
        browsers = [Browser(base, timings, errors) for _ in range(keepers)]
        for i, browser in enumerate(browsers):
            token = browser.fields("/login")["csrf_token"]
            browser.request("/login", {"csrf_token": token, "username": f"bench-keeper-{i}",
                                       "password": BENCH_PASSWORD})
        timings.clear()
        barrier = threading.Barrier(keepers)
        households = ids["households"]

        def run(i):
            barrier.wait()
            for secret in by_household[households[i]]:
                _sell(browsers[i], secret, ids["products"])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(keepers)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else 0
    with app.app_context():
        from app.ledger.reads import verify
        from app.models.shop import Redemption
        import sqlalchemy as sa
        from app.extensions import db

        wrong = verify()
        made = db.session.scalar(sa.select(sa.func.count(Redemption.id)))
    backend = url.split(":")[0]
    print(f"{backend}: {keepers} keepers x {sales} sales, {len(timings)} requests in {elapsed:.1f} s: "
          f"{len(timings) / elapsed:.0f} req/s, {made / elapsed:.1f} checkouts/s, p95 {1000 * p95:.0f} ms, "
          f"errors {len(errors)}, redemptions {made}/{keepers * sales}, ledger verify "
          f"{'clean' if not wrong else f'{len(wrong)} wrong'}")
    return 0 if not errors and not wrong and made == keepers * sales else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    service = sub.add_parser("service")
    service.add_argument("--sales", type=int, default=300)
    web = sub.add_parser("http")
    web.add_argument("--database-url", default="")
    web.add_argument("--keepers", type=int, default=50)
    web.add_argument("--sales", type=int, default=10)
    args = parser.parse_args()
    if args.what == "service":
        bench_service(args.sales)
    else:
        sys.exit(bench_http(args.database_url, args.keepers, args.sales))


if __name__ == "__main__":
    main()
