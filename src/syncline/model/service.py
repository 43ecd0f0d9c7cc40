"""Service: cases (tickets), time entries and periodic service agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from syncline.model.base import CanonicalEntity, Money, Quantity, UtcDateTime


class CaseType(StrEnum):
    QUESTION = "question"
    WARRANTY = "warranty"
    DEFECT = "defect"
    COMPLAINT = "complaint"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ServiceCase(CanonicalEntity):
    """A customer's service case. Service levels stay in the CRM; ``erp_state`` comes back
    from the ERP's complaint."""

    entity_name: ClassVar[str] = "service_case"
    references: ClassVar[dict[str, str]] = {
        "party_id": "party",
        "contact_id": "contact",
        "product_id": "product",
    }

    title: str = Field(min_length=1)
    description: str = ""
    party_id: str | None = None
    contact_id: str | None = None
    case_type: CaseType = CaseType.QUESTION
    priority: CasePriority = CasePriority.NORMAL
    status: str = "new"
    sla_due: UtcDateTime | None = None
    product_id: str | None = None
    product_code: str | None = None
    order_number: str | None = None
    erp_reference: str | None = None
    erp_state: str | None = None


class TimeEntry(CanonicalEntity):
    """Time a person spent for a customer. ``minutes`` is the duration in whole minutes."""

    entity_name: ClassVar[str] = "time_entry"
    references: ClassVar[dict[str, str]] = {"party_id": "party", "case_id": "service_case"}

    party_id: str | None = None
    project: str | None = None
    phase: str | None = None
    case_id: str | None = None
    work_date: date
    minutes: int = Field(ge=0)
    billable: bool = True
    description: str = ""
    employee: str | None = None
    recorded_at: UtcDateTime | None = None

    def hours(self) -> Decimal:
        return Decimal(self.minutes) / Decimal(60)


class BillingPeriod(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class ServiceAgreement(CanonicalEntity):
    """A periodic service (maintenance, support plan) billed every ``period``."""

    entity_name: ClassVar[str] = "service_agreement"
    references: ClassVar[dict[str, str]] = {"party_id": "party", "product_id": "product"}

    number: str | None = None
    party_id: str | None = None
    product_id: str | None = None
    product_code: str | None = None
    description: str = ""
    period: BillingPeriod = BillingPeriod.MONTHLY
    quantity: Quantity = Decimal(1)
    price: Money
    start_date: date
    end_date: date | None = None
    active: bool = True
