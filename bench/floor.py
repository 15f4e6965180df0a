"""The required stack's floor: how much of bare Flask's hello world a signed-in page can keep
before the app adds anything of its own, beside the app's own /me, in the same run.

Run by hand (never in the test suite):

    .venv/bin/python bench/floor.py

Issue 21 asks /me for 25 % of hello world's req/s (gunicorn 3 sync workers on one CPU, wrk on
the other). bench/floor_app.py builds a page one required piece at a time (the session cookie,
Flask-Login's account load, a translated Jinja page, the CSRF token, the ORM's two reads of what
/me shows): each step is served as bench/pages.py serves the app and loaded in turn with hello
world; the share each keeps says what the stack alone leaves for the app. The last row is the
app's own /me on the demo (SQLite). Writes the section "floor" of bench/RESULTS.md unless
--no-results.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import results  # noqa: E402
from bench.api import Server  # noqa: E402
from bench.floor_app import STEPS  # noqa: E402
from bench.pages import Browser, prepare, wrk  # noqa: E402

LABELS = {
    "session": "signed session cookie read",
    "login": "+ Flask-Login loads the account (ORM, SQLite)",
    "template": "+ translated Jinja page on a base layout (Flask-Babel, 40 strings)",
    "csrf": "+ the sign-out form's CSRF token (Flask-WTF)",
    "content": "+ balance and ten newest entries (two ORM reads)",
}


def measure(args, server: Server, path: str, cookie: str, hello: Server) -> dict:
    """The page's req/s and CPU a request beside hello world's, in turns; medians of the rounds."""
    pairs = []
    for _ in range(args.rounds):
        h = wrk(hello, "/", "", args.seconds, args.connections, args.client_cpus)
        p = wrk(server, path, cookie, args.seconds, args.connections, args.client_cpus)
        pairs.append((p, h))
    return {"page": statistics.median(p[0] for p, _ in pairs),
            "hello": statistics.median(h[0] for _, h in pairs),
            "share": statistics.median(p[0] / h[0] for p, h in pairs),
            "cpu": statistics.median(p[1] for p, _ in pairs),
            "hello_cpu": statistics.median(h[1] for _, h in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--no-app", action="store_true", help="skip the app's own /me")
    parser.add_argument("--no-results", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="lianxin-bench-floor-")
    env = {"LIANXIN_INSTANCE": instance, "SECRET_KEY": "bench-only", "DATABASE_URL":
           f"sqlite:///{instance}/bench.db", "LIANXIN_PER_PROCESS_LIMITS": "1",
           "LOGIN_LIMIT_PER_USERNAME": "1000 per minute", "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"}
    # The account and its entries, made once before any server starts: three workers making
    # them at once would race (a worker that lost would die and wrk would see refused connections).
    subprocess.run([sys.executable, "-c", "import bench.floor_app"], check=True, cwd=ROOT,
                   env={**os.environ, **env, "FLOOR_STEP": "content"})
    hello = Server("bench.hello:app", args.workers, env, args.server_cpus)
    rows = []
    try:
        for step in STEPS:
            server = Server("bench.floor_app:app", args.workers, {**env, "FLOOR_STEP": step},
                            args.server_cpus)
            try:
                browser = Browser(server.port)
                status, _, _ = browser.send("GET", "/signin")
                assert status == 200, status
                assert browser.send("GET", "/page")[0] == 200
                rows.append((LABELS[step], measure(args, server, "/page", browser.cookie(), hello)))
            finally:
                server.stop()
            print(f"  {rows[-1][0]:70} {100 * rows[-1][1]['share']:5.1f} %", flush=True)
        if not args.no_app:
            prepare(env["DATABASE_URL"], instance)
            server = Server("wsgi:app", args.workers, env, args.server_cpus)
            try:
                browser = Browser(server.port).sign_in("household")
                rows.append(("the app's `/me` (demo, SQLite)",
                             measure(args, server, "/me", browser.cookie(), hello)))
            finally:
                server.stop()
            print(f"  {rows[-1][0]:70} {100 * rows[-1][1]['share']:5.1f} %", flush=True)
    finally:
        hello.stop()
    body = (f"gunicorn {args.workers} sync workers on CPU {args.server_cpus}, wrk (1 thread, "
            f"{args.connections} connections, {args.seconds} s a load) on CPU {args.client_cpus}; "
            f"each step and hello world in turn, {args.rounds} rounds, medians. Each step adds "
            "one piece to the one before (bench/floor_app.py); no Lianxin code but the last "
            "row. Issue 21's target for /me is 25 % of hello world.\n\n" + results.table(
                ["page", "req/s", "hello world req/s", "share", "server CPU ms a page",
                 "a hello world"],
                [[label, f"{r['page']:.0f}", f"{r['hello']:.0f}", f"{100 * r['share']:.1f} %",
                  f"{r['cpu']:.2f}", f"{r['hello_cpu']:.2f}"] for label, r in rows]))
    print(body)
    results.write("floor", "The required stack's floor (bench/floor.py)", body,
                  enabled=not args.no_results)


if __name__ == "__main__":
    main()
