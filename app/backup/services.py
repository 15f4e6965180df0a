"""Making a backup of the whole site, and restoring one with its checks."""
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple, Optional

from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from app import audit
from app.backup import BackupError, archive, databases
from app.config import BASE_DIR
from app.database import transaction
from app.errors import NotFound
from app.extensions import db
from app.ledger.reads import verify
from app.models.base import utcnow

FIGURE_LABELS = {
    "households": _l("Number of households"),
    "ledger_entries": _l("Number of ledger entries"),
    "balance_sum": _l("Sum of balances"),
    "score_sum": _l("Sum of scores"),
}


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def create(to: Optional[Path] = None, now: Optional[datetime] = None) -> tuple[Path, dict]:
    """Write one backup file (database, photos, manifest) into `to` or BACKUP_DIR; its path and
    manifest. Consistent while the site serves: the database is one snapshot, counted as such."""
    now = now or utcnow()
    target_dir = Path(to) if to else archive.directory()
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target_dir, prefix=".lianxin-staging-"))
    try:
        member, found = databases.dump(staging)
        listed = {member: {"size": (staging / member).stat().st_size,
                           "sha256": archive.file_digest(staging / member)}}
        uploads = _uploads()
        # Backups written into the upload folder itself are not backed up again.
        skipped = target_dir.resolve() if uploads.resolve() in target_dir.resolve().parents else None
        for path in sorted(uploads.rglob("*")) if uploads.is_dir() else []:
            name = "uploads/" + path.relative_to(uploads).as_posix()
            if (path.is_symlink() or not path.is_file() or not archive.MEMBER.match(name)
                    or (skipped and skipped in path.resolve().parents)):
                continue
            listed[name] = archive.stage(path, staging, name)
        manifest = {
            "format": archive.FORMAT,
            "created_at": now.isoformat(),
            "database": databases.kind(),
            "schema_revision": found.pop("schema_revision"),
            "figures": found,
            "photos": len(listed) - 1,
            "members": listed,
        }
        path = archive.write(target_dir, now, manifest, {n: staging / n for n in listed})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path, manifest


class Report(NamedTuple):
    """What a restore found: lines to show, and whether everything matched."""

    lines: list[str]
    ok: bool


def restore(path: Path, force: bool = False) -> Report:
    """Check the file, restore it into an empty database (any database with `force`), put the
    photos back, then verify the ledger and compare the manifest's figures; BackupError when
    nothing was restored."""
    manifest = archive.check(Path(path))
    here, theirs = databases.kind(), manifest.get("database")
    if theirs != here:
        raise BackupError(_("This backup holds a %(theirs)s database, but this site uses %(ours)s: "
                            "a backup is restored only into the same kind of database.",
                            theirs=theirs, ours=here))
    occupied = databases.occupied_table()
    if occupied and not force:
        raise BackupError(_("The database is not empty (the table %(table)s has rows). Restore "
                            "into an empty database, or use --force to replace everything in it.",
                            table=occupied))
    lines = [_("The file is intact: %(count)d checksums match its manifest.",
               count=len(manifest["members"]))]
    photos = 0
    for name, stream in archive.members(Path(path)):
        if name == databases.MEMBER[here]:
            databases.restore(stream)
        elif name.startswith("uploads/"):
            _put_back(name.removeprefix("uploads/"), stream)
            photos += 1
    lines.append(_("Restored the database of %(time)s (schema revision %(revision)s) and "
                   "%(count)d uploaded files.", time=manifest["created_at"],
                   revision=manifest["schema_revision"], count=photos))
    ok = _compare(manifest, lines)
    ok = _upgrade_and_verify(manifest["schema_revision"], lines) and ok
    lines.append(_("The restore is checked: counts and sums equal the manifest and the ledger "
                   "verifies.") if ok else _("The restored database differs from the backup: "
                                             "see above."))
    return Report(lines, ok)


def _put_back(relative: str, stream: BinaryIO) -> None:
    """Write one uploaded file into UPLOAD_FOLDER (its name was checked: no way out of it)."""
    target = _uploads() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    os.replace(temporary, target)


def _compare(manifest: dict, lines: list[str]) -> bool:
    """Each figure of the manifest against the restored database; False on any difference."""
    db.session.remove()
    with db.engine.connect() as connection:
        found = databases.figures(lambda sql: connection.exec_driver_sql(sql).scalar())
    ok = True
    for name, label in FIGURE_LABELS.items():
        expected = manifest["figures"].get(name)
        if found[name] == expected:
            lines.append(_("%(figure)s: %(found)d, as in the manifest.", figure=label,
                           found=found[name]))
        else:
            ok = False
            lines.append(_("%(figure)s: %(found)d, but the manifest says %(expected)s.",
                           figure=label, found=found[name], expected=expected))
    return ok


def _upgrade_and_verify(revision: str, lines: list[str]) -> bool:
    """Bring an older backup's schema up to this version's, then run the ledger verify."""
    from flask_migrate import upgrade

    head = ScriptDirectory(str(BASE_DIR / "migrations")).get_current_head()
    if revision != head:
        try:
            upgrade(directory=str(BASE_DIR / "migrations"))
        except Exception as error:  # an unknown (newer) revision, or a failed migration
            raise BackupError(_("The restored schema (revision %(revision)s) could not be brought "
                                "up to this version's: %(error)s", revision=revision,
                                error=error)) from error
        lines.append(_("The schema was upgraded from %(old)s to %(new)s.", old=revision, new=head))
    db.session.remove()
    wrong = verify()
    for household, balance, score in wrong[:50]:
        lines.append(_("Ledger verify: household %(id)d has balance %(balance)d and score "
                       "%(score)d, but its entries give %(right_balance)d and %(right_score)d.",
                       id=household.id, balance=household.balance, score=household.score,
                       right_balance=balance, right_score=score))
    if wrong:
        lines.append(_("Ledger verify: %(count)d households disagree with the ledger.",
                       count=len(wrong)))
    else:
        lines.append(_("Ledger verify: every balance and score matches the ledger."))
    db.session.remove()
    return not wrong


def overview() -> list[dict]:
    """The backups in BACKUP_DIR for the administrator's page, newest first."""
    rows = []
    for item in archive.listing(archive.directory()):
        manifest = item.manifest or {}
        figures = manifest.get("figures") or {}
        try:
            at = datetime.fromisoformat(manifest["created_at"])
        except (KeyError, TypeError, ValueError):
            at = archive.time_of(item.name)
        rows.append({"name": item.name, "size": item.size, "at": at, "readable": bool(manifest),
                     "database": manifest.get("database", ""), **figures})
    return rows


def make_now(actor) -> Path:
    """An administrator's backup made from the page, recorded in the audit log."""
    # A request's reads take no write lock (database.py), so none is held while the backup runs.
    path, _manifest = create()
    with transaction():
        audit.record("backup_created", path.name, actor=actor)
    return path


def for_download(name: str, actor) -> Path:
    """The backup file called `name` in BACKUP_DIR, its download recorded in the audit log;
    NotFound for any other name (so no path can lead out of the folder)."""
    folder = archive.directory()
    path = folder / name
    if archive.time_of(name) is None or path.is_symlink() or not path.is_file():
        raise NotFound(_("There is no such backup."))
    with transaction():
        audit.record("backup_downloaded", name, actor=actor)
    return path
