"""What the pages a household, a shop keeper and a committee open every day cost, as a share of
bare Flask's hello world in the same run (issue 21's page-cost budget).

Run by hand (never in the test suite):

    .venv/bin/python bench/pages.py
    BENCH_DATABASE_URL=postgresql+psycopg://USER@/lianxin_bench?host=/var/run/postgresql \\
        .venv/bin/python bench/pages.py          # SQLite and PostgreSQL side by side

It builds the five-village demo (BENCH_DATABASE_URL's database is emptied first), then for each
database:
1. serves bare Flask's hello world (bench/hello.py) and the app with gunicorn, the same sync
   workers pinned to one CPU (`--server-cpus`), signs each role in as a browser does (CSRF token
   and all), and loads each page with wrk from the other CPU (`--client-cpus`), the hello world
   and the page taking turns; prints req/s and the page's share of hello world's against its
   target (the budget), and the server CPU's busy share during each load;
2. times each page in-process (the test client, no HTTP) warm: median CPU milliseconds of the
   process (with the database's own work when it is SQLite, in the process) and queries,
   and PostgreSQL's time as a ratio of SQLite's (target at most 1.5x).
Writes the figures to bench/RESULTS.md (section "pages") unless --no-results.
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app, demo  # noqa: E402
from app.extensions import db  # noqa: E402
from bench import results  # noqa: E402
from bench.api import Server, busy, cpu_times  # noqa: E402

# (role, path, target share of hello world's req/s); {basket} is a basket the keeper opened.
PAGES = [
    ("household", "/me", 0.25),
    ("household", "/ledger/me/history", 0.15),
    ("household", "/me/pay", 0.15),
    ("household", "/shop/catalogue", 0.15),
    ("shop", "/shop", 0.15),
    ("shop", "/shop/scan", 0.15),
    ("shop", "{basket}", 0.15),
    ("committee", "/households/", 0.10),
]
ROLES = ("household", "shop", "committee")
PG_OVER_SQLITE = 1.5


def prepare(url: str, instance: str) -> None:
    """A migrated database holding the demo."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        demo.load()
        db.session.commit()
        if url.startswith("postgresql"):
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()


class Browser:
    """A signed-in browser's cookies over plain HTTP on loopback."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body) of one request, keeping the cookies it sets."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie()}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", response.read().decode()
        finally:
            connection.close()

    def token(self, path: str) -> str:
        status, _, page = self.send("GET", path)
        assert status == 200, (path, status)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def sign_in(self, username: str) -> "Browser":
        status, location, _ = self.send("POST", "/login", {
            "csrf_token": self.token("/login"), "username": username,
            "password": demo.DEMO_PASSWORD})
        assert status == 302, (username, status)
        return self


def open_basket(household: Browser, keeper: Browser) -> str:
    """The household shows a payment code and the keeper scans it: the basket page's path."""
    status, _, body = household.send("POST", "/me/pay/code", {"csrf_token": household.token("/me/pay")})
    assert status == 200, status
    number = json.loads(body)["number"]
    status, location, _ = keeper.send("POST", "/shop/scan", {
        "csrf_token": keeper.token("/shop/scan"), "code": number})
    assert status in (302, 303) and "/shop/basket/" in location, (status, location)
    return urlsplit(location).path


