"""How the officials' and committees' pages scale from the demo to a whole city.

Run by hand (never in the test suite):

    .venv/bin/python bench/city_pages.py --keep /tmp/city --verify --sql-summaries

It builds two databases with the same code, the five-village demo (the baseline) and the demo
plus N synthetic villages with two years of points history (by default 1,945 + 5 villages,
800,000 households and about 20 million ledger entries, bulk-loaded by bench/city_bulk.py, with
shops, sales, meetings and issues), times the same pages in both, and prints each page's median
and 95th percentile in the city as a ratio of the demo's. Flat ratios mean no page scans the
city. It then serves the city with `gunicorn -w 2`, signs in, requests the pages a few hundred
times and reports each worker's resident memory. `--verify` runs `flask ledger verify` and
`flask figures verify` on the built city. At full size the build took about 31 minutes on a
busy two-core machine and the verifies 15 more; `--sql-summaries` is needed there (the app's own
`flask figures rebuild` held over 18 GB before it was stopped).

Set BENCH_DATABASE_URL (a PostgreSQL URL whose database may be emptied) to bench PostgreSQL; the
demo then goes in that database's schema `bench_demo`. `--keep DIR` keeps the SQLite databases
in DIR and reuses them on the next run with the same size; on PostgreSQL a city already built at
the asked size (villages, households and entries, at a revision of these migrations) is reused,
`--rebuild` forces a new one. A kept city, SQLite or PostgreSQL, is migrated to the head before
it is timed.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app, demo  # noqa: E402
from app.extensions import db  # noqa: E402

PAGES = [("household", "/ledger/me/history"), ("household2", "/ledger/me/history?after={deep}"),
         ("city", "/regions/"), ("city", "/regions/?q=村"), ("committee", "/households/"),
         ("committee", "/households/?q=陈"), ("household", "/me"),
         ("city", "/figures"), ("city", "/figures?sort=overdue&desc=1"),
         ("city", "/figures?region={county}"), ("city", "/figures?region={township}"),
         ("city", "/figures?start={year_ago}&end={this_month}&sort=reached&desc=1"),
         ("city", "/figures.xlsx"), ("city", "/meetings"),
         ("city", "/issues?status=overdue"), ("city", "/issues/assigned"),
         ("committee", "/meetings"), ("committee", "/issues"), ("household", "/meetings"),
         ("household", "/issues/mine"),
         ("committee", "/rankings"), ("committee", "/rankings?period=year"),
         ("gridleader", "/rankings"), ("city", "/rankings?village={village}"),
         ("city", "/figures?region={village}"), ("city", "/figures/charts/categories.xlsx"),
         # The figures table (and the villages chart, in its order) sorted by the other kinds of
         # column: a counter of the months, a rate, and the cadres' distinct counts.
         ("city", "/figures?sort=meetings&dir=desc"), ("city", "/figures?sort=issues&dir=asc"),
         ("city", "/figures?sort=attendance_rate&dir=desc"), ("city", "/figures?sort=cadres&dir=desc")]


HISTORY_PAGES = 1000  # how deep the deep history page is
DEEP_USER = "household2"  # whose household gets a history that long in the city (not /me's)
DEMO_SCHEMA = "bench_demo"  # PostgreSQL: the demo's schema, beside the city's (public)


DEFAULT_SIZE = (1945, 410, 25)  # villages, households a village, entries a household (issue 21)


def opened(url: str, instance: str):
    """The app on an existing database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                       "WTF_CSRF_ENABLED": False, "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
                       "LOGIN_LIMIT_PER_USERNAME": "10000 per minute", "PAY_CODE_SECONDS": 3600,
                       "API_LIMIT_PER_HOLDER": "1000000 per minute"})


