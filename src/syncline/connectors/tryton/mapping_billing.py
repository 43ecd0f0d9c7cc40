"""Read-only: customer invoices and credit notes (``account.invoice`` of type ``out``) and
customer shipments (``stock.shipment.out``).

Tryton keeps credit notes as customer invoices with a negative total; canonical credit notes
carry positive amounts and quantities.

Tryton 8.2's ``account.invoice`` has no contact field (``sale.sale`` has one), so a document's
``contact_id`` is read from the sales it was invoiced from, when they all name the same contact;
it is declared unstored, because syncline cannot write it to Tryton.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from syncline.connectors.base import Capture
from syncline.connectors.tryton.client import Domain
from syncline.connectors.tryton.mapping import EntityMapping, Row, ref_id, str_id
from syncline.connectors.tryton.mapping_sales import document_lines
from syncline.model import (
    BillingDocument,
    CanonicalEntity,
    CreditNote,
    Invoice,
    InvoiceState,
    Shipment,
    ShipmentState,
)

INVOICE_LINE_FIELDS = ("invoice", "product", "description", "quantity", "unit", "unit_price")
INVOICE_STATES = {
    "draft": InvoiceState.DRAFT,
    "validated": InvoiceState.DRAFT,
    "posted": InvoiceState.POSTED,
    "paid": InvoiceState.PAID,
    "cancelled": InvoiceState.CANCELLED,
}
SHIPMENT_STATES = {s.value: s for s in ShipmentState} | {"shipped": ShipmentState.PACKED}


class _BillingMapping(EntityMapping):
    model = "account.invoice"
    fields = (
        "number", "party", "state", "currency", "invoice_date", "origins", "untaxed_amount",
        "tax_amount", "total_amount", "amount_to_pay", "lines_to_pay", "create_date",
        "write_date",
    )  # fmt: skip
    capture = frozenset({Capture.CURSOR, Capture.SCAN})
    unstored = frozenset({"contact_id"})
    document: ClassVar[type[BillingDocument]]

    def _contacts(self, ids: Sequence[int]) -> dict[int, str]:
        """The contact of each invoice whose sales all name one and the same contact."""
        if not ids:
            return {}
        invoices = self.client.read(self.model, list(ids), ["sales"])
        sale_ids = sorted({int(s) for r in invoices for s in r.get("sales") or []})
        sales = self.client.read("sale.sale", sale_ids, ["contact"], context={"active_test": False})
        contact_of = {int(s["id"]): ref_id(s.get("contact")) for s in sales}
        found: dict[int, str] = {}
        for row in invoices:
            named = {contact_of.get(int(s)) for s in row.get("sales") or []}
            if len(named) == 1 and (contact := named.pop()) is not None:
                found[int(row["id"])] = str(contact)
        return found

    def _due_dates(self, rows: Sequence[Row]) -> dict[int, date]:
        line_ids = [int(i) for r in rows for i in r.get("lines_to_pay") or []]
        due: dict[int, date] = {}
        if not line_ids:
            return due
        for line in self.client.read("account.move.line", line_ids, ["maturity_date", "move"]):
            when = line.get("maturity_date")
            if isinstance(when, date):
                due[int(line["id"])] = when
        by_invoice: dict[int, date] = {}
        for row in rows:
            dates = [due[int(i)] for i in row.get("lines_to_pay") or [] if int(i) in due]
            if dates:
                by_invoice[int(row["id"])] = min(dates)
        return by_invoice

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        ids = [int(r["id"]) for r in rows]
        lines: dict[int, list[Row]] = defaultdict(list)
        if ids:
            for line in self.client.search_read(
                "account.invoice.line",
                [("invoice", "in", ids), ("type", "=", "line")],
                INVOICE_LINE_FIELDS,
                order=[("sequence", "ASC"), ("id", "ASC")],
            ):
                lines[int(line["invoice"])].append(line)
        party_ids = sorted({p for r in rows if (p := ref_id(r.get("party"))) is not None})
        codes = {
            int(p["id"]): p.get("code")
            for p in self.client.read(
                "party.party", party_ids, ["code"], context={"active_test": False}
            )
        }
        due = self._due_dates(rows)
        contacts = self._contacts(ids)
        result: list[CanonicalEntity] = []
        for r in rows:
            sign = Decimal(-1) if (r.get("total_amount") or 0) < 0 else Decimal(1)
            values: dict[str, Any] = {
                "number": r.get("number") or None,
                "party_id": str_id(r.get("party")),
                "party_number": codes.get(ref_id(r.get("party")) or 0),
                "contact_id": contacts.get(int(r["id"])),
                "state": INVOICE_STATES.get(r["state"], InvoiceState.DRAFT),
                "currency": self.lookups.currencies.code_of(ref_id(r.get("currency"))) or "EUR",
                "invoice_date": r.get("invoice_date"),
                "due_date": due.get(int(r["id"])),
                "origin": r.get("origins") or None,
                "untaxed_amount": sign * (r.get("untaxed_amount") or Decimal(0)),
                "tax_amount": sign * (r.get("tax_amount") or Decimal(0)),
                "total_amount": sign * (r.get("total_amount") or Decimal(0)),
                "amount_to_pay": sign * (r.get("amount_to_pay") or Decimal(0)),
                "lines": document_lines(self, lines[int(r["id"])]),
            }
            result.append(self.document(**values))
        return result


class InvoiceMapping(_BillingMapping):
    entity = "invoice"
    document = Invoice
    domain: ClassVar[Domain] = [("type", "=", "out"), ("total_amount", ">=", 0)]


class CreditNoteMapping(_BillingMapping):
    entity = "credit_note"
    document = CreditNote
    domain: ClassVar[Domain] = [("type", "=", "out"), ("total_amount", "<", 0)]


def _order_numbers(origins: str | None) -> list[str]:
    """Sale numbers from Tryton's origins text (``"SO12 [PO-1], SO13"`` -> SO12, SO13)."""
    numbers = []
    for origin in (origins or "").split(","):
        number = origin.split(" [", 1)[0].strip()
        if number:
            numbers.append(number)
    return sorted(numbers)


class ShipmentMapping(EntityMapping):
    entity = "shipment"
    model = "stock.shipment.out"
    fields = (
        "number", "customer", "state", "planned_date", "effective_date", "reference", "origins",
        "create_date", "write_date",
    )  # fmt: skip

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        base = f"{self.client.settings.url}/#{self.client.settings.database}"
        return [
            Shipment(
                number=r.get("number") or None,
                party_id=str_id(r.get("customer")),
                order_numbers=_order_numbers(r.get("origins")),
                state=SHIPMENT_STATES.get(r["state"], ShipmentState.DRAFT),
                planned_date=r.get("planned_date"),
                effective_date=r.get("effective_date"),
                reference=r.get("reference") or None,
                # A link into Tryton's web client instead of a copy of the document.
                document_url=f"{base}/model/{self.model}/{r['id']}",
            )
            for r in rows
        ]


__all__ = ["CreditNoteMapping", "InvoiceMapping", "ShipmentMapping"]