def server_cpu(server: Server) -> float:
    """Seconds of CPU gunicorn's master and workers have used so far (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [server.process.pid]
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        pids += [int(pid) for pid in children.read_text().split()]
    except OSError:
        pass
    used = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return used / tick


def wrk(server: Server, path: str, cookie: str, seconds: float, connections: int,
        cpus: str) -> tuple[float, float]:
    """(requests a second, server CPU milliseconds a request) wrk got for `path`, signed in with
    `cookie` (a non-2xx answer fails the run). The CPU a request is what the server's processes
    used divided by the requests: unlike req/s, it holds when something else shares the CPU."""
    pin = ["taskset", "-c", cpus] if cpus else []
    before = server_cpu(server)
    out = subprocess.run([*pin, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                          "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{server.port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    used = server_cpu(server) - before
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{path}: {bad.group(1)} failed requests under load\n{out}")
    count = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1000 * used / max(count, 1)


def served(url: str, instance: str, args) -> list[dict]:
    """Each page's req/s beside hello world's, taking turns, under gunicorn."""
    # As deployed (the JSON access log and metrics on), but with sign-in limits a bench can pass.
    env = {"DATABASE_URL": url, "LIANXIN_INSTANCE": instance, "SECRET_KEY": "bench-only",
           "LIANXIN_PER_PROCESS_LIMITS": "1",
           "LOGIN_LIMIT_PER_USERNAME": "1000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
           "PAY_CODE_SECONDS": "3600", "BASKET_HOLD_SECONDS": "3600"}
    hello = Server("bench.hello:app", args.workers, env, args.server_cpus)
    app = None
    rows = []
    try:
        app = Server("wsgi:app", args.workers, env, args.server_cpus)
        browsers = {role: Browser(app.port).sign_in(role) for role in ROLES}
        basket = open_basket(browsers["household"], browsers["shop"])
        for role, path, target in PAGES:
            path = path.format(basket=basket)
            status, _, _ = browsers[role].send("GET", path)
            assert status == 200, (role, path, status)
            measured: dict[str, list] = {"hello": [], "page": []}
            load = {}
            for _ in range(args.rounds):
                for name, server, cookie in (("hello", hello, ""),
                                             ("page", app, browsers[role].cookie())):
                    before = cpu_times()
                    measured[name].append(wrk(server, "/" if name == "hello" else path, cookie,
                                              args.seconds, args.connections, args.client_cpus))
                    load[name] = busy(before, cpu_times(), args.server_cpus)
            ratio = statistics.median(p[0] / h[0] for p, h in zip(measured["page"],
                                                                   measured["hello"]))
            cpu_ratio = statistics.median(h[1] / p[1] for p, h in zip(measured["page"],
                                                                       measured["hello"]))
            rows.append({"role": role, "path": path, "target": target,
                         "hello": statistics.median(h[0] for h in measured["hello"]),
                         "page": statistics.median(p[0] for p in measured["page"]),
                         "ratio": ratio, "load": load, "cpu_ratio": cpu_ratio,
                         "page_cpu": statistics.median(p[1] for p in measured["page"]),
                         "hello_cpu": statistics.median(h[1] for h in measured["hello"])})
            row = rows[-1]
            print(f"  {role:10} {path:28} {row['page']:7.1f} req/s = {100 * ratio:5.1f} % of "
                  f"hello world's {row['hello']:7.1f} (target {100 * target:.0f} %) "
                  f"{'ok' if ratio >= target else 'UNDER'}; server CPU {row['page_cpu']:.2f} ms "
                  f"a page, {row['hello_cpu']:.2f} ms a hello world ({100 * cpu_ratio:.1f} %); "
                  f"CPU {args.server_cpus} busy {load['page']}", flush=True)
    finally:
        hello.stop()
        if app is not None:
            app.stop()
    return rows


def in_process(url: str, instance: str, repeats: int) -> dict[str, tuple[float, int, float]]:
    """{path: (median CPU ms of this process, queries, median wall ms)} for each page through
    the test client, warm."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                      "WTF_CSRF_ENABLED": False, "REQUEST_LOG": False, "PAY_CODE_SECONDS": 3600,
                      "BASKET_HOLD_SECONDS": 3600,
                      "LOGIN_LIMIT_PER_USERNAME": "1000 per minute",
                      "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"})
    statements = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *a, **k: statements.append(a[2]))
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        response = clients[role].post("/login", data={"username": role,
                                                      "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, (role, response.status_code)
    number = clients["household"].post("/me/pay/code").json["number"]
    basket = urlsplit(clients["shop"].post("/shop/scan", data={"code": number})
                      .headers["Location"]).path
    timings = {}
    for role, path, _ in PAGES:
        path = path.format(basket=basket)
        client = clients[role]
        for _ in range(20):
            assert client.get(path).status_code == 200, (role, path)
        cpu, wall = [], []
        for _ in range(repeats):
            statements.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        queries = sum(1 for s in statements if s.strip().upper() != "BEGIN")
        timings[path] = (1000 * statistics.median(cpu), queries, 1000 * statistics.median(wall))
    with app.app_context():
        db.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="each wrk load's length")
    parser.add_argument("--rounds", type=int, default=3, help="turns of hello world and the page")
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=200, help="in-process requests a page")
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--skip-http", action="store_true", help="in-process timings only")
    parser.add_argument("--only", nargs="*", default=[],
                        help="measure only these pages (paths as listed in PAGES, e.g. /me)")
    parser.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()
    if args.only:
        PAGES[:] = [page for page in PAGES if page[1] in args.only]
    databases = [("SQLite", None)]
    if os.environ.get("BENCH_DATABASE_URL"):
        databases.append(("PostgreSQL", os.environ["BENCH_DATABASE_URL"]))
    served_rows, timings = {}, {}
    for name, url in databases:
        instance = tempfile.mkdtemp(prefix="lianxin-bench-pages-")
        url = url or f"sqlite:///{instance}/bench.db"
        print(f"{name}: building the demo...", flush=True)
        prepare(url, instance)
        timings[name] = in_process(url, instance, args.repeats)
        for path, (ms, queries, wall) in timings[name].items():
            print(f"  in-process {path:28} {ms:6.2f} ms CPU, {wall:6.2f} ms wall, {queries} queries",
                  flush=True)
        if not args.skip_http:
            print(f"{name}: gunicorn {args.workers} sync workers on CPU {args.server_cpus}, "
                  f"wrk on CPU {args.client_cpus}", flush=True)
            served_rows[name] = served(url, instance, args)
    report(args, served_rows, timings)


