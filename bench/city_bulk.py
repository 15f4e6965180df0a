"""Two years of points history for a city's synthetic villages, bulk-loaded (bench/city_pages.py).

`demo.load(villages, per_village)` makes the city's places and households but gives the
synthetic villages no history; going through the ledger's service per entry would take a day
for 20 million entries. Here the entries (awards, deductions, a few reversals, and shop
redemptions with their sale and its line) are generated in Python, month by month so ids follow
time, and written in big batches on one connection: executemany in one transaction on SQLite
(journal and sync off: a bench database), COPY FROM STDIN on PostgreSQL (foreign-key triggers
off for the load: the rows are made consistent here). The ledger's indexes are dropped first and
recreated after from their own definitions, so the schema is the migrated one. Each household's
balance and score are summed as the rows are made; every summary the ledger keeps is then
recounted by `flask figures rebuild` itself (whatever tables that command rebuilds), and
`flask ledger verify` / `flask figures verify` check both.
"""
import random
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db

DAY = 86400.0
ENTRY_COLUMNS = ("id", "household_id", "village_id", "points", "kind", "rule_id", "ref_type",
                 "ref_id", "note", "actor_id", "created_at", "reverses_id")
SALE_COLUMNS = ("id", "shop_id", "household_id", "points", "balance_after", "entry_id",
                "created_at", "void_reason")
LINE_COLUMNS = ("id", "redemption_id", "product_id", "quantity", "points")
# (name, category, unit, points): a synthetic village shop's shelf.
SHELF = [("大米 5kg", "粮油", "袋", 50), ("食用油 1.8L", "粮油", "瓶", 40), ("挂面 1kg", "粮油", "包", 12),
         ("香皂", "日用品", "块", 5), ("洗衣粉 1kg", "日用品", "袋", 15), ("卫生纸 10卷", "日用品", "提", 20)]
NOTES = ["村委会登记", "网格长推荐", "群众反映属实", "夜谈会上表扬", ""]


class Phases:
    """Wall time of each build phase, printed as it ends."""

    def __init__(self):
        self.times = []
        self.started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append((name, now - self.started))
        print(f"  {name}: {now - self.started:.1f} s", flush=True)
        self.started = now


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _raw():
    """A DB-API connection of its own (the app's session has committed)."""
    if _postgresql():
        import psycopg
        url = db.engine.url.set(drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False))
    import sqlite3
    connection = sqlite3.connect(db.engine.url.database, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                   "cache_size=-400000"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _next_id(connection, table: str) -> int:
    return (connection.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0) + 1


def _ledger_indexes(connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the ledger's secondary indexes that no constraint owns."""
    if _postgresql():
        return connection.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = 'ledger_entries' AND t.relnamespace = current_schema()::regnamespace "
            "AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)").fetchall()
    return connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                              "tbl_name = 'ledger_entries' AND sql IS NOT NULL").fetchall()


