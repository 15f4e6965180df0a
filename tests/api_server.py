"""A real gunicorn serving the test database on a loopback port, and a tiny JSON client for it."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, instance: Path, workers: int = 4, threads: int | None = None, **env):
    """Serve the app with `workers` gunicorn workers; yields the base URL; stops the server after.

    The workers are gunicorn.conf.py's (read from the repository, the working directory): threaded,
    as deployed, with `threads` threads each when given (else LIANXIN_THREADS or 4); `threads=1`
    asks for sync workers, the model before.

    Two departures from deploy/'s command line, both only to save the suite's time: `--preload`
    imports the app once and forks the workers from it (the app opens no connection before the
    fork), and the server is stopped with SIGKILL to its process group: a worker's exit frees its
    whole heap (the pinyin dictionaries among it), which took each one several seconds of CPU.
    `--no-control-socket`: every gunicorn would otherwise share ~/.gunicorn/gunicorn.ctl."""
    port = _free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "race-test",
                   "LIANXIN_INSTANCE": str(instance), "API_LIMIT_PER_HOLDER": "100000 per minute",
                   "LIANXIN_PER_PROCESS_LIMITS": "1", **env}
    if threads is not None:
        environment["LIANXIN_THREADS"] = str(threads)
    model = ["--worker-class", "sync"] if threads == 1 else []
    log = open(instance / "gunicorn.log", "wb")  # a file, not a pipe: a full pipe would block workers
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", *model,
         "--timeout", "60", "--log-level", "warning", "--preload", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(base + "/healthz", timeout=5).status == 200:
                    break
            except OSError:  # not listening yet, or workers still booting (a timeout)
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start: " + (instance / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the master and every worker at once
        except ProcessLookupError:  # it had stopped by itself (refused to start)
            pass
        process.wait()
        log.close()


def call(base: str, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    """One API call on a fresh connection; (status, JSON body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + "/api/v1" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
