"""Line items of BottleCRM estimates and invoices <-> canonical ``DocumentLine``.

A BottleCRM line has ``product`` (id), ``name``, ``description``, ``quantity`` and
``unit_price`` (two decimals each) and a discount that is a percentage or a fixed amount.
``product_code`` is kept in the line's ``name`` (BottleCRM's "item name"; its lines carry no
SKU of their own). Not stored: ``unit`` (BottleCRM lines have no unit of measure; read as
``u``). Quantities and prices with more than two decimals are rounded by BottleCRM.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from syncline.connectors.bottlecrm.client import Json
from syncline.connectors.bottlecrm.resources import clean, decimal_of, id_of
from syncline.model import DocumentLine

CENT = Decimal("0.01")
PERCENTAGE = "PERCENTAGE"


def _discount_percent(native: Json, quantity: Decimal, unit_price: Decimal) -> Decimal:
    value = decimal_of(native.get("discount_value"))
    if value <= 0:
        return Decimal(0)
    if native.get("discount_type") == PERCENTAGE:
        return min(value, Decimal(100))
    gross = quantity * unit_price
    if gross <= 0:
        return Decimal(0)
    # A fixed discount as the percentage of the line it takes off.
    return min((value * 100 / gross).quantize(CENT, ROUND_HALF_UP), Decimal(100))


def line_from_native(native: Json) -> DocumentLine:
    """One BottleCRM line item as a canonical line."""
    quantity = decimal_of(native.get("quantity"), Decimal(1))
    unit_price = decimal_of(native.get("unit_price"))
    return DocumentLine(
        product_id=id_of(native.get("product")),
        product_code=clean(native.get("name")),
        description=str(native.get("description") or ""),
        quantity=quantity,
        unit_price=unit_price,
        discount=_discount_percent(native, quantity, unit_price),
    )


def lines_from_native(record: Json) -> list[DocumentLine]:
    """A document's ``line_items`` in their BottleCRM order."""
    items = record.get("line_items")
    if not isinstance(items, list):
        return []
    ordered = sorted(
        (i for i in items if isinstance(i, dict)), key=lambda i: int(i.get("order") or 0)
    )
    return [line_from_native(i) for i in ordered]


def _plain(value: Decimal) -> str:
    return format(value.quantize(CENT, ROUND_HALF_UP), "f")


def line_to_native(line: DocumentLine, order: int) -> dict[str, Any]:
    """The line item request body for one canonical line."""
    body: dict[str, Any] = {
        "product": line.product_id,
        "name": line.product_code or "",
        "description": line.description[:500],
        "quantity": _plain(line.quantity),
        "unit_price": _plain(line.unit_price),
        "discount_type": PERCENTAGE if line.discount else "",
        "discount_value": _plain(line.discount),
        "order": order,
    }
    return body


def lines_to_native(lines: list[DocumentLine]) -> list[dict[str, Any]]:
    """All lines, numbered in order (BottleCRM replaces a document's lines as a whole)."""
    return [line_to_native(line, i) for i, line in enumerate(lines)]
