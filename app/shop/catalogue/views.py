"""Catalogue pages: the shop keeper's and committee's products and stock, the household's shop."""
from flask import abort, redirect, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import lookup, scope
from app.access.permissions import permission_required
from app.ledger import photos
from app.shop import bp
from app.shop.catalogue import services as catalogue
from app.shop.catalogue.forms import (MOVEMENT_LABELS, SOURCE_CHOICES, CountForm, ProductForm,
                                      ReceiveForm, VoucherDaysForm)
from app.shop.pages import shop_arg
from app.views_util import attempt, flash_errors


PHOTO_SIDE = 480  # pixels: enough for a phone's list, about 30 KB on a village's network


def _saved(form, write):
    """Store the form's new photo (if any) and call write(photo_name); a refused write or photo
    leaves no file behind. Returns write's result; DomainError as write raised it."""
    return photos.stored(form.photo.data, write, max_side=PHOTO_SIDE)


def _product_or_404(product_id: int):
    return lookup.found_or_404(catalogue.product_for, current_user, product_id)


@bp.route("/shop/products")
@permission_required("shop.catalogue_manage")
def products():
    """The shop's products with stock, low-stock warnings first."""
    shop = shop_arg()
    items = catalogue.products(shop.id)
    return render_template("shop/products.html", shop=shop, products=items,
                           low=[p for p in items if p.active and p.is_low],
                           shops=scope.shops_for(current_user),
                           days_form=VoucherDaysForm(voucher_days=shop.voucher_days)
                           if scope.can_manage_village(current_user, shop.village_id) else None)


@bp.route("/shop/settings", methods=["POST"])
@permission_required("shop.catalogue_manage")
def settings():
    """The committee sets how many days an order-ahead voucher is kept."""
    shop = shop_arg()
    form = VoucherDaysForm()
    if form.validate_on_submit():
        attempt(catalogue.set_voucher_days, current_user, shop.id, form.voucher_days.data,
                done=_("Saved."))
    else:
        flash_errors(form)
    return redirect(url_for(".products", shop=shop.id))


@bp.route("/shop/products/new", methods=["GET", "POST"])
@permission_required("shop.catalogue_manage")
def product_new():
    """Add a product to the shop."""
    shop = shop_arg()
    form = ProductForm()
    if form.validate_on_submit():
        product = attempt(_saved, form, lambda photo: catalogue.create_product(
            current_user, shop.id, form.name.data, form.points.data, form.category.data,
            form.unit.data, form.low_stock.data, photo=photo),
            done=_("Product added. Record the goods received to give it stock."))
        if product:
            return redirect(url_for(".product", product_id=product.value.id))
    return render_template("shop/product_form.html", form=form, shop=shop, product=None)


@bp.route("/shop/products/<int:product_id>/edit", methods=["GET", "POST"])
@permission_required("shop.catalogue_manage")
def product_edit(product_id: int):
    """Change a product's name, price, unit, warning level or whether it is on sale."""
    product = _product_or_404(product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        old_photo = product.photo
        if attempt(_saved, form, lambda photo: catalogue.update_product(
                current_user, product.id, form.name.data, form.points.data, form.category.data,
                form.unit.data, form.low_stock.data, form.active.data, photo=photo,
                remove_photo=form.remove_photo.data), done=_("Product saved.")):
            if old_photo and old_photo != product.photo:
                photos.discard(old_photo)
            return redirect(url_for(".product", product_id=product.id))
    return render_template("shop/product_form.html", form=form, shop=None, product=product)


@bp.route("/shop/products/<int:product_id>")
@permission_required("shop.catalogue_manage")
def product(product_id: int):
    """A product's stock, its newest movements, and the receive and stock-take forms."""
    product = _product_or_404(product_id)
    return render_template("shop/product.html", product=product,
                           movements=catalogue.movements(product.id),
                           receive_form=ReceiveForm(), count_form=CountForm(),
                           movement_labels=MOVEMENT_LABELS, source_labels=dict(SOURCE_CHOICES))


@bp.route("/shop/products/<int:product_id>/receive", methods=["POST"])
@permission_required("shop.catalogue_manage")
def product_receive(product_id: int):
    """Goods received, with their source."""
    product = _product_or_404(product_id)
    form = ReceiveForm()
    if form.validate_on_submit():
        attempt(catalogue.receive_goods, current_user, product.id, form.quantity.data,
                form.source.data, form.note.data, done=_("Stock added."))
    else:
        flash_errors(form)
    return redirect(url_for(".product", product_id=product.id))


@bp.route("/shop/products/<int:product_id>/count", methods=["POST"])
@permission_required("shop.catalogue_manage")
def product_count(product_id: int):
    """A stock-take with its reason."""
    product = _product_or_404(product_id)
    form = CountForm()
    if form.validate_on_submit():
        attempt(catalogue.stock_take, current_user, product.id, form.counted.data, form.reason.data,
                done=lambda moved: _("Stock-take saved.") if moved else _("The count matches the stock."))
    else:
        flash_errors(form)
    return redirect(url_for(".product", product_id=product.id))


@bp.route("/shop/products/<int:product_id>/photo")
@permission_required("shop.product_photo")
def product_photo(product_id: int):
    """A product's photo, for everyone who may see the product's shop."""
    product = _product_or_404(product_id)
    if not product.photo or not photos.NAME.match(product.photo):
        abort(404)
    response = send_from_directory(photos.folder(), product.photo, mimetype="image/jpeg",
                                   max_age=86400)
    response.cache_control.private = True  # each new photo has a new name (?v= in its URL)
    return response


@bp.route("/shop/catalogue")
@permission_required("shop.catalogue_read")
def catalogue_page():
    """The household's shop: products on sale, prices, and which it can afford now."""
    household = scope.own_household_or_404(current_user)
    shops = scope.shops_for(current_user)
    if not shops:
        return render_template("shop/catalogue.html", shop=None, household=household, products=[])
    shop = shop_arg()
    items = catalogue.products(shop.id, active_only=True)
    return render_template("shop/catalogue.html", shop=shop, shops=shops, household=household,
                           products=items)
