"""Shops behind the counter: open one, the villages it serves, its shop keepers' accounts."""
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import lookup, permissions, scope
from app.access.permissions import permission_required
from app.accounts.reads import site_qr
from app.extensions import db
from app.models import Region, Shop
from app.shop import bp
from app.shop.shops import services as shops
from app.shop.shops.forms import KeeperForm, OpenShopForm, RenameShopForm, ShopButtonForm
from app.views_util import attempt, db_id, flash_errors

MAX_VILLAGE_CHOICES = 300  # beyond this an official opens a shop from the village's township


def _shop_or_404(shop_id: int):
    return lookup.found_or_404(shops.shop_or_404, current_user, shop_id)


def _village_choices() -> list[tuple[int, str]]:
    """Villages in the user's scope where it may open a shop and none is open yet."""
    has_shop = sa.select(Shop.village_id).where(Shop.active.is_(True))
    query = scope.villages_query(current_user).where(Region.active.is_(True),
                                                     Region.id.not_in(has_shop))
    township = request.args.get("township")
    if township:
        try:
            query = query.where(Region.parent_id == db_id(township))
        except ValueError:
            abort(404)
    villages = db.session.scalars(query.order_by(Region.path).limit(MAX_VILLAGE_CHOICES)).all()
    return [(v.id, v.name) for v in villages if permissions.may(current_user, "shop.open", v.id)]


@bp.route("/shop/shops")
@permission_required("shop.shops")
def shops_index():
    """The shops of the user's village or region, and opening a new one."""
    page = shops.shops_page(current_user, request.args.get("after"), current_app.config["PAGE_SIZE"])
    form = OpenShopForm()
    form.village_id.choices = _village_choices()
    return render_template("shop/shops.html", page=page, form=form)


@bp.route("/shop/shops/new", methods=["POST"])
@permission_required("shop.shops")
def shop_open():
    """Open a shop in a village."""
    form = OpenShopForm()
    form.village_id.choices = _village_choices()
    if form.validate_on_submit():
        shop = attempt(shops.open_shop, current_user, form.village_id.data, form.name.data,
                       done=_("Shop opened. Give it a shop keeper's account and products."))
        if shop:
            return redirect(url_for(".shop_settings", shop_id=shop.value.id))
    else:
        flash_errors(form)
    return redirect(url_for(".shops_index"))


def _settings_page(shop, **forms):
    may_serve = [v for v in shops.neighbours(shop)
                 if v.id != shop.village_id and permissions.may(current_user, "shop.serve", v.id)]
    return render_template(
        "shop/shop_settings.html", shop=shop, served=shops.served(shop), may_serve=may_serve,
        keepers=shops.keepers(shop), rename_form=forms.get("rename") or RenameShopForm(name=shop.name),
        keeper_form=forms.get("keeper") or KeeperForm(), button=ShopButtonForm(),
        may_run=permissions.may(current_user, "shop.open", shop.village_id),
        may_stock=permissions.may(current_user, "shop.manage", shop))


@bp.route("/shop/shops/<int:shop_id>", methods=["GET", "POST"])
@permission_required("shop.shops")
def shop_settings(shop_id: int):
    """A shop's name, the villages it serves and its keepers; POST renames it."""
    shop = _shop_or_404(shop_id)
    form = RenameShopForm()
    if request.method == "POST":
        if form.validate_on_submit():
            if attempt(shops.rename, current_user, shop.id, form.name.data, done=_("Saved.")):
                return redirect(url_for(".shop_settings", shop_id=shop.id))
        return _settings_page(shop, rename=form), 422
    return _settings_page(shop)


@bp.route("/shop/shops/<int:shop_id>/villages", methods=["POST"])
@permission_required("shop.shops")
def shop_villages(shop_id: int):
    """Which of its township's villages the shop serves (an official above them decides)."""
    shop = _shop_or_404(shop_id)
    if ShopButtonForm().validate_on_submit():
        try:
            ids = [db_id(v) for v in request.form.getlist("village_id")]
        except ValueError:
            flash(_("Choose villages of the shop's township."), "danger")
        else:
            attempt(shops.set_served, current_user, shop.id, ids, done=lambda served: _(
                "The shop now serves %(count)d village(s).", count=len(served)))
    return redirect(url_for(".shop_settings", shop_id=shop.id))


@bp.route("/shop/shops/<int:shop_id>/keepers", methods=["POST"])
@permission_required("shop.shops")
def shop_keeper_add(shop_id: int):
    """A new keeper account; its one-time password is shown once, on a printable slip."""
    shop = _shop_or_404(shop_id)
    form = KeeperForm()
    if form.validate_on_submit():
        slip = attempt(shops.add_keeper, current_user, shop.id, form.display_name.data,
                       field=form.display_name)
        if slip:
            return render_template("accounts/slips.html", slips=[slip.value], region=shop.village,
                                   qr=site_qr(), site=url_for("auth.login", _external=True))
    return _settings_page(shop, keeper=form), 422


@bp.route("/shop/shops/<int:shop_id>/keepers/<int:user_id>/<any(off, on):state>", methods=["POST"])
@permission_required("shop.shops")
def shop_keeper_active(shop_id: int, user_id: int, state: str):
    """Switch a keeper's account off when they leave, or on again."""
    shop = _shop_or_404(shop_id)
    if ShopButtonForm().validate_on_submit():
        attempt(shops.set_keeper_active, current_user, shop.id, user_id, state == "on",
                done=lambda keeper: _("%(name)s can sign in again.", name=keeper.username)
                if keeper.active else _("%(name)s can no longer sign in.", name=keeper.username))
    return redirect(url_for(".shop_settings", shop_id=shop.id))
