"""gunicorn's settings file, read from the working directory (`gunicorn wsgi:app`) or given with
`-c`. A command line's own options win over the settings here, so deployments keep their
command lines (deploy/systemd/lianxin.service passes --workers and --bind).

Threaded workers are the production model: each worker process serves LIANXIN_THREADS requests at
once (gunicorn's gthread worker). A sale mostly waits on the database, so one process with four
threads answers what four sync workers would, in a quarter of the memory: measured with
bench/api.py's open loop (200 sales/s offered, two processes on PostgreSQL), two sync workers
answered about 100/s with thousands of timeouts, two workers of 4 threads ~199/s with none.
Size: workers about the number of cores, 4 threads each; the app keeps a database pool of at
least LIANXIN_THREADS connections a process (app/__init__.py). For sync workers a command line
says `--worker-class sync --threads 1` (or LIANXIN_THREADS=1): with threads > 1 gunicorn runs
gthread whatever the worker class.

The hooks run in gunicorn's master and import nothing of the `app` package: modules the master
has imported are inherited by every worker it forks later, so after a HUP (`systemctl reload
lianxin`) the new workers would run the old code of whatever a hook had imported
(README, "Production"). tests/test_deploy.py checks that the hooks leave no `app` module in
the master.
"""
import os

PER_PROCESS_SCHEMES = ("local", "memory")
PER_PROCESS_ENV = "LIANXIN_PER_PROCESS_LIMITS"


def _threads(environ=os.environ) -> int:
    value = environ.get("LIANXIN_THREADS", "").strip() or "4"
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"Lianxin: LIANXIN_THREADS={value!r} is not a whole number of threads (1 or more)")
    return int(value)


worker_class = "gthread"
threads = _threads()


def check_worker_storage(workers: int, uri: str | None, environ=os.environ) -> None:
    """Refuse (SystemExit, saying why) to serve with several worker processes whose rate limits
    would each count on their own, unless LIANXIN_PER_PROCESS_LIMITS=1 says that is acceptable.
    Threads are not counted: the threads of one process share its local:// counts
    (app/ratelimits.py), processes do not."""
    scheme = (uri or "local://").partition("://")[0].lower()
    if workers <= 1 or scheme not in PER_PROCESS_SCHEMES or environ.get(PER_PROCESS_ENV) == "1":
        return
    raise SystemExit(
        f"Lianxin: {workers} workers with RATELIMIT_STORAGE_URI={uri or 'local://'} would count "
        f"rate limits in each worker's memory, so the limits (10 wrong passwords per username, "
        f"API calls per holder) would let {workers} times as many through. Set "
        f"RATELIMIT_STORAGE_URI=redis://... so every worker and node shares the counts, or set "
        f"{PER_PROCESS_ENV}=1 to accept counts per process.")


def on_starting(server):
    """Before any worker starts: several workers need shared rate-limit storage (README)."""
    check_worker_storage(server.cfg.workers, os.environ.get("RATELIMIT_STORAGE_URI", "local://"))


def child_exit(server, worker):
    """A worker has exited: drop its live metrics (prometheus_client's multiprocess mode; the
    threads of one worker share its files, named by its pid)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
