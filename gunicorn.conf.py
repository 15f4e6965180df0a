"""gunicorn reads this file from its working directory."""


def child_exit(server, worker):
    """A worker has exited: drop its live metrics (prometheus_client's multiprocess mode)."""
    from app.health.metrics import worker_exit

    worker_exit(worker.pid)
