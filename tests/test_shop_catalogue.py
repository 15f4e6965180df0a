"""The shop's catalogue and stock: products, goods received, stock-takes, who may do what."""
import pytest
import sqlalchemy as sa

from app.errors import DomainError, NotAllowed, NotFound
from app.extensions import db
from app.models.shop import Product, StockMovement
from app.shop import stock
from app.shop.catalogue import services as catalogue
from tests.shop_world import make_shop_world


@pytest.fixture
def w(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return make_shop_world()


def test_stock_is_the_sum_of_its_movements(w):
    catalogue.stock_take(w.keeper, w.rice.id, 7, "受潮损坏3袋")
    catalogue.receive_goods(w.committee, w.rice.id, 5, "returned", "退货")
    db.session.expire_all()
    rice = db.session.get(Product, w.rice.id)
    moves = db.session.scalars(sa.select(StockMovement).where(StockMovement.product_id == rice.id)
                               .order_by(StockMovement.id)).all()
    assert [(m.kind, m.quantity, m.stock_after) for m in moves] == [
        ("received", 10, 10), ("counted", -3, 7), ("received", 5, 12)]
    assert rice.stock == sum(m.quantity for m in moves) == 12
    assert moves[1].note == "受潮损坏3袋" and moves[2].source == "returned"


def test_stock_take_needs_reason_and_matching_count_moves_nothing(w):
    with pytest.raises(DomainError):
        catalogue.stock_take(w.keeper, w.rice.id, 3, " ")
    assert catalogue.stock_take(w.keeper, w.rice.id, 10, "盘点") is None


def test_stock_never_below_zero(w):
    with pytest.raises(stock.InsufficientStock, match="食用油"):
        stock.move(w.keeper, db.session.get(Product, w.oil.id), "redeemed", -4)
    db.session.rollback()
    assert db.session.get(Product, w.oil.id).stock == 3


def test_bad_product_input_is_refused(w):
    with pytest.raises(DomainError):
        catalogue.create_product(w.keeper, w.shop.id, "大米5kg", 10)  # name taken
    with pytest.raises(DomainError):
        catalogue.create_product(w.keeper, w.shop.id, "毛巾", 0)
    with pytest.raises(DomainError):
        catalogue.receive_goods(w.keeper, w.rice.id, 5, "stolen")


def test_other_shops_and_households_may_not_touch_the_catalogue(w):
    with pytest.raises(NotFound):
        catalogue.receive_goods(w.other_keeper, w.rice.id, 5, "village")
    with pytest.raises(NotFound):
        catalogue.create_product(w.other_committee, w.shop.id, "毛巾", 8)
    with pytest.raises((NotFound, NotAllowed)):
        catalogue.create_product(w.h1_user, w.shop.id, "毛巾", 8)
    assert db.session.get(Product, w.rice.id).stock == 10


def _login(client, username):
    return client.post("/login", data={"username": username, "password": "secret-pass"})


def test_keeper_adds_product_receives_and_counts_through_pages(client, w):
    _login(client, "keeper")
    page = client.get("/shop/products")
    assert page.status_code == 200 and "大米5kg" in page.text
    response = client.post("/shop/products/new", data={"name": "毛巾", "points": "15", "unit": "条",
                                                       "category": "日用品", "low_stock": "3",
                                                       "active": "y"})
    assert response.status_code == 302
    towel = db.session.scalar(sa.select(Product).where(Product.name == "毛巾"))
    client.post(f"/shop/products/{towel.id}/receive", data={"quantity": "4", "source": "donation",
                                                            "note": "爱心人士"})
    client.post(f"/shop/products/{towel.id}/count", data={"counted": "2", "reason": "破损"})
    db.session.expire_all()
    assert db.session.get(Product, towel.id).stock == 2
    page = client.get("/shop/products")
    assert 'id="low-stock"' in page.text and "毛巾" in page.text.split('id="low-stock"')[1][:400]
    detail = client.get(f"/shop/products/{towel.id}")
    assert "爱心人士" in detail.text and "破损" in detail.text


def test_bad_numbers_give_a_message_not_an_error(client, w):
    _login(client, "keeper")
    response = client.post(f"/shop/products/{w.rice.id}/receive", data={"quantity": "-5", "source": "village"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert db.session.get(Product, w.rice.id).stock == 10


def test_pages_of_another_shop_are_404(client, w):
    _login(client, "keeper2")
    assert client.get(f"/shop/products/{w.rice.id}").status_code == 404
    assert client.post(f"/shop/products/{w.rice.id}/receive",
                       data={"quantity": "5", "source": "village"}).status_code == 404
    assert client.get(f"/shop/products?shop={w.shop.id}").status_code == 404


def test_committee_sees_its_village_shop(client, w):
    _login(client, "committee")
    assert "食用油" in client.get("/shop/products").text


def test_household_sees_what_it_can_afford(client, w):
    _login(client, "h1")
    page = client.get("/shop/catalogue")
    assert page.status_code == 200
    rows = page.text.split('id="catalogue"')[1]
    rice_row = rows.split("大米5kg")[1].split("</li>")[0]
    assert "badge text-bg-success" in rice_row  # 50 <= 100
    client.post("/logout")
    _login(client, "h2")  # no points
    rows = client.get("/shop/catalogue").text.split('id="catalogue"')[1]
    assert "badge text-bg-success" not in rows
    assert client.get("/shop/products").status_code == 403


def _picture(width=2000, height=1000, fmt="PNG"):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, fmt)
    buffer.seek(0)
    return buffer


def test_a_product_photo_is_small_clean_and_shown_only_to_its_shops_people(app, client, w):
    import io
    from pathlib import Path

    from PIL import Image

    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    _login(client, "keeper")
    response = client.post("/shop/products/new", data={
        "name": "洗衣粉", "points": "20", "unit": "袋", "low_stock": "3", "active": "y",
        "photo": (_picture(), "powder.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    powder = db.session.scalar(sa.select(Product).where(Product.name == "洗衣粉"))
    served = client.get(f"/shop/products/{powder.id}/photo")
    image = Image.open(io.BytesIO(served.data))
    assert served.mimetype == "image/jpeg" and image.format == "JPEG" and max(image.size) == 480
    assert f"/shop/products/{powder.id}/photo" in client.get("/shop/products").text
    # A new photo replaces the old file; removing it leaves none.
    first = powder.photo
    client.post(f"/shop/products/{powder.id}/edit", data={
        "name": "洗衣粉", "points": "20", "unit": "袋", "low_stock": "3", "active": "y",
        "photo": (_picture(300, 300, "JPEG"), "new.jpg")}, content_type="multipart/form-data")
    db.session.expire_all()
    second = db.session.get(Product, powder.id).photo
    assert second and second != first and not (folder / first).exists() and (folder / second).exists()
    client.post("/logout")
    _login(client, "h1")  # a household of the shop's village sees it in its catalogue
    assert client.get(f"/shop/products/{powder.id}/photo").status_code == 200
    assert f"/shop/products/{powder.id}/photo" in client.get("/shop/catalogue").text
    client.post("/logout")
    _login(client, "far")  # another village's household does not
    assert client.get(f"/shop/products/{powder.id}/photo").status_code == 404
    client.post("/logout")
    _login(client, "keeper")
    client.post(f"/shop/products/{powder.id}/edit", data={
        "name": "洗衣粉", "points": "20", "unit": "袋", "low_stock": "3", "active": "y",
        "remove_photo": "y"}, content_type="multipart/form-data")
    db.session.expire_all()
    assert db.session.get(Product, powder.id).photo is None and not (folder / second).exists()
    assert client.get(f"/shop/products/{powder.id}/photo").status_code == 404


def test_a_file_that_is_not_a_photo_adds_nothing(app, client, w):
    import io
    from pathlib import Path

    _login(client, "keeper")
    response = client.post("/shop/products/new", data={
        "name": "香皂", "points": "5", "low_stock": "3", "active": "y",
        "photo": (io.BytesIO(b"<?php echo 1; ?>"), "soap.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 200 and "不是照片" in response.text
    assert db.session.scalar(sa.select(Product).where(Product.name == "香皂")) is None
    # A photo refused with its product (a name already taken) leaves no file behind.
    folder = Path(app.config["UPLOAD_FOLDER"]) / "photos"
    before = set(folder.glob("*")) if folder.exists() else set()
    client.post("/shop/products/new", data={
        "name": "大米5kg", "points": "5", "low_stock": "3", "active": "y",
        "photo": (_picture(), "rice.png")}, content_type="multipart/form-data")
    after = set(folder.glob("*")) if folder.exists() else set()
    assert after == before