def build(url: str, instance: str, villages: int, per_village: int, entries: int = 0,
          verify: bool = False, sql_summaries: bool = False):
    """A migrated database with the demo city and `villages` extra villages, those with about
    `entries` ledger entries a household over two years (bench/city_bulk.py); prints each
    phase's time and returns (app, {phase: seconds, counts, verify output})."""
    from bench import city_bulk

    app = opened(url, instance)
    phases = city_bulk.Phases()
    report = {}
    with app.app_context():
        if url.startswith("postgresql"):
            schema = _schema(url)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
        upgrade()
        phases.done("schema migrated")
        demo.load(villages, per_village)
        phases.done(f"demo.load: places, {villages + 5} villages' households, demo history")
        _city_meetings(villages)
        phases.done("meetings and issues of the synthetic villages, figures recounted")
        if entries:
            from app.models import User

            deep = db.session.scalar(sa.select(User.household_id).where(User.username == DEEP_USER))
            report["counts"] = city_bulk.load(villages, entries, deep,
                                              HISTORY_PAGES * app.config["PAGE_SIZE"] + 100, phases)
            report["verify"] = city_bulk.rebuild_and_verify(app, verify, phases, sql_summaries)
        if url.startswith("postgresql"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
            phases.done("ANALYZE")
        db.session.remove()
        db.engine.dispose()
    report["phases"] = phases.times
    print(f"  built in {sum(t for _n, t in phases.times):.1f} s", flush=True)
    return app, report


def _schema(url: str) -> str:
    return DEMO_SCHEMA if DEMO_SCHEMA in url else "public"


def _demo_url(url: str) -> str:
    """The PostgreSQL demo's URL: the same database, its own schema (first on the search path)."""
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{DEMO_SCHEMA}"


def built_at_size(app, villages: int, per_village: int, entries: int) -> bool:
    """Whether the database already holds a city of this size (a PostgreSQL city to reuse): at a
    revision of this code's migrations (the caller upgrades it to the head, as a kept SQLite
    city: a new index must not cost a 45-minute rebuild), the synthetic villages and households,
    and at least 90 % of the entries."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401 (the app's migrate extension is bound)

    from app.models import Household, LedgerEntry, Region, RegionLevel

    with app.app_context():
        try:
            head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            config = app.extensions["migrate"].migrate.get_config()
            known = {script.revision for script in
                     ScriptDirectory.from_config(config).walk_revisions()}
            synthetic = sa.select(Region.id).where(Region.level == RegionLevel.VILLAGE,
                                                   Region.name.like("模拟%"))
            found = (db.session.scalar(sa.select(sa.func.count()).select_from(synthetic.subquery())),
                     db.session.scalar(sa.select(sa.func.count(Household.id))
                                       .where(Household.village_id.in_(synthetic))),
                     db.session.scalar(sa.select(sa.func.max(LedgerEntry.id))) or 0)
        except sa.exc.SQLAlchemyError:
            return False
        finally:
            db.session.remove()
            db.engine.dispose()
    return (head in known and found[0] == villages and found[1] == villages * per_village
            and found[2] >= 0.9 * villages * per_village * entries)


# The pages the gunicorn phase requests, as their users (the API sale is timed in-process only).
SERVED = [("household", "/me"), ("household", "/ledger/me/history"), ("committee", "/households/"),
          ("city", "/figures"), ("committee", "/rankings"), ("city", "/rankings")]


def _city_meetings(villages: int) -> None:
    """Meetings and issues in the synthetic villages too: eight meetings a village a year, as the
    city's 15,000 meetings in 1,950 villages, and the demo's issues in every status."""
    import random
    from datetime import UTC, datetime

    from app.demo.ledger import _rulebook
    from app.demo import meetings as meetings_demo
    from app.models import Region, RegionLevel, Rule

    if not villages:
        return
    synthetic = list(db.session.scalars(sa.select(Region).where(
        Region.level == RegionLevel.VILLAGE, Region.name.like("模拟%")).order_by(Region.id)))
    for village in synthetic:
        if db.session.scalar(sa.select(Rule.id).where(Rule.village_id == village.id).limit(1)) is None:
            _rulebook(village)
    meetings_demo.load(random.Random(7), datetime.now(UTC), synthetic, full=False,
                       meetings_per_village=8)
    from app.figures import recount

    recount.rebuild()  # inserted in bulk, as the demo is: recount the figures rollup
    db.session.commit()


def _placeholders(app) -> dict:
    """The county and township with the most villages (the demo's are small, the city's are 150
    and 10 villages), and the last twelve months, for the figures pages' addresses."""
    from datetime import date

    from app.models import Region, RegionLevel

    with app.app_context():
        parent = sa.orm.aliased(Region)

        def largest(level):
            return db.session.scalar(
                sa.select(parent.id).join(Region, Region.path.startswith(parent.path))
                .where(parent.level == level, Region.level == RegionLevel.VILLAGE)
                .group_by(parent.id).order_by(sa.func.count().desc(), parent.id).limit(1))

        today = date.today()
        village = db.session.scalar(sa.select(Region.id).where(Region.level == RegionLevel.VILLAGE)
                                    .order_by(Region.id.desc()).limit(1))  # a synthetic one
        values = {"county": largest(RegionLevel.COUNTY), "township": largest(RegionLevel.TOWNSHIP),
                  "village": village, "deep": _deep_cursor(app),
                  "year_ago": f"{today.year - 1}-{today.month:02d}", "this_month": today.strftime("%Y-%m")}
        db.session.remove()
        return values


def _deep_cursor(app) -> str:
    """The second demo household's history cursor HISTORY_PAGES pages deep (in the demo, whose household
    has a few dozen entries, its last page)."""
    from app.models import LedgerEntry, User
    from app.pagination import encode_cursor

    household = db.session.scalar(sa.select(User.household_id).where(User.username == DEEP_USER))
    count = db.session.scalar(sa.select(sa.func.count(LedgerEntry.id))
                              .where(LedgerEntry.household_id == household))
    at, entry = db.session.execute(
        sa.select(LedgerEntry.created_at, LedgerEntry.id).where(LedgerEntry.household_id == household)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .offset(min(HISTORY_PAGES * app.config["PAGE_SIZE"], count - 2) - 1).limit(1)).one()
    return encode_cursor([at.isoformat(), entry])


def _sale_setup(app, count: int) -> tuple[str, int, list[str]]:
    """The demo shop keeper's API token, a 1-point product and `count` payment codes of the demo
    households, for timing POST /api/v1/redemptions as bench/api.py makes it."""
    import json

    from app.models import User
    from app.shop import codes
    from app.shop.catalogue import services as catalogue

    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"username": "shop", "password": demo.DEMO_PASSWORD})
    token = json.loads(response.data)["token"]
    with app.app_context():
        keeper = db.session.scalar(sa.select(User).where(User.username == "shop"))
        product = catalogue.create_product(keeper, keeper.shop_id, f"bench {time.time_ns()}", 1)
        catalogue.receive_goods(keeper, product.id, 99_999, "village")
        payers = list(db.session.scalars(sa.select(User).where(
            User.username.in_(["household", "household2"]))))
        made = [codes.issue(payers[i % len(payers)])["secret"] for i in range(count)]
        db.session.commit()
        product_id = product.id
        db.session.remove()
    return token, product_id, made


