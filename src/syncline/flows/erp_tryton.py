"""The ERP side of the flows on Tryton.

Records go through the Tryton connector (its canonical mappings and serialised writes). Three
needs have no connector call and use its JSON-RPC client:

- ERP pricing: ``sale.line.on_change_product`` answers the unit price Tryton itself would put
  on a sale line for that customer, product and quantity (list price, price lists, units);
- finding a party by code, VAT id or name, and a sale by the flow's idempotency marker;
- listing the shipments done since a date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from syncline.connectors.base import NativeRecord, WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import PermanentError
from syncline.flows.ports import CatalogueItem, OrderStatus, Record, Stock
from syncline.model import (
    BillingDocument,
    Order,
    OrderState,
    Party,
    PartyRole,
    Product,
    ProductGroup,
    ServiceCase,
    Shipment,
    TimeEntry,
)

ALL = {"active_test": False}


def _one(records: list[NativeRecord]) -> NativeRecord | None:
    return records[0] if records and records[0].data is not None else None


def marker_text(marker: str) -> str:
    """How an idempotency marker appears in a sale's description."""
    return f"[{marker}]"


class TrytonSide:
    """Tryton as the flows' ERP (implements ``ErpSide``)."""

    def __init__(self, connector: TrytonConnector) -> None:
        self.connector = connector
        self.client = connector.client
        self.system = connector.system

    def _write(self, entity: str, request: WriteRequest) -> str:
        result = self.connector.write(entity, [request])[0]
        if result.error is not None:
            raise result.error
        if result.native_id is None:
            raise PermanentError(f"Tryton wrote no {entity}", system=self.system)
        return result.native_id

    # -- parties ---------------------------------------------------------------------------

    def party(self, party_id: str) -> Record[Party] | None:
        found = _one(self.connector.read("party", [party_id]))
        if found is None or not isinstance(found.data, Party):
            return None
        return Record(found.native_id, found.data)

    def debtors(self, roles: Sequence[str]) -> list[Record[Party]]:
        ids = self.client.search(
            "party.party",
            [("categories.name", "in", list(roles))],
            order=[("id", "ASC")],
            context=ALL,
        )
        return [
            Record(r.native_id, r.data)
            for r in self.connector.read("party", [str(i) for i in ids])
            if isinstance(r.data, Party)
        ]

    def find_party(self, party: Party) -> Record[Party] | None:
        domains: list[list[Any]] = []
        number = party.numbers.get(self.system) or party.numbers.get("erp")
        if number:
            domains.append([("code", "=", number)])
        if party.vat_id:
            domains.append([("identifiers.code", "=", party.vat_id)])
        domains.append([("name", "=", party.name)])
        for domain in domains:
            ids = self.client.search("party.party", domain, limit=2, order=[("id", "ASC")])
            if ids:
                return self.party(str(ids[0]))
        return None

    def create_party(self, party: Party) -> Record[Party]:
        debtor = party.model_copy(
            update={"roles": [PartyRole.CUSTOMER, PartyRole.DEBTOR], "numbers": {}}
        )
        native_id = self._write(
            "party",
            WriteRequest(
                op=WriteOp.CREATE,
                entity="party",
                idempotency_key=f"debtor:{party.name}",
                data=debtor,
            ),
        )
        created = self.party(native_id)
        if created is None:
            raise PermanentError(f"Tryton lost the new party {native_id}", system=self.system)
        return created

    # -- catalogue and prices --------------------------------------------------------------

    def catalogue(self) -> dict[str, CatalogueItem]:
        ids = self.client.search(
            "product.product", [("template.salable", "=", True)], order=[("id", "ASC")], context=ALL
        )
        products = self.products([str(i) for i in ids])
        group_ids = sorted({p.group_id for p in products.values() if p.group_id})
        groups = {
            r.native_id: r.data.name
            for r in self.connector.read("product_group", group_ids)
            if isinstance(r.data, ProductGroup)
        }
        return {
            i: CatalogueItem(p, groups.get(p.group_id) if p.group_id else None)
            for i, p in products.items()
        }

    def billing_documents(self, since: date) -> dict[str, BillingDocument]:
        ids = [
            str(i)
            for i in self.client.search(
                "account.invoice",
                [("type", "=", "out"), ("state", "in", ["posted", "paid", "cancelled"]),
                 ("invoice_date", ">=", since)],
                order=[("id", "ASC")],
            )
        ]  # fmt: skip
        return self._documents(ids)

    def _documents(self, ids: Sequence[str]) -> dict[str, BillingDocument]:
        found: dict[str, BillingDocument] = {}
        for entity in ("invoice", "credit_note"):  # each mapping keeps only its own sign
            for record in self.connector.read(entity, list(ids)):
                if isinstance(record.data, BillingDocument):
                    found[record.native_id] = record.data
        return found

    def billing_document(self, document_id: str) -> BillingDocument | None:
        return self._documents([document_id]).get(document_id)

    def find_complaint(self, marker: str) -> str | None:
        ids = self.client.search(
            "sale.complaint",
            [("description", "like", f"%{marker_text(marker)}")],
            order=[("id", "ASC")],
        )
        return str(ids[0]) if ids else None

    def file_complaint(self, case: ServiceCase, marker: str) -> str:
        text = "\n".join(
            part
            for part in (
                case.description,
                f"Product: {case.product_code}" if case.product_code else "",
                marker_text(marker),
            )
            if part
        )
        return self._write(
            "service_case",
            WriteRequest(
                op=WriteOp.CREATE,
                entity="service_case",
                idempotency_key=marker,
                # The ERP customer is the order's (the CRM case names a CRM account).
                data=case.model_copy(update={"description": text, "party_id": None}),
            ),
        )

    def complaint(self, complaint_id: str) -> ServiceCase | None:
        found = _one(self.connector.read("service_case", [complaint_id]))
        return found.data if found is not None and isinstance(found.data, ServiceCase) else None

    def find_timesheet_line(self, marker: str) -> str | None:
        ids = self.client.search(
            "timesheet.line",
            [("description", "like", f"%{marker_text(marker)}")],
            order=[("id", "ASC")],
        )
        return str(ids[0]) if ids else None

    def book_time(self, entry: TimeEntry, marker: str) -> str:
        text = f"{entry.description} {marker_text(marker)}".strip()
        return self._write(
            "time_entry",
            WriteRequest(
                op=WriteOp.CREATE,
                entity="time_entry",
                idempotency_key=marker,
                data=entry.model_copy(update={"description": text}),
            ),
        )

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return {
            r.native_id: r.data
            for r in self.connector.read("product", list(product_ids))
            if isinstance(r.data, Product)
        }

    def product_ids_by_code(self, codes: Sequence[str]) -> dict[str, str]:
        if not codes:
            return {}
        rows = self.client.search_read(
            "product.product", [("code", "in", list(codes))], ["code"], context=ALL
        )
        return {str(r["code"]): str(r["id"]) for r in rows if r.get("code")}

    def sale_prices(self, party_id: str, lines: Sequence[tuple[str, Decimal]]) -> list[Decimal]:
        currency = self.connector.lookups.currencies.require(
            self.connector.lookups.company_currency(), "currency"
        )
        units = {
            int(r["id"]): r["default_uom"]
            for r in self.client.read(
                "product.product", sorted({int(p) for p, _ in lines}), ["default_uom"], context=ALL
            )
        }
        prices = []
        for product, quantity in lines:
            changes = self.client.model(
                "sale.line",
                "on_change_product",
                {
                    "type": "line",
                    "product": int(product),
                    "quantity": float(quantity),
                    "unit": units.get(int(product)),
                    # the sale's company: Tryton reads company-dependent party values for it
                    "_parent_sale.company": self.client.context.get("company"),
                    "_parent_sale.party": int(party_id) if party_id else None,
                    "_parent_sale.currency": currency,
                    "_parent_sale.sale_date": None,
                },
            )
            price = changes.get("unit_price") if isinstance(changes, dict) else None
            if not isinstance(price, Decimal):
                raise PermanentError(
                    f"Tryton has no sale price for product {product}; set its list price",
                    system=self.system,
                )
            prices.append(price)
        return prices

    # -- orders ----------------------------------------------------------------------------

    def find_order(self, marker: str) -> str | None:
        ids = self.client.search(
            "sale.sale",
            [("description", "like", f"%{marker_text(marker)}")],
            order=[("id", "ASC")],
            context=ALL,
        )
        return str(ids[0]) if ids else None

    def create_order(self, order: Order, marker: str) -> str:
        text = f"{order.description or ''} {marker_text(marker)}".strip()
        draft = order.model_copy(update={"state": OrderState.QUOTATION, "description": text})
        order_id = self._write(
            "order",
            WriteRequest(op=WriteOp.CREATE, entity="order", idempotency_key=marker, data=draft),
        )
        if order.planned_ship_date is not None:
            # The customer's requested date; Tryton plans the lines' shipping from it.
            self.client.write(
                "sale.sale", [int(order_id)], {"shipping_date": order.planned_ship_date}
            )
        return order_id

    def confirm_order(self, order_id: str) -> None:
        current = self.order(order_id)
        if current is None:
            raise PermanentError(f"Tryton has no sale {order_id}", system=self.system)
        if current.data.state is not OrderState.QUOTATION:
            return
        self._write(
            "order",
            WriteRequest(
                op=WriteOp.UPDATE,
                entity="order",
                idempotency_key=f"confirm:{order_id}",
                native_id=order_id,
                data=current.data.model_copy(update={"state": OrderState.CONFIRMED}),
                fields=frozenset({"state"}),
            ),
        )

    def order(self, order_id: str) -> Record[Order] | None:
        found = _one(self.connector.read("order", [order_id]))
        if found is None or not isinstance(found.data, Order):
            return None
        return Record(found.native_id, found.data)

    def order_status(self, order_id: str) -> OrderStatus:
        current = self.order(order_id)
        if current is None or current.data.number is None:
            raise PermanentError(f"Tryton has no numbered sale {order_id}", system=self.system)
        planned = current.data.planned_ship_date
        if planned is None:
            # No requested date: the earliest date Tryton planned for a line.
            rows = self.client.search_read(
                "sale.line", [("sale", "=", int(order_id))], ["shipping_date"]
            )
            dates = [r["shipping_date"] for r in rows if isinstance(r.get("shipping_date"), date)]
            planned = min(dates) if dates else None
        return OrderStatus(current.data.number, current.data.state.value, planned)

    # -- stock and shipments ---------------------------------------------------------------

    def stock(self, product_ids: Sequence[str], at: date) -> list[Stock]:
        today = self.connector.insight.stock(list(product_ids), self.connector.insight.today())
        later = {s.product_id: s for s in self.connector.insight.stock(list(product_ids), at)}
        return [
            Stock(
                product_id=s.product_id,
                at=at,
                on_hand=s.on_hand,
                forecast=later[s.product_id].forecast if s.product_id in later else s.forecast,
            )
            for s in today
        ]

    def shipments_done_since(self, since: date) -> list[Record[Shipment]]:
        ids = self.client.search(
            "stock.shipment.out",
            [("state", "=", "done"), ("effective_date", ">=", since)],
            order=[("id", "ASC")],
        )
        return [
            Record(r.native_id, r.data)
            for r in self.connector.read("shipment", [str(i) for i in ids])
            if isinstance(r.data, Shipment)
        ]


__all__ = ["TrytonSide", "marker_text"]
