"""API calls of the points shop: a household's payment code, the catalogue, a sale at the counter."""
from flask_babel import gettext as _

from app.access import permissions
from app.api import bp, schemas
from app.api.spec import operation
from app.errors import Conflict, NotAllowed
from app.shop import checkout, codes
from app.shop.catalogue import services as catalogue
from app.shop.counter import services as counter


def _same_code(payment_code_id, text: str) -> bool:
    """True when `text` (scanned or typed) is the code that paid for a sale."""
    return counter.code_id(text) == payment_code_id


@operation(bp, "POST", "/payment-codes", "A new payment code", responses={201: schemas.PaymentCodeOut})
def payment_code_create(actor):
    """For the household's own phone: single use, valid about a minute. `code` is what the QR
    carries; `number` is the same code as 12 digits to type."""
    made = codes.issue(actor)
    return schemas.PaymentCodeOut(code=made["secret"], number=made["number"],
                                  expires_at=made["expires_at"]), 201


@operation(bp, "GET", "/products", "The shop's products", responses={200: schemas.ProductsOut})
def products_list(actor):
    """The products on sale at the shop keeper's own shop, or at the household's village shop."""
    if not (permissions.may(actor, "shop.counter") or permissions.may(actor, "shop.catalogue_read")):
        raise NotAllowed(_("Your account may not do this."))
    shop = catalogue.shop_for(actor)
    return schemas.ProductsOut([schemas.ProductOut(id=p.id, name=p.name, points=p.points, stock=p.stock)
                                for p in catalogue.products(shop.id, active_only=True)]), 200


@operation(bp, "POST", "/redemptions", "Sell a basket for a payment code", body=schemas.RedemptionIn,
           responses={201: schemas.RedemptionOut}, errors=(409, 422))
def redemption_create(actor, body: schemas.RedemptionIn):
    """Claim the code, debit the points and take the stock in one transaction: a used, expired or
    unknown code is 409; too few points or too little stock is 422 and changes nothing. The same
    key and basket again answer with the first sale."""
    permissions.require(actor, "shop.counter")
    key = f"api:{actor.id}:{body.idempotency_key}" if body.idempotency_key else None
    items = [{"product_id": i.product_id, "quantity": i.quantity} for i in body.items]
    sale = checkout.sell(actor, items, idempotency_key=key, code=body.code)
    if sale.replayed:  # the key was seen before: it must have been this very request
        if sale.lines != checkout.quantities(items) or not _same_code(sale.payment_code_id, body.code):
            raise Conflict(_("This request key was already used for a different request."),
                           code="idempotency_key_reused")
    return schemas.RedemptionOut(id=sale.id, household_id=sale.household_id, points=sale.points,
                                 balance_after=sale.balance_after), 201