class Writer:
    """Rows into tables in big batches: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = _postgresql()
        if self.pg:
            self.cursor = connection.cursor()
            # Foreign keys are triggers on PostgreSQL; the loader makes the rows consistent.
            self.cursor.execute("SET session_replication_role = replica")
        else:
            self.connection.execute("BEGIN")

    def write(self, table: str, columns: tuple, rows: list) -> None:
        if not rows:
            return
        if self.pg:
            with self.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            self.connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                rows)

    def finish(self) -> None:
        if self.pg:
            self.cursor.execute("SET session_replication_role = DEFAULT")
            self.connection.commit()
        else:
            self.connection.execute("COMMIT")


def _stamp(pg: bool):
    """Epoch seconds to the column's text: SQLAlchemy's SQLite format, or timestamptz."""
    if pg:
        return lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    return lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _shops(connection, writer: Writer, villages: list[int], now: str) -> dict[int, tuple[int, list]]:
    """A shop serving each synthetic village, with its shelf: {village: (shop, [(product, points)])}."""
    shop_id, product_id = _next_id(connection, "shops"), _next_id(connection, "products")
    shops, shop_rows, served, products = {}, [], [], []
    for village in villages:
        shelf = []
        for name, category, unit, points in SHELF:
            products.append((product_id, shop_id, name, category, unit, points, 100000, 5,
                             True, now))
            shelf.append((product_id, points))
            product_id += 1
        shop_rows.append((shop_id, village, f"模拟积分超市{village}", True, 3))
        served.append((shop_id, village))
        shops[village] = (shop_id, shelf)
        shop_id += 1
    writer.write("shops", ("id", "village_id", "name", "active", "voucher_days"), shop_rows)
    writer.write("shop_villages", ("shop_id", "village_id"), served)
    writer.write("products", ("id", "shop_id", "name", "category", "unit", "points", "stock",
                              "low_stock", "active", "created_at"), products)
    return shops


def load(villages: int, entries_per_household: int, deep_household: int, deep_entries: int,
         phases: Phases, seed: int = 21) -> dict:
    """Entries over two years for every household of the synthetic villages (about
    `entries_per_household` each) and `deep_entries` more for household `deep_household` (a
    history a thousand pages long); returns counts."""
    from app.models import Household, Region, RegionLevel, Rule

    rng = random.Random(seed)
    synthetic = list(db.session.scalars(sa.select(Region.id).where(
        Region.level == RegionLevel.VILLAGE, Region.name.like("模拟%")).order_by(Region.id)))
    households = db.session.execute(sa.select(Household.id, Household.village_id).where(
        Household.village_id.in_(sa.select(Region.id).where(
            Region.level == RegionLevel.VILLAGE, Region.name.like("模拟%"))))
        .order_by(Household.id)).all()
    rules = {}
    for rule_id, village, points in db.session.execute(
            sa.select(Rule.id, Rule.village_id, Rule.points).where(Rule.active.is_(True))):
        rules.setdefault(village, ([], []))[0 if points > 0 else 1].append((rule_id, points))
    deep = db.session.execute(sa.select(Household.id, Household.village_id).where(
        Household.id == deep_household)).one_or_none() if deep_entries else None
    db.session.commit()
    db.engine.dispose()  # SQLite: no other connection while the journal is off
    connection = _raw()
    pg = _postgresql()
    stamp = _stamp(pg)
    dropped = _ledger_indexes(connection)
    for name, _sql in dropped:
        connection.execute(f"DROP INDEX {name}")
    writer = Writer(connection)
    now = time.time()
    shops = _shops(connection, writer, synthetic, stamp(now - 800 * DAY))
    entry_id, sale_id = _next_id(connection, "ledger_entries"), _next_id(connection, "redemptions")
    line_id = _next_id(connection, "redemption_lines")
    # Per household: its village, entries a month on average, balance and score so far.
    who = [h for h, _v in households]
    village_of = [v for _h, v in households]
    rate = [rng.uniform(0.5, 1.5) * entries_per_household / 24 for _ in who]
    balance = [0] * len(who)
    score = [0] * len(who)
    if deep is not None:
        who.append(deep[0])
        village_of.append(deep[1])
        rate.append(deep_entries / 24)
        balance.append(0)
        score.append(0)
    counts = {"entries": 0, "redemptions": 0, "reversals": 0}
    start = now - 730 * DAY
    month = 730 * DAY / 24
    for m in range(24):
        rows = []  # (time, index, kind, rule_id, points, note)
        begin = start + m * month
        for i in range(len(who)):
            expected = rate[i]
            n = int(expected) + (rng.random() < expected - int(expected))
            if not n:
                continue
            awards, deductions = rules[village_of[i]]
            for t in sorted(begin + rng.random() * month for _ in range(n)):
                if rng.random() < 0.08:
                    rule_id, points = rng.choice(deductions)
                    rows.append((t, i, "deduction", rule_id, points, "村委会核实"))
                else:
                    rule_id, points = rng.choice(awards)
                    rows.append((t, i, "award", rule_id, points, rng.choice(NOTES)))
        rows.sort()
        entries, sales, lines = [], [], []
        reversible = []
        for t, i, kind, rule_id, points, note in rows:
            household, village = who[i], village_of[i]
            entries.append((entry_id, household, village, points, kind, rule_id, None, None,
                            note, None, stamp(t), None))
            if kind == "deduction" and rng.random() < 0.03:
                reversible.append((entry_id, i, rule_id, points, t))
            entry_id += 1
            balance[i] += points
            score[i] += points
            shop = shops.get(village)
            if shop and balance[i] > 60 and rng.random() < 0.15:
                product, price = rng.choice(shop[1])
                quantity = rng.randint(1, max(1, balance[i] // 2 // price))
                cost = price * quantity
                balance[i] -= cost
                at = stamp(min(t + 120, now))
                entries.append((entry_id, household, village, -cost, "redemption", None,
                                "redemption", sale_id, "积分超市兑换", None, at, None))
                sales.append((sale_id, shop[0], household, cost, balance[i], entry_id, at, ""))
                lines.append((line_id, sale_id, product, quantity, price))
                entry_id, sale_id, line_id = entry_id + 1, sale_id + 1, line_id + 1
        for original, i, rule_id, points, t in reversible:  # a wrong deduction, corrected
            entries.append((entry_id, who[i], village_of[i], -points, "reversal", rule_id, None,
                            None, "核实有误，撤销扣分", None, stamp(min(t + DAY, now)), original))
            balance[i] -= points
            score[i] -= points
            entry_id += 1
        writer.write("ledger_entries", ENTRY_COLUMNS, entries)
        writer.write("redemptions", SALE_COLUMNS, sales)
        writer.write("redemption_lines", LINE_COLUMNS, lines)
        counts["entries"] += len(entries)
        counts["redemptions"] += len(sales)
        counts["reversals"] += len(reversible)
        print(f"    month {m + 1:2d}/24: {counts['entries']:,} entries", flush=True)
    phases.done(f"entries generated and written ({counts['entries']:,})")
    _kept(connection, writer, who, balance, score, pg)
    writer.finish()
    phases.done("balances and scores")
    for _name, sql in dropped:
        connection.execute(sql)
    if pg:
        for table in ("ledger_entries", "redemptions", "redemption_lines", "shops", "products"):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
        connection.commit()
    else:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    phases.done(f"ledger indexes rebuilt ({len(dropped)})")
    return counts


def _kept(connection, writer: Writer, who: list, balance: list, score: list, pg: bool) -> None:
    """Add each household's generated sums to the balance and score it has (the demo's own)."""
    rows = list(zip(balance, score, who))
    if pg:
        writer.cursor.execute("CREATE TEMPORARY TABLE bench_sums (balance int, score int, id int)")
        writer.write("bench_sums", ("balance", "score", "id"), rows)
        writer.cursor.execute("UPDATE households h SET balance = h.balance + s.balance, "
                              "score = h.score + s.score FROM bench_sums s WHERE h.id = s.id")
        writer.cursor.execute("DROP TABLE bench_sums")
    else:
        connection.executemany("UPDATE households SET balance = balance + ?, score = score + ? "
                               "WHERE id = ?", rows)


# The ledger's summaries recounted in SQL: a scoring (rankings) or rule-made (points by rule)
# entry in its local month; a reversal of one in the month (and village and rule) of the entry
# it reverses. The same definitions as app/rankings/recount.py and app/figures/rule_points.py.
RANKINGS_SQL = """
INSERT INTO ranking_months (household_id, month, gained)
SELECT e.household_id, {month} AS m, sum(e.points) FROM ledger_entries e
LEFT JOIN ledger_entries o ON o.id = e.reverses_id
WHERE e.kind IN {scoring} OR (e.kind = 'reversal' AND o.kind IN {scoring})
GROUP BY e.household_id, m HAVING sum(e.points) <> 0"""
RULE_POINTS_SQL = """
INSERT INTO figure_points (village_id, month, rule_id, points)
SELECT coalesce(o.village_id, e.village_id) AS v, {month} AS m, coalesce(o.rule_id, e.rule_id) AS r,
       sum(e.points) FROM ledger_entries e
