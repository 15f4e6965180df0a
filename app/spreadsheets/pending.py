"""A checked upload kept server-side until it is confirmed (the cookie session is too small).

It is stored as JSON under INSTANCE_PATH/imports/<token>.json, forgotten after a day, and taken
by a rename, so of two clicks on "import" only one gets it.
"""
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Optional

from flask import current_app

PENDING_TTL = 24 * 3600
# secrets.token_urlsafe(24) gives 32 URL-safe characters; anything else is not one of ours.
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32}$"


def _pending_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_pending(body: dict) -> str:
    """Keep a checked upload server-side until it is confirmed; returns its token."""
    folder = _pending_dir()
    for old in folder.glob("*.json"):  # forget previews nobody confirmed
        try:
            if old.stat().st_mtime < time.time() - PENDING_TTL:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    temp = folder / f"{token}.tmp"
    with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
              encoding="utf-8") as f:
        json.dump(body, f, ensure_ascii=False)
    os.replace(temp, folder / f"{token}.json")
    return token


def claim_pending(token: str) -> Optional[dict]:
    """Take a pending import (the rename lets only one of two clicks have it), or None."""
    if not isinstance(token, str) or not re.fullmatch(TOKEN_PATTERN, token):
        return None
    folder = _pending_dir()
    claimed = folder / f"{token}.claimed-{secrets.token_hex(4)}"
    try:
        os.rename(folder / f"{token}.json", claimed)
    except OSError:
        return None
    try:
        if claimed.stat().st_mtime < time.time() - PENDING_TTL:
            return None
        with open(claimed, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
    finally:
        claimed.unlink(missing_ok=True)
