"""The sales pipeline: opportunities (deals), quotes (estimates) and orders with lines.

Up to the order the work happens in the CRM; from the order on, in the ERP.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from syncline.model.base import (
    CanonicalEntity,
    CurrencyCode,
    ExactDecimal,
    Money,
    Quantity,
    UtcDateTime,
)


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Opportunity(CanonicalEntity):
    """A deal in the CRM pipeline. The order fields are written back from the ERP."""

    entity_name: ClassVar[str] = "opportunity"
    references: ClassVar[dict[str, str]] = {"party_id": "party", "contact_id": "contact"}

    name: str = Field(min_length=1)
    party_id: str | None = None
    contact_id: str | None = None
    stage: str = ""
    status: OpportunityStatus = OpportunityStatus.OPEN
    amount: Money | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    expected_close: date | None = None
    discount_approved: bool = False
    order_number: str | None = None
    order_state: str | None = None
    planned_ship_date: date | None = None
    description: str | None = None


class DocumentLine(CanonicalEntity):
    """A line of a quote, order, invoice or credit note. Prices are per ``unit``; ``discount``
    is a percentage (0-100)."""

    entity_name: ClassVar[str] = "document_line"
    references: ClassVar[dict[str, str]] = {"product_id": "product"}

    product_id: str | None = None
    product_code: str | None = None
    description: str = ""
    quantity: Quantity = Decimal(1)
    unit: str = "u"
    unit_price: ExactDecimal = Decimal(0)
    discount: ExactDecimal = Field(default=Decimal(0), ge=0, le=100)

    def amount(self) -> Decimal:
        """Line amount after discount, in the document's currency."""
        return self.quantity * self.unit_price * (Decimal(100) - self.discount) / Decimal(100)


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Quote(CanonicalEntity):
    """An offer to a customer (BottleCRM: estimate); ``contact_id`` is the person it is
    addressed to."""

    entity_name: ClassVar[str] = "quote"
    references: ClassVar[dict[str, str]] = {
        "party_id": "party",
        "contact_id": "contact",
        "opportunity_id": "opportunity",
    }

    number: str | None = None
    title: str = ""
    party_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    status: QuoteStatus = QuoteStatus.DRAFT
    currency: CurrencyCode = "EUR"
    issue_date: date | None = None
    valid_until: date | None = None
    lines: list[DocumentLine] = Field(default_factory=list)

    def total(self) -> Money:
        return Money(
            amount=sum((ln.amount() for ln in self.lines), Decimal(0)), currency=self.currency
        )

    def max_discount(self) -> Decimal:
        """The largest line discount in percent (0 when there are no lines)."""
        return max((ln.discount for ln in self.lines), default=Decimal(0))


class OrderState(StrEnum):
    DRAFT = "draft"
    QUOTATION = "quotation"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    DONE = "done"
    CANCELLED = "cancelled"


class Order(CanonicalEntity):
    """A customer's sales order (the ERP leads it once it exists); ``contact_id`` is the
    person who ordered."""

    entity_name: ClassVar[str] = "order"
    references: ClassVar[dict[str, str]] = {"party_id": "party", "contact_id": "contact"}

    number: str | None = None
    reference: str | None = None
    party_id: str | None = None
    contact_id: str | None = None
    state: OrderState = OrderState.DRAFT
    currency: CurrencyCode = "EUR"
    order_date: date | None = None
    planned_ship_date: date | None = None
    description: str | None = None
    lines: list[DocumentLine] = Field(default_factory=list)
    confirmed_at: UtcDateTime | None = None

    def total(self) -> Money:
        return Money(
            amount=sum((ln.amount() for ln in self.lines), Decimal(0)), currency=self.currency
        )
