"""Evidence photos for claims and deductions: checked, cleaned, stored under UPLOAD_FOLDER/photos.

A photo is re-encoded as JPEG, so nothing of the upload survives but its pixels: no EXIF
(location, phone model), no trailing payload. Who may see a photo is decided by the household
it belongs to, through app/scope.py.
"""
import errno
import os
import re
import secrets
import warnings
from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.access import scope
from app.database import DiskFull
from app.errors import DomainError, InvalidInput
from app.extensions import db
from app.models import Claim, Household, LedgerEntry, User

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
# Only these decoders ever see an upload (Pillow would otherwise try dozens of formats).
FORMATS = ("JPEG", "PNG", "WEBP")
# A 40-megapixel phone photo is the largest honest upload; decoding costs ~4 bytes a pixel, so a
# small file declaring 9400x9400 pixels is refused from its header, before anything is decoded.
MAX_PIXELS = 40_000_000
# token_urlsafe(16) gives 22 characters of [A-Za-z0-9_-]; nothing else is ever a photo's name.
NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.jpg$")


def folder() -> Path:
    """The directory photos are stored in."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / "photos"


def _size(file_storage) -> int:
    stream = file_storage.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _open(file_storage) -> Image.Image:
    """The upload as a loaded image, or InvalidInput for anything that is not a safe picture."""
    not_image = _("This file is not a photo. Please choose a JPEG, PNG or WEBP picture.")
    too_large = _("This picture has too many pixels (at most %(count)d million). Please choose a "
                  "smaller one.", count=MAX_PIXELS // 1_000_000)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file_storage.stream, formats=FORMATS) as probe:
                if probe.width * probe.height > MAX_PIXELS:  # read from the header alone
                    raise InvalidInput(too_large)
                probe.verify()  # checks the structure; the image must be reopened afterwards
            file_storage.stream.seek(0)
            image = Image.open(file_storage.stream, formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput(too_large)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(too_large) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise InvalidInput(not_image) from None
    return image


def save_photo(file_storage, max_side: int = MAX_SIDE) -> str:
    """Check an uploaded picture, strip its metadata, store it as JPEG no larger than `max_side`
    pixels a side; return its new name."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise InvalidInput(_("Please choose a photo."))
    if _size(file_storage) > MAX_BYTES:
        raise InvalidInput(_("The photo is larger than 8 MB. Please choose a smaller one."))
    image = _open(file_storage)
    try:
        image = ImageOps.exif_transpose(image)  # turn it the way the phone held it, then drop EXIF
    except Exception:  # a broken EXIF block should not lose an otherwise good photo
        pass
    image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    name = secrets.token_urlsafe(16) + ".jpg"
    target = folder()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A fresh Image carries no info dict, so no EXIF, ICC or comment is written.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    # Readable by the server's own user only (0600), whatever the umask.
    fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            clean.save(out, "JPEG", quality=85, optimize=True)
    except OSError as error:  # no half-written photo is left behind
        (target / name).unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise DiskFull() from error
        raise
    return name


def discard(name: Optional[str]) -> None:
    """Remove a stored photo that ended up unused (its claim was refused)."""
    if name and NAME.match(name):
        (folder() / name).unlink(missing_ok=True)


def stored(upload, write, max_side: int = MAX_SIDE):
    """Store the uploaded photo, if one was chosen, and return `write(its name or None)`; when the
    photo or the write is refused (DomainError, raised on), no file is left behind."""
    name = None
    try:
        if upload and getattr(upload, "filename", ""):
            name = save_photo(upload, max_side=max_side)
        return write(name)
    except DomainError:
        discard(name)
        raise


def household_of(name: str) -> Optional[int]:
    """The id of the household a stored photo belongs to (claim or entry), or None."""
    if not NAME.match(name or ""):
        return None
    found = db.session.scalar(sa.select(Claim.household_id).where(Claim.photo == name).limit(1))
    if found is None:
        found = db.session.scalar(sa.select(LedgerEntry.household_id)
                                  .where(LedgerEntry.photo == name).limit(1))
    return found


def visible_to(user: User, name: str) -> bool:
    """True when the photo exists in the records and its household is in the user's scope."""
    household_id = household_of(name)
    if household_id is None:
        return False
    query = scope.households_query(user).where(Household.id == household_id)
    return db.session.scalar(query.with_only_columns(Household.id)) is not None