LEFT JOIN ledger_entries o ON o.id = e.reverses_id
WHERE (e.kind IN {rule_kinds} AND e.rule_id IS NOT NULL)
   OR (e.kind = 'reversal' AND o.kind IN {rule_kinds} AND o.rule_id IS NOT NULL)
GROUP BY v, m, r HAVING sum(e.points) <> 0"""


def _local_month(pg: bool, zone: str) -> str:
    """SQL for the scheme's local month (YYYYMM) of coalesce(o.created_at, e.created_at)."""
    at = "coalesce(o.created_at, e.created_at)"
    if pg:
        return (f"CAST(EXTRACT(YEAR FROM {at} AT TIME ZONE '{zone}') * 100 "
                f"+ EXTRACT(MONTH FROM {at} AT TIME ZONE '{zone}') AS INTEGER)")
    from zoneinfo import ZoneInfo
    now = datetime.now(UTC)
    offsets = {(now - i * timedelta(days=15)).astimezone(ZoneInfo(zone)).utcoffset()
               for i in range(0, 60)}
    if len(offsets) != 1:  # SQLite knows no time zones: only a fixed offset is right
        raise SystemExit(f"{zone} changed its offset in the last two years: build without "
                         "--sql-summaries")
    minutes = int(offsets.pop().total_seconds() // 60)
    return f"CAST(strftime('%Y%m', {at}, '{minutes:+d} minutes') AS INTEGER)"


def sql_summaries(app, phases: Phases) -> None:
    """Replace the ledger's summaries (rankings, points by rule) with a recount in SQL: what
    `flask figures rebuild` does in Python, in minutes at 20 million entries where that takes
    most of an hour and tens of GB. `flask figures verify` checks the result."""
    from app.figures import region_points
    from app.models.ledger import RULE_KINDS, SCORING_KINDS

    pg = _postgresql()
    month = _local_month(pg, app.config["BABEL_DEFAULT_TIMEZONE"])
    kinds = lambda names: "(" + ", ".join(f"'{k}'" for k in names) + ")"  # noqa: E731
    db.engine.dispose()
    connection = _raw()
    if not pg:
        connection.execute("BEGIN")
    for table, sql in (("ranking_months", RANKINGS_SQL), ("figure_points", RULE_POINTS_SQL)):
        connection.execute(f"DELETE FROM {table}")
        connection.execute(sql.format(month=month, scoring=kinds(SCORING_KINDS),
                                      rule_kinds=kinds(RULE_KINDS)))
    # the regions' points by category, from the points by rule just recounted (its own recount)
    connection.execute("DELETE FROM figure_region_points")
    connection.execute("INSERT INTO figure_region_points (region_id, month, category, points) "
                       + region_points.recount_query().text)
    connection.commit() if pg else connection.execute("COMMIT")
    if not pg:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()
    phases.done("rankings, points by rule and by region and category recounted in SQL")


def rebuild_and_verify(app, verify: bool, phases: Phases, sql: bool = False) -> list[str]:
    """`flask figures rebuild` (with `sql`, the ledger's summaries in SQL instead: the figures
    of meetings and issues are recounted when those are loaded), then (with `verify`) `flask
    ledger verify` and `flask figures verify`, run as the commands themselves; their output."""
    runner = app.test_cli_runner()
    out = []
    if sql:
        sql_summaries(app, phases)
    commands = ([] if sql else [("figures", "rebuild")]) + (
        [("ledger", "verify"), ("figures", "verify")] if verify else [])
    for command in commands:
        result = runner.invoke(args=list(command))
        text = result.output.strip()
        out.append(f"flask {' '.join(command)} (exit {result.exit_code}): {text[-2000:]}")
        print(f"  {out[-1]}", flush=True)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        phases.done(f"flask {' '.join(command)}")
    return out