def _summary(samples: list[float]) -> tuple[float, float]:
    """(median, 95th percentile) of the samples."""
    return statistics.median(samples), statistics.quantiles(samples, n=20, method="inclusive")[18]


def time_pages(apps: dict, repeats: int) -> dict:
    """{label: {page: (median, p95) seconds}} for each app of `apps` ({label: app}): every page
    fetched `repeats` times by a signed-in client after one warming fetch, and as many API
    sales, the apps taking turns request by request (a shared machine's speed drifts, and a
    ratio is fair only between figures measured side by side)."""
    results = {label: {} for label in apps}
    values = {label: _placeholders(app) for label, app in apps.items()}
    sales = {label: (app.test_client(), *_sale_setup(app, repeats + 1)) for label, app in apps.items()}
    samples = {label: [] for label in apps}
    for n in range(repeats + 1):
        for label, (client, token, product, codes) in sales.items():
            started = time.perf_counter()
            response = client.post("/api/v1/redemptions", json={
                "code": codes[n], "items": [{"product_id": product, "quantity": 1}],
                "idempotency_key": codes[n][-32:]}, headers={"Authorization": f"Bearer {token}"})
            if n:  # the first warms
                samples[label].append(time.perf_counter() - started)
            assert response.status_code == 201, (label, response.status_code, response.data[:300])
    for label in apps:
        results[label][("shop", "POST /api/v1/redemptions")] = _summary(samples[label])
    for username, template in PAGES:
        clients, samples = {}, {label: [] for label in apps}
        for label, app in apps.items():
            clients[label] = app.test_client()
            clients[label].post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
            clients[label].get(template.format(**values[label]))  # warm caches
        for _ in range(repeats):
            for label, client in clients.items():
                path = template.format(**values[label])
                started = time.perf_counter()
                response = client.get(path)
                samples[label].append(time.perf_counter() - started)
                assert response.status_code == 200, (label, path, response.status_code)
        for label in apps:
            results[label][(username, template)] = _summary(samples[label])
    return results


