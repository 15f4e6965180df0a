"""How the officials' and committees' pages scale from the demo to a whole city.

Run by hand (never in the test suite):

    .venv/bin/python bench/city_pages.py --villages 1945 --households-per-village 410

It builds two databases with the same code, the five-village demo (the baseline) and the demo
plus N synthetic villages, times the same pages in both, and prints each page's median time in
the city as a ratio of its median time in the demo. Flat ratios mean no page scans the city.
Set BENCH_DATABASE_URL (a PostgreSQL URL whose database may be emptied) to bench PostgreSQL.
The full city takes a long time to build; `--keep DIR` keeps the SQLite databases in DIR and
reuses them on the next run with the same size (delete DIR after a schema change).
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

PAGES = [("city", "/regions/"), ("city", "/regions/?q=村"), ("committee", "/households/"),
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
         ("city", "/figures?region={village}"), ("city", "/figures/charts/categories.xlsx")]


def opened(url: str, instance: str):
    """The app on an existing database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                       "WTF_CSRF_ENABLED": False, "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
                       "LOGIN_LIMIT_PER_USERNAME": "10000 per minute"})


def build(url: str, instance: str, villages: int, per_village: int):
    """A migrated database with the demo city and `villages` extra villages."""
    app = opened(url, instance)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        started = time.perf_counter()
        demo.load(villages, per_village)
        _city_meetings(villages)
        print(f"  loaded {villages + 5} villages in {time.perf_counter() - started:.1f} s")
        if url.startswith("postgresql"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
    return app


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
        return {"county": largest(RegionLevel.COUNTY), "township": largest(RegionLevel.TOWNSHIP),
                "village": village,
                "year_ago": f"{today.year - 1}-{today.month:02d}", "this_month": today.strftime("%Y-%m")}


def time_pages(app, repeats: int) -> dict:
    """Median seconds per page, each page fetched `repeats` times by a signed-in client."""
    results = {}
    values = _placeholders(app)
    for username, template in PAGES:
        path = template.format(**values)
        client = app.test_client()
        client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD})
        client.get(path)  # warm caches
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        results[(username, template)] = statistics.median(samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=1945)
    parser.add_argument("--households-per-village", type=int, default=410)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--keep", metavar="DIR",
                        help="keep the SQLite databases here and reuse them when they exist")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for label, extra in (("demo", 0), ("city", args.villages)):
            print(f"{label}:")
            if args.keep and not url:
                os.makedirs(args.keep, exist_ok=True)
                kept = Path(args.keep) / f"{label}-{extra}x{args.households_per_village}.db"
                if kept.exists():
                    print(f"  reusing {kept}")
                    app = opened(f"sqlite:///{kept}", tmp)
                else:
                    app = build(f"sqlite:///{kept}.part", tmp, extra, args.households_per_village)
                    with app.app_context():
                        db.engine.dispose()
                    os.replace(f"{kept}.part", kept)
                    app = opened(f"sqlite:///{kept}", tmp)
            else:
                target = url or f"sqlite:///{tmp}/{label}.db"
                app = build(target, tmp, extra, args.households_per_village)
            # No app context around the requests: each request must get its own (and its own g).
            runs[label] = time_pages(app, args.repeats)
            with app.app_context():
                db.engine.dispose()
    print(f"\n{'page':45} {'demo ms':>8} {'city ms':>8} {'ratio':>6}")
    for key in runs["demo"]:
        small, big = runs["demo"][key], runs["city"][key]
        print(f"{key[0] + ' ' + key[1]:45} {small * 1000:8.1f} {big * 1000:8.1f} {big / small:6.2f}")


if __name__ == "__main__":
    main()
