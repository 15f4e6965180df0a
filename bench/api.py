"""API redemptions per second under gunicorn, as a ratio of bare Flask's hello world on the same pins.

Run by hand (never in the test suite), on SQLite by default:

    .venv/bin/python bench/api.py --seconds 15 --clients 50
    BENCH_DATABASE_URL=postgresql+psycopg://USER@/lianxin_bench?host=/var/run/postgresql \\
        .venv/bin/python bench/api.py

It builds a database with the demo (BENCH_DATABASE_URL's database is emptied first), gives every
罗翠村 household an account, points and payment codes, puts one 1-point product on sale, then in the
same run measures (1) bare Flask's hello world (bench/hello.py) and (2) POST /api/v1/redemptions by
the demo shop keeper, each under gunicorn with the same workers and the same clients, and prints
both rates, the ratio (goal: at least 20 %) and the errors (goal: 0). Only loopback is used.
"""
import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app, demo  # noqa: E402
from app.extensions import db  # noqa: E402


def prepare(url: str, instance: str, codes_wanted: int) -> tuple[list[str], int]:
    """The demo plus household accounts with points, codes for them and a product; (codes, product id)."""
    from app.ledger import services as ledger
    from app.models import Household, Role, User
    from app.shop import codes
    from app.shop.catalogue import services as catalogue

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                      "PAY_CODE_SECONDS": 3600, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        demo.load()
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        committee, keeper = users["committee"], users["shop"]
        village = committee.region_id
        households = list(db.session.scalars(sa.select(Household).where(
            Household.village_id == village, Household.id != committee.household_id)))
        accounts = []
        for household in households:
            account = User(username=f"bench-{household.id}", role=Role.HOUSEHOLD,
                           household_id=household.id)
            account.set_password("bench-only")
            db.session.add(account)
            accounts.append(account)
        db.session.commit()
        for household in households:
            ledger.adjust(committee, household.id, 100_000, "bench")
        product = catalogue.create_product(keeper, keeper.shop_id, "bench 1 point", 1)
        catalogue.receive_goods(keeper, product.id, 99_999, "village")
        made = []
        while len(made) < codes_wanted:
            for account in accounts:
                made.append(codes.issue(account)["secret"])
        db.engine.dispose()
        return made[:codes_wanted], product.id


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving `target` on a loopback port until stopped."""

    def __init__(self, target: str, workers: int, env: dict, cpus: str = ""):
        self.port = _port()
        self.log = open(Path(env["LIANXIN_INSTANCE"]) / f"{target.split(':')[0]}.log", "wb")
        pin = ["taskset", "-c", cpus] if cpus else []
        self.process = subprocess.Popen(
            [*pin, sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target], cwd=ROOT, env={**os.environ, **env},
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = request(self.port, "GET", "/healthz" if target == "wsgi:app" else "/")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{target} did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def request(port: int, method: str, path: str, body=None, token=None) -> tuple[int, bytes]:
    """One request on a fresh loopback connection; (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def hammer(clients: int, seconds: float, one) -> tuple[int, int, float]:
    """`clients` threads calling `one()` (True when it succeeded) for `seconds`; (ok, errors, elapsed)."""
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + seconds

    def loop():
        while time.monotonic() < stop_at:
            try:
                done = one()
            except (OSError, queue.Empty):
                done = False
            with lock:
                counts["ok" if done else "errors"] += 1
            if done is None:
                return

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"], counts["errors"], time.monotonic() - start


def cpu_times() -> dict[str, tuple[int, int]]:
    """Per-CPU (busy, total) jiffies from /proc/stat."""
    times = {}
    with open("/proc/stat") as stat:
        for line in stat:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu":
                numbers = [int(v) for v in values]
                idle = numbers[3] + numbers[4]
                times[name[3:]] = (sum(numbers) - idle, sum(numbers))
    return times


def busy(before: dict, after: dict, cpus: str) -> str:
    """How busy the listed CPUs were between two cpu_times(), e.g. '0: 98 %'."""
    shown = []
    for cpu in (cpus.split(",") if cpus else sorted(after)):
        (b0, t0), (b1, t1) = before[cpu], after[cpu]
        shown.append(f"{cpu}: {100 * (b1 - b0) / max(t1 - t0, 1):.0f} %")
    return ", ".join(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns each load takes (--seconds is each load's total)")
    parser.add_argument("--codes", type=int, default=10000, help="payment codes to prepare")
    parser.add_argument("--server-cpus", default="0", help="CPUs for gunicorn (taskset -c; '' for none)")
    parser.add_argument("--client-cpus", default="1", help="CPUs for the load ('' for none)")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="lianxin-bench-api-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{instance}/bench.db"
    print(f"database: {url.split('@')[-1]}; preparing {args.codes} payment codes...", flush=True)
    codes, product = prepare(url, instance, args.codes)
    env = {"DATABASE_URL": url, "LIANXIN_INSTANCE": instance, "SECRET_KEY": "bench-only",
           "LIANXIN_PER_PROCESS_LIMITS": "1",
           "API_LIMIT_PER_HOLDER": "1000000 per minute", "LOGIN_LIMIT_PER_USERNAME": "1000 per minute"}

    if args.client_cpus:
        os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    print(f"gunicorn {args.workers} workers on CPUs {args.server_cpus or 'any'}, "
          f"{args.clients} clients on CPUs {args.client_cpus or 'any'}, {args.rounds} rounds", flush=True)
    hello = Server("bench.hello:app", args.workers, env, args.server_cpus)
    api = None
    try:
        api = Server("wsgi:app", args.workers, env, args.server_cpus)
        status, body = request(api.port, "POST", "/api/v1/tokens",
                               {"username": "shop", "password": demo.DEMO_PASSWORD})
        token = json.loads(body)["token"]
        waiting: queue.SimpleQueue = queue.SimpleQueue()
        for code in codes:
            waiting.put(code)

        def redeem():
            code = waiting.get_nowait()
            status, _ = request(api.port, "POST", "/api/v1/redemptions", {
                "code": code, "items": [{"product_id": product, "quantity": 1}],
                "idempotency_key": code[-32:]}, token)
            return status == 201

        # The two loads take turns: a shared machine's speed drifts over seconds, and a ratio
        # is only fair between measurements made side by side.
        totals = {"hello": [0, 0, 0.0], "api": [0, 0, 0.0]}
        ratios = []
        phase = args.seconds / args.rounds
        for round_number in range(1, args.rounds + 1):
            rates, load = {}, {}
            for name, one in (("hello", lambda: request(hello.port, "GET", "/")[0] == 200),
                              ("api", redeem)):
                before = cpu_times()
                ok, errors, elapsed = hammer(args.clients, phase, one)
                after = cpu_times()
                load[name] = (f"server CPU {busy(before, after, args.server_cpus)}; "
                              f"client CPU {busy(before, after, args.client_cpus)}")
                total = totals[name]
                total[0], total[1], total[2] = total[0] + ok, total[1] + errors, total[2] + elapsed
                rates[name] = ok / elapsed
            ratios.append(rates["api"] / rates["hello"])
            print(f"round {round_number}: hello world {rates['hello']:7.1f} req/s, "
                  f"redemptions {rates['api']:6.1f} req/s, ratio {100 * ratios[-1]:.1f} %\n"
                  f"  busy during hello world: {load['hello']}\n"
                  f"  busy during redemptions: {load['api']}", flush=True)
    finally:
        hello.stop()
        if api is not None:
            api.stop()
    hello_rate = totals["hello"][0] / totals["hello"][2]
    rate = totals["api"][0] / totals["api"][2]
    errors = totals["hello"][1] + totals["api"][1]
    print(f"hello world:  {hello_rate:8.1f} req/s  ({totals['hello'][0]} ok, {totals['hello'][1]} errors)")
    print(f"redemptions:  {rate:8.1f} req/s  ({totals['api'][0]} ok, {totals['api'][1]} errors)")
    print(f"ratio: {100 * rate / hello_rate:.1f} % of hello world over the run, median of rounds "
          f"{100 * statistics.median(ratios):.1f} % (goal >= 20 %), errors: {errors} (goal 0)")
    if totals["api"][0] + totals["api"][1] >= len(codes):
        print("warning: the payment codes ran out; raise --codes")


if __name__ == "__main__":
    main()
