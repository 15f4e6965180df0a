"""The backup file: a tar whose first member is the manifest, then the database and the photos,
then one 512-byte block holding the SHA-256 of every byte before it.

The manifest lists each member's SHA-256; the last block covers what the members' checksums do
not (the manifest itself, the tar headers and padding), so any byte changed anywhere is found.
A file is written under a temporary name and linked to its final name when complete: a file
named `lianxin-<UTC time>.lxbak` is always whole.
"""
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple, Optional

from flask import current_app
from flask_babel import gettext as _

from app.backup import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
SUFFIX = ".lxbak"
NAME = re.compile(r"^lianxin-(\d{8}T\d{6}Z)(?:-(\d{1,3}))?\.lxbak$")
TRAILER_MAGIC = b"LIANXIN-BACKUP-SHA256 "
BLOCK = 512
# What a member may be called: the manifest, the database, or a photo under uploads/.
MEMBER = re.compile(r"^(manifest\.json|database\.[a-z0-9.]+|uploads(/[A-Za-z0-9_.-]+)+)$")


def directory() -> Path:
    """BACKUP_DIR, or <INSTANCE_PATH>/backups; created private (0700) when missing."""
    configured = current_app.config.get("BACKUP_DIR") or ""
    path = Path(configured) if configured else Path(current_app.config["INSTANCE_PATH"]) / "backups"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stamp(moment: datetime) -> str:
    """The UTC time in a backup's name: 20261207T031500Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def order(name: str) -> tuple[str, int]:
    """Sorts backups' names by time, then by their -1, -2 suffix."""
    found = NAME.match(name)
    return (found.group(1), int(found.group(2) or 0)) if found else ("", 0)


def time_of(name: str) -> Optional[datetime]:
    """The UTC time a backup's file name carries, or None for any other name."""
    found = NAME.match(name)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


class _Hashing(io.RawIOBase):
    """A file opened for writing that also hashes every byte written to it."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.digest, self.position = raw, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        self.raw.write(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _info(name: str, size: int, moment: datetime) -> tarfile.TarInfo:
    """A member's header: a private regular file, no owner names."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(moment.timestamp())
    return info


def write(target_dir: Path, moment: datetime, manifest: dict, members: dict[str, Path]) -> Path:
    """Write the backup file into `target_dir` and return its path; `members` maps each
    member's name to the staged file holding it (their checksums must be in the manifest)."""
    body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    fd, temporary = tempfile.mkstemp(dir=target_dir, prefix=".lianxin-", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as raw:
            hashing = _Hashing(raw)
            with tarfile.open(fileobj=hashing, mode="w", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(_info(MANIFEST, len(body), moment), io.BytesIO(body))
                for name, path in members.items():
                    with open(path, "rb") as f:
                        tar.addfile(_info(name, os.fstat(f.fileno()).st_size, moment), f)
            trailer = TRAILER_MAGIC + hashing.digest.hexdigest().encode() + b"\n"
            raw.write(trailer.ljust(BLOCK, b"\0"))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temporary, 0o600)
        return _publish(Path(temporary), target_dir, moment)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _publish(temporary: Path, target_dir: Path, moment: datetime) -> Path:
    """Give the complete file its name; a second backup in the same second gets -1, -2..."""
    for n in range(1000):
        final = target_dir / f"lianxin-{stamp(moment)}{'-%d' % n if n else ''}{SUFFIX}"
        try:
            os.link(temporary, final)  # fails if the name exists: never overwrites a backup
        except FileExistsError:
            continue
        return final
    raise BackupError(_("Too many backups in one second."))


def check(path: Path) -> dict:
    """The manifest of a backup whose every byte is as written; BackupError for any other file."""
    damaged = _("%(name)s is not a complete Lianxin backup, or it has been changed or damaged.",
                name=path.name)
    size = path.stat().st_size
    if size < 3 * BLOCK or size % BLOCK:
        raise BackupError(damaged)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        remaining = size - BLOCK
        while remaining:
            chunk = f.read(min(1 << 20, remaining))
            digest.update(chunk)
            remaining -= len(chunk)
        trailer = f.read(BLOCK)
    expected = TRAILER_MAGIC + digest.hexdigest().encode() + b"\n"
    if trailer != expected.ljust(BLOCK, b"\0"):
        raise BackupError(damaged)
    manifest = read_manifest(path)
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise BackupError(damaged)
    seen = {}
    for name, stream in members(path):
        digest = hashlib.sha256()
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
        seen[name] = digest.hexdigest()
    def listed_digest(name: str) -> object:
        entry = listed.get(name)
        return entry.get("sha256") if isinstance(entry, dict) else None

    wrong = sorted(set(listed) ^ set(seen) | {n for n in seen if listed_digest(n) != seen[n]})
    if wrong:
        raise BackupError(_("The checksums of %(name)s do not match its manifest: %(members)s.",
                            name=path.name, members=", ".join(wrong[:5])))
    return manifest


def read_manifest(path: Path) -> dict:
    """The manifest (the first member), read without reading the rest of the file."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile() or first.size > 1 << 26:
                raise ValueError("no manifest first")
            manifest = json.loads(tar.extractfile(first).read().decode())
    except (OSError, tarfile.TarError, ValueError, UnicodeDecodeError) as error:
        raise BackupError(_("%(name)s is not a Lianxin backup.", name=path.name)) from error
    shape = {"created_at": str, "database": str, "schema_revision": str, "figures": dict,
             "members": dict}
    if (not isinstance(manifest, dict) or manifest.get("format") != FORMAT
            or not all(isinstance(manifest.get(key), kind) for key, kind in shape.items())):
        raise BackupError(_("%(name)s is not a Lianxin backup.", name=path.name))
    return manifest


def members(path: Path) -> Iterator[tuple[str, BinaryIO]]:
    """Every member but the manifest, with a stream of its bytes; names are checked, so none
    can point outside where it is restored."""
    with tarfile.open(path, mode="r:") as tar:
        for member in tar:
            if member.name == MANIFEST:
                continue
            if not member.isfile() or not MEMBER.match(member.name) or ".." in member.name.split("/"):
                raise BackupError(_("%(name)s holds an unexpected entry: %(member)s.",
                                    name=path.name, member=member.name[:100]))
            yield member.name, tar.extractfile(member)


def stage(source: Path, staging: Path, name: str) -> dict:
    """Copy (or hard-link) a file into the staging folder under `name`; its size and SHA-256."""
    target = staging / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # photos are never rewritten in place, so a link is a snapshot
    except OSError:
        shutil.copyfile(source, target)
    return {"size": target.stat().st_size, "sha256": file_digest(target)}


class Listed(NamedTuple):
    """A backup as the administrator's page shows it."""

    name: str
    size: int
    manifest: Optional[dict]  # None when the file cannot be read


def listing(target_dir: Path) -> list[Listed]:
    """The backups in a folder, newest first, each with its manifest."""
    found = []
    for path in sorted(target_dir.iterdir(), key=lambda p: order(p.name), reverse=True):
        if time_of(path.name) is None or not path.is_file():
            continue
        try:
            manifest = read_manifest(path)
        except BackupError:
            manifest = None
        found.append(Listed(path.name, path.stat().st_size, manifest))
    return found
