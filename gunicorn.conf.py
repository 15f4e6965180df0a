"""gunicorn's settings file, read from the working directory (`gunicorn wsgi:app`): start-up
checks only, each hook one line into app code, so deployments keep their own command lines."""
import os


def on_starting(server):
    """Before any worker starts."""
    from app.ratelimits import check_worker_storage

    check_worker_storage(server.cfg.workers, os.environ.get("RATELIMIT_STORAGE_URI", "local://"))
