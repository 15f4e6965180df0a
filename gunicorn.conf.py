"""gunicorn's settings file, read from the working directory (`gunicorn wsgi:app`) or given with
`-c`: hooks only, each one line into app code, so deployments keep their own command lines."""
import os


def on_starting(server):
    """Before any worker starts: several workers need shared rate-limit storage (README)."""
    from app.ratelimits import check_worker_storage

    check_worker_storage(server.cfg.workers, os.environ.get("RATELIMIT_STORAGE_URI", "local://"))


def child_exit(server, worker):
    """A worker has exited: drop its live metrics (prometheus_client's multiprocess mode)."""
    from app.health.metrics import worker_exit

    worker_exit(worker.pid)
