"""Invoices, credit notes and shipments: documents the ERP owns and the CRM may see."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from syncline.model.base import CanonicalEntity, CurrencyCode, ExactDecimal
from syncline.model.sales import DocumentLine


class InvoiceState(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    PAID = "paid"
    CANCELLED = "cancelled"


class BillingDocument(CanonicalEntity):
    """What an invoice and a credit note share. Amounts are in ``currency``; ``contact_id``
    is the person the document is addressed to."""

    references: ClassVar[dict[str, str]] = {"party_id": "party", "contact_id": "contact"}

    number: str | None = None
    party_id: str | None = None
    contact_id: str | None = None
    party_number: str | None = None
    state: InvoiceState = InvoiceState.DRAFT
    currency: CurrencyCode = "EUR"
    invoice_date: date | None = None
    due_date: date | None = None
    origin: str | None = None
    untaxed_amount: ExactDecimal = Decimal(0)
    tax_amount: ExactDecimal = Decimal(0)
    total_amount: ExactDecimal = Decimal(0)
    amount_to_pay: ExactDecimal = Decimal(0)
    lines: list[DocumentLine] = Field(default_factory=list)


class Invoice(BillingDocument):
    entity_name: ClassVar[str] = "invoice"


class CreditNote(BillingDocument):
    entity_name: ClassVar[str] = "credit_note"


class ShipmentState(StrEnum):
    DRAFT = "draft"
    WAITING = "waiting"
    ASSIGNED = "assigned"
    PICKED = "picked"
    PACKED = "packed"
    DONE = "done"
    CANCELLED = "cancelled"


class Shipment(CanonicalEntity):
    """A customer shipment. The CRM gets a notice pointing at it, not a copy of its lines."""

    entity_name: ClassVar[str] = "shipment"
    references: ClassVar[dict[str, str]] = {"party_id": "party"}

    number: str | None = None
    party_id: str | None = None
    order_numbers: list[str] = Field(default_factory=list)
    state: ShipmentState = ShipmentState.DRAFT
    planned_date: date | None = None
    effective_date: date | None = None
    reference: str | None = None
    document_url: str | None = None
