"""``sale.sale`` with its lines <-> Order.

An order is created as a draft and moved along Tryton's workflow to the canonical state
(``quotation``: quote; ``confirmed``: quote and confirm, after which Tryton processes it into
shipments and invoices). Each created line carries the customer taxes Tryton itself would
give it (see ``sale_taxes``); taxes are no canonical field. An update moves the
workflow and may change reference, description and contact (never the lines). ``contact_id``
is the sale's ``contact``: a ``party.contact_mechanism``, which is what a canonical contact is
in Tryton (see ``mapping_contact``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from syncline.connectors.base import WriteOp
from syncline.connectors.tryton.mapping import (
    EntityMapping,
    Row,
    native_id,
    party_addresses,
    ref_id,
    str_id,
)
from syncline.connectors.tryton.sale_taxes import customer_taxes
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity, DocumentLine, Order, OrderState

LINE_FIELDS = ("sale", "product", "description", "quantity", "unit", "unit_price", "sequence")
#: Tryton's button calls that lead from one state to the next.
TRANSITIONS: dict[tuple[OrderState, OrderState], tuple[str, ...]] = {
    (OrderState.DRAFT, OrderState.QUOTATION): ("quote",),
    (OrderState.DRAFT, OrderState.CONFIRMED): ("quote", "confirm"),
    (OrderState.QUOTATION, OrderState.CONFIRMED): ("confirm",),
    (OrderState.QUOTATION, OrderState.DRAFT): ("draft",),
    (OrderState.DRAFT, OrderState.CANCELLED): ("cancel",),
    (OrderState.QUOTATION, OrderState.CANCELLED): ("cancel",),
}


def product_codes(mapping: EntityMapping, rows: Sequence[Row]) -> dict[int, str]:
    """Codes of the products referenced by ``rows`` (one call)."""
    ids = sorted({p for r in rows if (p := ref_id(r.get("product"))) is not None})
    found = mapping.client.read("product.product", ids, ["code"], context={"active_test": False})
    return {int(p["id"]): p["code"] for p in found if p.get("code")}


def document_lines(mapping: EntityMapping, rows: Sequence[Row]) -> list[DocumentLine]:
    """Canonical lines of native sale or invoice lines (``type == 'line'`` only)."""
    codes = product_codes(mapping, rows)
    return [
        DocumentLine(
            product_id=str_id(r.get("product")),
            product_code=codes.get(ref_id(r.get("product")) or 0),
            description=r.get("description") or "",
            quantity=abs(Decimal(str(r.get("quantity") or 0))),
            unit=mapping.lookups.units.code_of(ref_id(r.get("unit"))) or "u",
            unit_price=r.get("unit_price") or Decimal(0),
        )
        for r in rows
    ]


def _product(line: dict[str, Any]) -> int | None:
    return int(line["product"]) if line.get("product") is not None else None


class OrderMapping(EntityMapping):
    entity = "order"
    unstored = frozenset({"confirmed_at"})
    model = "sale.sale"
    fields = (
        "number", "reference", "party", "contact", "state", "currency", "sale_date",
        "shipping_date", "description", "create_date", "write_date",
    )  # fmt: skip
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE})

    _states: dict[int, OrderState]
    _current: dict[int, Row]

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        ids = [int(r["id"]) for r in rows]
        lines: dict[int, list[Row]] = defaultdict(list)
        if ids:
            for line in self.client.search_read(
                "sale.line",
                [("sale", "in", ids), ("type", "=", "line")],
                LINE_FIELDS,
                order=[("sequence", "ASC"), ("id", "ASC")],
            ):
                lines[int(line["sale"])].append(line)
        return [
            Order(
                number=r.get("number") or None,
                reference=r.get("reference") or None,
                party_id=str_id(r.get("party")),
                contact_id=str_id(r.get("contact")),
                state=OrderState(r["state"]),
                currency=self.lookups.currencies.code_of(ref_id(r.get("currency"))) or "EUR",
                order_date=r.get("sale_date"),
                planned_ship_date=r.get("shipping_date"),
                description=r.get("description") or None,
                lines=document_lines(self, lines[int(r["id"])]),
            )
            for r in rows
        ]

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, Order)
        party = native_id(item.party_id, "party_id", self.system)
        if party is None:
            raise PermanentError("an order needs a party", system=self.system, field="party_id")
        # SQLite does not enforce foreign keys: refuse a dangling party ourselves.
        if not self.client.search(
            "party.party", [("id", "=", party)], context={"active_test": False}
        ):
            raise PermanentError(
                f"party {party} does not exist in Tryton", system=self.system, field="party_id"
            )
        invoice_address, shipment_address = party_addresses(self.client, party)
        contact = self._contact(item.contact_id)
        lines = []
        for line in item.lines:
            product = native_id(line.product_id, "product_id", self.system)
            lines.append(
                {
                    "type": "line",
                    "product": product,
                    "description": line.description or None,
                    "quantity": float(line.quantity),
                    "unit": self.lookups.units.require(line.unit, "unit of measure"),
                    "unit_price": line.unit_price,
                }
            )
        return {
            "party": party,
            "contact": contact,
            "invoice_address": invoice_address,
            "shipment_address": shipment_address,
            "reference": item.reference,
            "description": item.description,
            "sale_date": item.order_date,
            "currency": self.lookups.currencies.require(item.currency, "currency"),
            "lines": [("create", lines)],
        }

    def create_records(self, values: Sequence[dict[str, Any]]) -> list[int]:
        """Create the sales in one call, their product lines with Tryton's customer taxes."""
        lines = [
            (line, _product(line), int(sale["party"]))
            for sale in values
            for _, created in sale["lines"]
            for line in created
        ]
        taxes = customer_taxes(self.client, [(product, p) for _, product, p in lines])
        for line, product, party in lines:
            line["taxes"] = [("add", taxes[(product, party)])]
        return super().create_records(values)

    def _contact(self, contact_id: str | None) -> int | None:
        """The contact mechanism id of ``contact_id``; refused when it does not exist (SQLite
        does not enforce foreign keys)."""
        contact = native_id(contact_id, "contact_id", self.system)
        if contact is not None and not self.client.search(
            "party.contact_mechanism", [("id", "=", contact)], context={"active_test": False}
        ):
            raise PermanentError(
                f"contact {contact} does not exist in Tryton",
                system=self.system,
                field="contact_id",
            )
        return contact

    def after_create(self, ids: Sequence[int], items: Sequence[CanonicalEntity]) -> None:
        self._move(
            [(i, OrderState.DRAFT, item.state) for i, item in zip(ids, items, strict=True)
             if isinstance(item, Order)]
        )  # fmt: skip

    def prepare_updates(self, ids: Sequence[int]) -> None:
        rows = self.client.read(self.model, ids, ["state", "reference", "description", "contact"])
        self._states = {int(r["id"]): OrderState(r["state"]) for r in rows}
        self._current = {int(r["id"]): r for r in rows}

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        assert isinstance(item, Order)
        current = self._states[record_id]
        if current != item.state and (current, item.state) not in TRANSITIONS:
            raise PermanentError(
                f"Tryton cannot move sale {record_id} from {current.value} to "
                f"{item.state.value} through syncline",
                system=self.system,
                field="state",
            )
        values: dict[str, Any] = {}
        for name in ("reference", "description"):
            # Tryton refuses writes to fields a state locks, even of an unchanged value.
            have = self._current[record_id].get(name) or None
            if self.wanted(name, fields) and getattr(item, name) != have:
                values[name] = getattr(item, name)
        if self.wanted("contact_id", fields) and item.contact_id != str_id(
            self._current[record_id].get("contact")
        ):
            values["contact"] = self._contact(item.contact_id)
        return {"values": values, "state": item.state}

    def write_records(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
        self.client.write_many(self.model, [([i], c["values"]) for i, c in changes if c["values"]])
        self._move([(i, self._states[i], c["state"]) for i, c in changes])

    def _move(self, moves: Sequence[tuple[int, OrderState, OrderState]]) -> None:
        """Press Tryton's workflow buttons, grouped so each button is one call."""
        steps: dict[str, list[int]] = defaultdict(list)
        order: list[str] = []
        for record_id, current, target in moves:
            if current == target:
                continue
            buttons = TRANSITIONS.get((current, target))
            if buttons is None:
                raise PermanentError(
                    f"Tryton cannot move sale {record_id} from {current.value} to "
                    f"{target.value} through syncline",
                    system=self.system,
                    field="state",
                )
            for button in buttons:
                if button not in order:
                    order.append(button)
                steps[button].append(record_id)
        for button in ("draft", "quote", "confirm", "cancel"):
            if button in order:
                self.client.model(self.model, button, steps[button])


__all__ = ["OrderMapping", "document_lines", "product_codes"]
