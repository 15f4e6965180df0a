"""The points shop: products, stock movements, payment codes and redemptions with their lines.

Stock changes only through StockMovement rows written by app/shop/stock.py together with a
conditional UPDATE of products.stock (never below zero; the database refuses it too).
Points change only through app/ledger/services.py; a redemption points at its ledger entry.
"""
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.household import Household
from app.models.user import User

# reserved/released: stock held for an order-ahead voucher, and given back when it is not picked up.
MOVEMENT_KINDS = ("received", "redeemed", "voided", "counted", "reserved", "released")
VOUCHER_STATUSES = ("held", "redeemed", "cancelled", "expired")
# Where received goods came from.
SOURCES = ("village", "donation", "returned")


class Product(db.Model):
    """A shop item (商品) with a price in points and a stock of whole units."""

    __tablename__ = "products"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    shop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shops.id"))
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    category: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    unit: so.Mapped[str] = so.mapped_column(sa.String(16), default="")
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    stock: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    # At or below this stock the catalogue warns the shop keeper.
    low_stock: so.Mapped[int] = so.mapped_column(sa.Integer, default=5, server_default="5")
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    # A small cleaned JPEG under UPLOAD_FOLDER/photos (app/ledger/photos.py), or none.
    photo: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("shop_id", "name"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("low_stock >= 0", name="low_stock_not_negative"),
    )

    @property
    def is_low(self) -> bool:
        """True when the stock is at or below the warning level."""
        return self.stock <= self.low_stock

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name} {self.points}p x{self.stock}>"


class PaymentCode(db.Model):
    """A household's short-lived, single-use payment code (付款码); only hashes are stored."""

    __tablename__ = "payment_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    number_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    # A shop keeper who read the code holds it for their basket (and extends expires_at).
    held_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # Set when the code was opened by a household card and its PIN, not shown on a phone.
    card_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("household_cards.id"),
                                                         index=True)

    household: so.Mapped[Household] = so.relationship()


class Redemption(db.Model):
    """One checkout (兑换/核销): a household's points for goods, with lines and a ledger entry."""

    __tablename__ = "redemptions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    shop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shops.id"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    balance_after: so.Mapped[int] = so.mapped_column(sa.Integer)
    entry_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("ledger_entries.id"),
                                                          unique=True)
    # Unique: a code pays once; a request key makes one redemption however often it is sent.
    payment_code_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("payment_codes.id"), unique=True)
    idempotency_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128), unique=True)
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    voided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    voided_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    void_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    void_entry_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("ledger_entries.id"), unique=True)

    household: so.Mapped[Household] = so.relationship()
    lines: so.Mapped[list["RedemptionLine"]] = so.relationship(
        back_populates="redemption", order_by="RedemptionLine.id")

    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.Index("ix_redemptions_shop_id_created_at", "shop_id", "created_at"),
    )


class RedemptionLine(db.Model):
    """A product and quantity of a redemption, at the price it was sold for."""

    __tablename__ = "redemption_lines"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    redemption_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("redemptions.id"), index=True)
    product_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("products.id"), index=True)
    quantity: so.Mapped[int] = so.mapped_column(sa.Integer)
    points: so.Mapped[int] = so.mapped_column(sa.Integer)  # per unit

    redemption: so.Mapped[Redemption] = so.relationship(back_populates="lines")
    product: so.Mapped[Product] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("points > 0", name="points_positive"),
    )


class StockMovement(db.Model):
    """One logged change of a product's stock: received, redeemed, voided back or counted."""

    __tablename__ = "stock_movements"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    shop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shops.id"))
    product_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("products.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    quantity: so.Mapped[int] = so.mapped_column(sa.Integer)  # signed change of the stock
    stock_after: so.Mapped[int] = so.mapped_column(sa.Integer)
    source: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    redemption_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("redemptions.id"),
                                                               index=True)
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    product: so.Mapped[Product] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('received','redeemed','voided','counted','reserved','released')",
                           name="kind_known"),
        sa.CheckConstraint("source IS NULL OR source IN ('village','donation','returned')",
                           name="source_known"),
        sa.CheckConstraint("stock_after >= 0", name="stock_after_not_negative"),
        sa.Index("ix_stock_movements_product_id_id", "product_id", "id"),
        sa.Index("ix_stock_movements_shop_id_created_at", "shop_id", "created_at"),
    )


class Voucher(db.Model):
    """An order placed ahead (兑换券): points and stock held until pickup, cancel or expiry.

    Its QR secret and number are HMACs of `nonce` under the app's secret key, so the household
    can show it again on any day while the database alone never reveals them.
    """

    __tablename__ = "vouchers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    shop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shops.id"))
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    nonce: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    number_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    points: so.Mapped[int] = so.mapped_column(sa.Integer)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="held")
    # The redemption entry that holds the points; its reversal gives them back.
    entry_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("ledger_entries.id"),
                                                          unique=True)
    redemption_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("redemptions.id"),
                                                               unique=True)
    idempotency_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128), unique=True)
    created_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    closed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    closed_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))

    household: so.Mapped[Household] = so.relationship()
    lines: so.Mapped[list["VoucherLine"]] = so.relationship(order_by="VoucherLine.id")

    __table_args__ = (
        sa.CheckConstraint("status IN ('held','redeemed','cancelled','expired')", name="status_known"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.Index("ix_vouchers_status_expires_at", "status", "expires_at"),
    )


class VoucherLine(db.Model):
    """A product and quantity held by a voucher, at the price it was ordered for."""

    __tablename__ = "voucher_lines"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    voucher_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("vouchers.id"), index=True)
    product_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("products.id"))
    quantity: so.Mapped[int] = so.mapped_column(sa.Integer)
    points: so.Mapped[int] = so.mapped_column(sa.Integer)

    product: so.Mapped[Product] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("points > 0", name="points_positive"),
    )


CARD_STATUSES = ("active", "locked", "revoked")


class HouseholdCard(db.Model):
    """A printed household card (户卡) for paying without a phone; it always needs the PIN.

    The QR carries a secret derived from `nonce` under the app's secret key (never the household
    id), so the committee can print the card again; only its SHA-256 and the PIN's hash are kept.
    """

    __tablename__ = "household_cards"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    household_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("households.id"), index=True)
    nonce: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    pin_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="active")
    failed_pins: so.Mapped[int] = so.mapped_column(sa.Integer, default=0, server_default="0")
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    issued_by: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    locked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    # The last PIN reset by the committee: when, by whom and why (told to the household).
    pin_reset_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    pin_reset_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id"))
    pin_reset_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="", server_default="")

    household: so.Mapped[Household] = so.relationship()
    pin_reset_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[pin_reset_by_id])

    __table_args__ = (
        sa.CheckConstraint("status IN ('active','locked','revoked')", name="status_known"),
        sa.CheckConstraint("failed_pins >= 0 AND failed_pins <= 5", name="failed_pins_range"),
        # One card in use (active or locked) per household; revoked ones stay as history.
        sa.Index("uq_household_cards_in_use", "household_id", unique=True,
                 sqlite_where=sa.text("status != 'revoked'"),
                 postgresql_where=sa.text("status != 'revoked'")),
    )
