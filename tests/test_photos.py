"""Evidence photos: only real pictures are kept, cleaned of EXIF, and shown only within scope."""
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.errors import InvalidInput
from app.extensions import db
from app.ledger import photos
from app.models import Claim
from tests.ledger_world import make_world


@pytest.fixture(autouse=True)
def english(app):
    """Messages are matched in English; the default language is simplified Chinese."""
    with force_locale("en"):
        yield


def _upload(data: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def _image_bytes(fmt="PNG", size=(40, 30), exif=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (10, 120, 200))
    if exif is not None:
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def _stored(app, name) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "photos" / name


def test_text_renamed_jpg_is_refused(app):
    with pytest.raises(InvalidInput, match="not a photo"):
        photos.save_photo(_upload(b"hello, I am not a picture\n" * 10, "evil.jpg"))
    with pytest.raises(InvalidInput):
        photos.save_photo(_upload(b"", "empty.jpg"))
    with pytest.raises(InvalidInput):
        photos.save_photo(_upload(_image_bytes()[:60], "cut.png"))  # truncated PNG
    assert not (Path(app.config["UPLOAD_FOLDER"]) / "photos").exists() or \
        not any((Path(app.config["UPLOAD_FOLDER"]) / "photos").iterdir())


def test_real_png_is_stored_as_jpeg(app):
    name = photos.save_photo(_upload(_image_bytes("PNG"), "roof.png"))
    assert photos.NAME.match(name)
    with Image.open(_stored(app, name)) as stored:
        assert stored.format == "JPEG" and stored.size == (40, 30)


def test_exif_is_stripped_and_orientation_applied(app):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (30.0, 15.0, 0.0)}  # GPSInfo
    name = photos.save_photo(_upload(_image_bytes("JPEG", (40, 30), exif=exif), "gps.jpg"))
    with Image.open(_stored(app, name)) as stored:
        assert stored.size == (30, 40)  # turned upright
        assert not stored.getexif() and "exif" not in stored.info
    assert b"PhoneMaker" not in _stored(app, name).read_bytes()


def test_large_pictures_are_resized(app):
    name = photos.save_photo(_upload(_image_bytes("PNG", (3200, 1000)), "wide.png"))
    with Image.open(_stored(app, name)) as stored:
        assert max(stored.size) == 1600


def test_decompression_bomb_and_huge_files_are_refused(app, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InvalidInput, match="too many pixels"):
        photos.save_photo(_upload(_image_bytes("PNG", (100, 100)), "bomb.png"))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # between the limit and twice it
    with pytest.raises(InvalidInput, match="too many pixels"):
        photos.save_photo(_upload(_image_bytes("PNG", (80, 80)), "bomb2.png"))
    monkeypatch.undo()
    with pytest.raises(InvalidInput, match="8 MB"):
        photos.save_photo(_upload(b"\x89PNG" + b"0" * (8 * 1024 * 1024 + 1), "big.png"))


# --- through the pages -----------------------------------------------------------------------

@pytest.fixture
def w(app, auth):
    app.config["WTF_CSRF_ENABLED"] = False
    world = make_world()
    world.auth = auth
    return world


def test_claim_with_a_fake_photo_is_refused_and_nothing_kept(app, client, w):
    w.auth.login("h1")
    response = client.post("/ledger/claims/new", data={
        "household_id": w.h1.id, "rule_id": w.good.id, "description": "修路",
        "photo": (io.BytesIO(b"<?php echo 1; ?>"), "photo.jpg")}, content_type="multipart/form-data",
        headers={"Accept-Language": "en"})
    assert response.status_code == 200 and "not a photo" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Claim.id))) == 0


def test_photo_is_served_only_within_scope(app, client, w):
    name = photos.save_photo(_upload(_image_bytes(), "x.png"))
    db.session.add(Claim(household_id=w.h1.id, rule_id=w.good.id, description="x", photo=name))
    db.session.commit()
    w.auth.login("h1")
    response = client.get(f"/ledger/photos/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]
    for bad in ("..%2F..%2Fsecret_key", "../secret_key", "x.jpg", name.replace(".jpg", ".png"),
                "A" * 22 + ".jpg"):
        assert client.get(f"/ledger/photos/{bad}").status_code == 404
    for username in ("h2", "committee2"):
        w.auth.logout()
        w.auth.login(username)
        assert client.get(f"/ledger/photos/{name}").status_code == 404
    w.auth.logout()
    w.auth.login("leader")  # h1 is in the leader's grid
    assert client.get(f"/ledger/photos/{name}").status_code == 200
    w.auth.logout()
    assert client.get(f"/ledger/photos/{name}").status_code == 302  # to the sign-in page


def test_deduction_evidence_photo_is_shown_to_its_household(app, client, w):
    from app.ledger import services

    name = photos.save_photo(_upload(_image_bytes(), "burning.png"))
    services.import_entries([dict(household_id=w.h1.id, village_id=w.home.id, points=-20,
                                  kind="deduction", rule_id=w.bad.id, note="焚烧", photo=name)])
    db.session.commit()
    w.auth.login("h1")
    assert f"/ledger/photos/{name}" in client.get("/me").get_data(as_text=True)
    assert client.get(f"/ledger/photos/{name}").status_code == 200
    w.auth.logout()
    w.auth.login("h2")
    assert client.get(f"/ledger/photos/{name}").status_code == 404


def test_a_picture_with_too_many_pixels_is_refused_before_decoding(app):
    """A small file that declares 42 million pixels (the audit's 343 KB PNG of 9400x9400 took
    0.8 GB to decode) is refused from its header."""
    buffer = io.BytesIO()
    Image.new("1", (7000, 6000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 400_000
    with pytest.raises(InvalidInput, match="too many pixels"):
        photos.save_photo(_upload(buffer.getvalue(), "bomb.png"))


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_only_jpeg_png_and_webp_are_opened(app, fmt):
    with pytest.raises(InvalidInput, match="JPEG, PNG or WEBP"):
        photos.save_photo(_upload(_image_bytes(fmt), f"x.{fmt.lower()}"))
    name = photos.save_photo(_upload(_image_bytes("WEBP"), "x.webp"))
    assert _stored(app, name).exists()


def test_stored_photos_are_private_to_the_server(app):
    name = photos.save_photo(_upload(_image_bytes("PNG"), "x.png"))
    assert _stored(app, name).stat().st_mode & 0o777 == 0o600
    assert _stored(app, name).parent.stat().st_mode & 0o777 == 0o700
