"""Versioned addresses for static files: `url_for('static', filename=...)` gets `?v=` and the first
ten hex digits of the file's SHA-256, so nginx can let browsers keep /static for a year
(deploy/nginx/lianxin.conf, `immutable`) and a changed file still reaches them at once under its
new address. Each file is hashed once per process, at its first link; a file that does not exist
gets no version (Flask answers 404 for it as before).
"""
import hashlib
import os
from functools import lru_cache

from flask import Flask
from werkzeug.security import safe_join


@lru_cache(maxsize=1024)
def file_version(folder: str, filename: str) -> str | None:
    """The first ten hex digits of the file's SHA-256, or None when it is not a file in `folder`."""
    path = safe_join(folder, filename)
    if path is None or not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()[:10]


def init_app(app: Flask) -> None:
    """Add `v` to every link to the app's static files that does not choose its own."""
    folder = app.static_folder

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or not folder:
            return
        filename = values.get("filename")
        if isinstance(filename, str):
            version = file_version(folder, filename)
            if version:
                values["v"] = version
