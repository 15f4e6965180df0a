"""The city's "points by rule category" against the demo's (issue 22), cheaply: run by hand,

    .venv/bin/python bench/points_by_category.py DIR        (SQLite databases kept in DIR)
    BENCH_URL=postgresql+psycopg://... .venv/bin/python bench/points_by_category.py DIR

figure_points' size depends on villages x months x rules, not households, so the city is the
demo with 1,945 synthetic villages of two households each, every one given the home village's
rulebook and a figure_points row for every rule in each of the last 24 months (denser than the
full bench's city), and the regions' summary rebuilt. It times, in-process, the median of 20
runs: points_by_category for the city as it was (every village's figure_points under the city)
and as it is (the city's own rows of figure_region_points), the categories.xlsx download and
(10 runs) the /figures page, in the demo and the city, and prints the ratios. On PostgreSQL the
city goes in the database's public schema and the demo in bench_demo (both emptied).
"""
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import demo  # noqa: E402
from app.extensions import db  # noqa: E402
from bench.city_pages import opened  # noqa: E402

HERE = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
URL = os.environ.get("BENCH_URL")  # PostgreSQL: city in public, demo in schema bench_demo


def old_points_by_category(root, first, last):
    """The chart as it was: every village's figure_points under the region."""
    from app.figures import reads as figures
    from app.models import FigurePoints
    from app.models.ledger import Rule, RuleCategory
    months = (figures.month_number(first), figures.month_number(last))
    return [(name, int(points)) for name, points in db.session.execute(
        sa.select(RuleCategory.name, sa.func.sum(FigurePoints.points))
        .join(Rule, Rule.id == FigurePoints.rule_id).join(RuleCategory, RuleCategory.id == Rule.category_id)
        .where(FigurePoints.village_id.in_(figures._villages(root)), FigurePoints.month.between(*months))
        .group_by(RuleCategory.name).order_by(RuleCategory.name))]


def build(url, extra):
    from app.figures import region_points
    from app.models import Rule
    app = opened(url, str(HERE))
    with app.app_context():
        if url.startswith("postgresql"):
            schema = "bench_demo" if "bench_demo" in url else "public"
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
        upgrade()
        started = time.perf_counter()
        demo.load(extra, households_per_village=2)
        print(f"  demo.load {time.perf_counter() - started:.0f} s", flush=True)
        if extra:
            # every synthetic village gets the home village's rulebook, in SQL
            home = db.session.scalar(sa.select(Rule.village_id).order_by(Rule.id).limit(1))
            db.session.execute(sa.text("""
INSERT INTO rule_categories (village_id, name, sort_order)
SELECT v.id, c.name, c.sort_order FROM regions v CROSS JOIN rule_categories c
WHERE v.name LIKE '模拟%' AND v.level = 4 AND c.village_id = :home"""), {"home": home})
            db.session.execute(sa.text("""
INSERT INTO rules (village_id, category_id, code, name, description, points, active, created_at, customised)
SELECT v.id, nc.id, r.code, r.name, '', r.points, r.active, r.created_at, r.customised
FROM regions v CROSS JOIN rules r JOIN rule_categories c ON c.id = r.category_id
JOIN rule_categories nc ON nc.village_id = v.id AND nc.name = c.name
WHERE v.name LIKE '模拟%' AND v.level = 4 AND r.village_id = :home"""), {"home": home})
            db.session.commit()
            today = date.today()
            months, y, m = [], today.year - 2, today.month
            for _ in range(24):
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
                months.append(y * 100 + m)
            values = " UNION ALL ".join(f"SELECT {k} AS month" for k in months)
            db.session.execute(sa.text(f"""
INSERT INTO figure_points (village_id, month, rule_id, points)
SELECT r.village_id, m.month, r.id, r.points * (1 + (r.id + m.month) % 7)
FROM rules r JOIN regions v ON v.id = r.village_id CROSS JOIN ({values}) m
WHERE v.name LIKE '模拟%'
ON CONFLICT (village_id, month, rule_id) DO UPDATE SET points = figure_points.points + excluded.points"""))
            region_points.rebuild()
            db.session.commit()
            print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return app


def median_ms(fn, runs=20):
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main():
    apps = {}
    for label, extra in (("demo", 0), ("city", 1945)):
        if URL:
            url = URL + ("&" if "?" in URL else "?") + "options=-csearch_path%3Dbench_demo" if label == "demo" else URL
            if os.environ.get("BENCH_REUSE"):
                apps[label] = opened(url, str(HERE))
            else:
                apps[label] = build(url, extra)
        else:
            path = HERE / f"{label}.db"
            apps[label] = opened(f"sqlite:///{path}", str(HERE)) if path.exists() else build(f"sqlite:///{path}", extra)
    from app.figures import charts
    from app.models import FigurePoints, FigureRegionPoints, Region
    first, last = date.today() - timedelta(days=330), date.today()
    span = f"start={first:%Y-%m}&end={last:%Y-%m}"
    out = {}
    for label, app in apps.items():
        with app.app_context():
            if URL:
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("ANALYZE"))
            city = db.session.scalar(sa.select(Region).where(Region.parent_id.is_(None)).order_by(Region.id))
            rows = (db.session.scalar(sa.select(sa.func.count()).select_from(FigurePoints)),
                    db.session.scalar(sa.select(sa.func.count()).select_from(FigureRegionPoints)))
            old = old_points_by_category(city, first, last)
            new = charts.points_by_category(city, first, last)
            assert {k: v for k, v in old if v} == dict(new), (old, new)
            out[label] = {"rows": rows,
                          "old": median_ms(lambda: (old_points_by_category(city, first, last), db.session.rollback())),
                          "new": median_ms(lambda: (charts.points_by_category(city, first, last), db.session.rollback()))}
        client = app.test_client()
        client.post("/login", data={"username": "city", "password": demo.DEMO_PASSWORD})
        assert client.get(f"/figures/charts/categories.xlsx?{span}").status_code == 200
        out[label]["xlsx"] = median_ms(lambda: client.get(f"/figures/charts/categories.xlsx?{span}"))
        out[label]["page"] = median_ms(lambda: client.get(f"/figures?{span}"), runs=10)
        print(label, out[label], flush=True)
    d, c = out["demo"], out["city"]
    for key in ("old", "new", "xlsx", "page"):
        print(f"{key}: demo {d[key]:.2f} ms, city {c[key]:.2f} ms, ratio {c[key] / d[key]:.2f}")
    print(f"city old/new {c['old'] / c['new']:.1f}x faster")


if __name__ == "__main__":
    main()