def report(args, served_rows: dict, timings: dict) -> None:
    """The markdown section, printed and written to RESULTS.md."""
    parts = []
    for name, rows in served_rows.items():
        parts.append(f"### Served by gunicorn, {name}\n\n{args.workers} sync workers on CPU "
                     f"{args.server_cpus}, wrk (1 thread, {args.connections} connections, "
                     f"{args.seconds:g} s a load) on CPU {args.client_cpus}, {args.rounds} rounds "
                     "of hello world and the page in turn; the ratio is the median of the rounds. "
                     "Server CPU is gunicorn's processes' CPU time divided by the requests served "
                     "(it holds when something else shares the CPU; req/s does not).\n")
        parts.append(results.table(
            ["role", "page", "req/s", "hello world req/s", "share", "target", "met",
             "server CPU ms a page", "a hello world", "share by CPU"],
            [[r["role"], f"`{r['path']}`", f"{r['page']:.0f}", f"{r['hello']:.0f}",
              f"{100 * r['ratio']:.1f} %", f"{100 * r['target']:.0f} %",
              "yes" if r["ratio"] >= r["target"] else "**no**", f"{r['page_cpu']:.2f}",
              f"{r['hello_cpu']:.2f}", f"{100 * r['cpu_ratio']:.1f} %"] for r in rows]))
    names = list(timings)
    header = ["page"] + [f"{n}: CPU ms, wall ms (queries)" for n in names]
    if len(names) == 2:
        header.append(f"{names[1]} ÷ {names[0]}, wall (target ≤ {PG_OVER_SQLITE})")
    rows = []
    for path in timings[names[0]]:
        row = [f"`{path}`"] + [f"{timings[n][path][0]:.2f}, {timings[n][path][2]:.2f} "
                               f"({timings[n][path][1]})" for n in names]
        if len(names) == 2:
            ratio = timings[names[1]][path][2] / timings[names[0]][path][2]
            row.append(f"{ratio:.2f}" + ("" if ratio <= PG_OVER_SQLITE else " **over**"))
        rows.append(row)
    parts.append(f"### In-process, warm\n\nMedians of {args.repeats} requests through the test "
                 "client (no HTTP, no gunicorn): this process's CPU time, and the wall time, "
                 "which for PostgreSQL includes the server's work and the socket (SQLite's work "
                 "is in the process). BEGIN is not counted as a query.\n")
    parts.append(results.table(header, rows))
    body = "\n\n".join(parts)
    print(body)
    results.write("pages", "Pages: share of bare Flask (bench/pages.py)", body,
                  enabled=not args.no_results)


if __name__ == "__main__":
    main()
