"""BottleCRM products (the catalogue estimate and invoice lines pick from) <-> ``Product``.

The ERP leads the catalogue; syncline writes it into BottleCRM. ``code`` is the SKU (unique
per organisation), ``list_price`` is price and currency. Not stored: ``group_id`` (BottleCRM's
``category`` is free text, not a reference), ``unit`` and ``kind``; a price of 0 reads as no
list price. BottleCRM sends no webhooks
for products: scan only, versioned by ``updated_at``. Only an organisation admin may change the
catalogue, so the token must belong to an admin.
"""

from __future__ import annotations

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import BottleCrmClient, Json, ListShape
from syncline.connectors.bottlecrm.resources import Resource, clean, decimal_of, limited
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity, Money, Product

LOSSY_FIELDS = frozenset({"group_id", "unit", "kind"})

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("sku",),
    "name": ("name",),
    "list_price": ("price", "currency"),
    "description": ("description",),
    "active": ("is_active",),
}


def product_from_native(record: Json) -> Product:
    """A BottleCRM product as a canonical Product (a product without SKU gets its id)."""
    price = decimal_of(record.get("price"))
    currency = clean(record.get("currency")) or "EUR"
    # BottleCRM stores "no price" as 0.00; read it back as no list price.
    list_price = Money(amount=price, currency=currency) if price else None
    return Product(
        code=clean(record.get("sku")) or str(record.get("id")),
        name=clean(record.get("name")) or str(record.get("id")),
        list_price=list_price,
        description=clean(record.get("description")),
        active=bool(record.get("is_active", True)),
    )


def product_to_native(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The product request body; ``only`` limits it to changed canonical fields."""
    if not isinstance(entity, Product):
        raise TypeError(f"products take a Product, not {type(entity).__name__}")
    payload: Json = {
        "sku": entity.code,
        "name": entity.name,
        "price": str(entity.list_price.amount) if entity.list_price else "0",
        "currency": entity.list_price.currency if entity.list_price else None,
        "description": entity.description or "",
        "is_active": entity.active,
    }
    if entity.list_price is None:
        payload.pop("currency")
    return limited(payload, NATIVE_FIELDS, only)


PRODUCTS = Resource(
    entity="product",
    unstored=frozenset({"group_id", "unit", "kind"}),
    path="invoices/products",
    shapes=(ListShape(("results",), count=("count",)),),
    detail_key=None,
    to_canonical=product_from_native,
    to_native=product_to_native,
    capture=frozenset({Capture.SCAN}),
    writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE}),
    archive={"is_active": False},
    created_id=("product", "id"),
    update_method="PUT",
)


def refuse_taken_sku(client: BottleCrmClient, payload: Json, native_id: str | None) -> None:
    """Raise PermanentError (field ``sku``) when another product already has the payload's SKU.

    BottleCRM's database refuses a duplicate SKU with a bare 500, which would read as a
    transient failure and be retried forever; this check turns it into a clear refusal.
    """
    sku = payload.get("sku")
    if not sku:
        return
    for page in client.pages(PRODUCTS.list_path(), PRODUCTS.shapes, {"search": str(sku)}):
        for row in page:
            if row.get("sku") == sku and str(row.get("id")) != native_id:
                message = f"Product already exists with this SKU: {sku}"
                raise PermanentError(
                    f"BottleCRM rejected the product: {message}",
                    system=client.system,
                    remote_message=message,
                    field="sku",
                )
