"""The daily `backup` job, and which backups it keeps: the newest of each of the last
BACKUP_KEEP_DAILY days that have one, and the first of each of the last BACKUP_KEEP_MONTHLY months
(the first backup of a month is that month's). Every other backup in the folder is deleted."""
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from app import audit
from app.access.permissions import SYSTEM
from app.backup import archive, services
from app.database import transaction
from app.jobs import job

STALE_SECONDS = 24 * 3600  # a half-written file or staging folder this old is a crashed run's


def to_keep(names: list[str], keep_daily: int, keep_monthly: int) -> set[str]:
    """The backups' names that retention keeps, of `names` (any other names are not backups)."""
    backups = sorted((n for n in names if archive.time_of(n)), key=archive.order)
    newest_of_day: dict[str, str] = {}
    first_of_month: dict[str, str] = {}
    for name in backups:  # oldest first: a day's last one wins, a month's first one stays
        moment = archive.time_of(name)
        newest_of_day[moment.strftime("%Y-%m-%d")] = name
        first_of_month.setdefault(moment.strftime("%Y-%m"), name)
    days = sorted(newest_of_day, reverse=True)[:keep_daily]
    months = sorted(first_of_month, reverse=True)[:keep_monthly]
    return {newest_of_day[d] for d in days} | {first_of_month[m] for m in months}


def prune(folder: Path, keep_daily: int, keep_monthly: int) -> list[str]:
    """Delete the backups retention does not keep, and crashed runs' leftovers; their names."""
    entries = list(folder.iterdir())
    keep = to_keep([p.name for p in entries], keep_daily, keep_monthly)
    deleted = []
    for path in entries:
        if archive.time_of(path.name) and path.name not in keep and path.is_file():
            path.unlink()
            deleted.append(path.name)
        elif (path.name.startswith(".lianxin-")
              and path.lstat().st_mtime < time.time() - STALE_SECONDS):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return sorted(deleted)


@job("backup", every=timedelta(days=1))
def daily_backup(now: datetime) -> str:
    """Make the day's backup into BACKUP_DIR, then delete those retention no longer keeps."""
    path, _manifest = services.create(now=now)
    config = current_app.config
    deleted = prune(path.parent, config["BACKUP_KEEP_DAILY"], config["BACKUP_KEEP_MONTHLY"])
    with transaction():
        audit.record("backup_created", path.name, f"deleted: {', '.join(deleted) or '-'}", SYSTEM)
    return f"{path.name}; deleted {len(deleted)}: {', '.join(deleted)}"