def _sizes(app, url: str) -> dict:
    """Rows of the big tables and the database's size on disk."""
    from app.models import Household, LedgerEntry, Meeting, Redemption, Region, RegionLevel
    from app.models.issue import Issue

    with app.app_context():
        sizes = {"villages": db.session.scalar(sa.select(sa.func.count(Region.id))
                                               .where(Region.level == RegionLevel.VILLAGE))}
        for name, model in (("households", Household), ("ledger entries", LedgerEntry),
                            ("redemptions", Redemption), ("meetings", Meeting), ("issues", Issue)):
            sizes[name] = db.session.scalar(sa.select(sa.func.count(model.id)))
        if url.startswith("postgresql"):
            size = db.session.scalar(sa.text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"))
        else:
            size = os.path.getsize(db.engine.url.database)
        sizes["size on disk"] = f"{int(size) / 2**30:.2f} GiB"
        db.session.remove()
        db.engine.dispose()
    return sizes


def _worker_rss(master: int) -> dict[int, float]:
    """{pid: VmRSS in MB} of each child of gunicorn's master process."""
    rss = {}
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[int(pid)] = int(line.split()[1]) / 1024
    return rss


def serve_and_measure(url: str, instance: str, rounds: int) -> list[tuple[int, float, float]]:
    """Serve the city with `gunicorn -w 2`, request the measured pages `rounds` times each as
    their signed-in users; each worker's (pid, VmRSS in MB when started, after the run)."""
    import re

    import requests

    from bench.api import Server

    env = {"DATABASE_URL": url, "LIANXIN_INSTANCE": instance, "SECRET_KEY": "bench-only",
           "LIANXIN_PER_PROCESS_LIMITS": "1", "LOGIN_LIMIT_PER_USERNAME": "1000 per minute",
           "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"}
    server = Server("wsgi:app", 2, env)
    try:
        started = _worker_rss(server.process.pid)
        base = f"http://127.0.0.1:{server.port}"
        sessions = {}
        for username in sorted({u for u, _t in SERVED}):
            session = requests.Session()
            page = session.get(f"{base}/login").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            response = session.post(f"{base}/login", data={
                "username": username, "password": demo.DEMO_PASSWORD,
                "csrf_token": token.group(1) if token else ""})
            assert response.ok and "/login" not in response.url, (username, response.status_code)
            sessions[username] = session
        failures = 0
        for _ in range(rounds):
            for username, path in SERVED:
                failures += sessions[username].get(base + path).status_code != 200
        if failures:
            print(f"  warning: {failures} requests did not answer 200")
        return [(pid, started.get(pid, 0.0), mb)
                for pid, mb in _worker_rss(server.process.pid).items()]
    finally:
        server.stop()


def main() -> None:
    from bench import results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=DEFAULT_SIZE[0])
    parser.add_argument("--households-per-village", type=int, default=DEFAULT_SIZE[1])
    parser.add_argument("--entries-per-household", type=int, default=DEFAULT_SIZE[2],
                        help="ledger entries a synthetic household has over two years, on average")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the SQLite databases here and reuse them when they exist")
    parser.add_argument("--rebuild", action="store_true",
                        help="PostgreSQL: build the city even when one of this size is there")
    parser.add_argument("--verify", action="store_true",
                        help="run flask ledger verify and flask figures verify on a new city")
    parser.add_argument("--sql-summaries", action="store_true",
                        help="recount the rankings and points by rule in SQL, not by `flask "
                        "figures rebuild` (which at 20 million entries takes most of an hour "
                        "and over 18 GB)")
    parser.add_argument("--serve-rounds", type=int, default=30,
                        help="rounds of the measured pages under gunicorn (0: no memory phase)")
    parser.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    per, entries = args.households_per_village, args.entries_per_household
    reports = {}
    with tempfile.TemporaryDirectory() as tmp:
        apps = {}
        for label, extra in (("demo", 0), ("city", args.villages)):
            print(f"{label}:", flush=True)
            density = entries if extra else 0
            if url:
                target = _demo_url(url) if label == "demo" else url
                app = opened(target, tmp)
                if label == "city" and not args.rebuild and built_at_size(app, extra, per, density):
                    print(f"  reusing the city in {url.split('@')[-1]} (migrated to the head first)")
                    with app.app_context():
                        upgrade()  # as a kept SQLite city: it outlives schema changes
                else:
                    app, reports[label] = build(target, tmp, extra, per, density, args.verify,
                                                args.sql_summaries)
            elif args.keep:
                os.makedirs(args.keep, exist_ok=True)
                kept = Path(args.keep) / f"{label}-{extra}x{per}x{density}.db"
                target = f"sqlite:///{kept}"
                if kept.exists():
                    print(f"  reusing {kept} (migrated to the head first)", flush=True)
                    app = opened(target, tmp)
                    with app.app_context():
                        upgrade()  # a kept city outlives schema changes: an index takes minutes
                else:
                    _app, reports[label] = build(f"sqlite:///{kept}.part", tmp, extra, per, density,
                                                 args.verify, args.sql_summaries)
                    os.replace(f"{kept}.part", kept)
                    app = opened(target, tmp)
            else:
                target = f"sqlite:///{tmp}/{label}.db"
                app, reports[label] = build(target, tmp, extra, per, density, args.verify,
                                            args.sql_summaries)
            sizes = _sizes(app, target)
            print("  " + ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}"
                                   for k, v in sizes.items()), flush=True)
            reports.setdefault(label, {})["sizes"] = sizes
            apps[label] = app
        # No app context around the requests: each request must get its own (and its own g).
        runs = time_pages(apps, args.repeats)
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        rss = serve_and_measure(target, tmp, args.serve_rounds) if args.serve_rounds else []
    rows = []
    print(f"\n{'page':48} {'demo p50':>8} {'p95':>6} {'city p50':>8} {'p95':>6} {'p50 x':>6} {'p95 x':>6}")
    for key in runs["demo"]:
        (small, small95), (big, big95) = runs["demo"][key], runs["city"][key]
        name = f"{key[0]} {key[1]}"
        print(f"{name:48} {small * 1000:8.1f} {small95 * 1000:6.1f} {big * 1000:8.1f} "
              f"{big95 * 1000:6.1f} {big / small:6.2f} {big95 / small95:6.2f}")
        rows.append([f"{key[0]} `{key[1]}`", f"{small * 1000:.1f}", f"{small95 * 1000:.1f}",
                     f"{big * 1000:.1f}", f"{big95 * 1000:.1f}", f"{big / small:.2f}",
                     f"{big95 / small95:.2f}"])
    for pid, first, mb in rss:
        print(f"gunicorn worker {pid}: {first:.0f} MB resident when started, {mb:.0f} MB after "
              f"{args.serve_rounds} rounds of {len(SERVED)} pages (goal <= 150 MB)")
    body = [f"Backend: {'PostgreSQL' if url else 'SQLite'}. In-process (Flask test client), warm, "
            f"{args.repeats} requests a page; goal: city within 1.3x of the demo.", ""]
    for label, report in reports.items():
        body.append(f"**{label}**: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                                 for k, v in report.get("sizes", {}).items()))
        if report.get("phases"):
            body.append("build: " + "; ".join(f"{n} {t:.0f} s" for n, t in report["phases"])
                        + f"; total {sum(t for _n, t in report['phases']):.0f} s")
        body += [f"`{line.splitlines()[0][:200]}`" for line in report.get("verify", [])]
        body.append("")
    body.append(results.table(["page", "demo p50 ms", "demo p95 ms", "city p50 ms", "city p95 ms",
                               "p50 ratio", "p95 ratio"], rows))
    if rss:
        body += ["", f"gunicorn -w 2 on the city after {args.serve_rounds} rounds of "
                 f"{len(SERVED)} pages: " + ", ".join(f"worker {mb:.0f} MB (at start {first:.0f} MB)"
                                                      for _p, first, mb in rss)
                 + " resident (goal <= 150 MB)."]
    # The full-size city on SQLite keeps the section "city"; any other size or backend has its
    # own, so a quicker run does not take the place of the 20-million-entry one.
    size = f"{args.villages}x{per}x{entries}"
    backend = "postgresql" if url else "sqlite"
    full = size == f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}x{DEFAULT_SIZE[2]}" and not url
    results.write("city" if full else f"city-{backend}-{size}",
                  f"A city of {args.villages:,} villages ({per} households each, about {entries} "
                  f"entries a household, {'PostgreSQL' if url else 'SQLite'}) against the demo",
                  "\n".join(body), enabled=not args.no_results)


if __name__ == "__main__":
    main()
