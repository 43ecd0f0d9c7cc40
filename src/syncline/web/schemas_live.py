"""API shapes of the customer view, the order entry and the business reports (OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from syncline.web.schemas import Out, SeriesPoint


class CrmAccountOut(Out):
    id: str
    name: str
    erp_number: str | None = Field(description="ERP debtor number kept in the CRM")
    city: str | None
    country: str | None
    emails: list[str]
    phones: list[str]
    currency: str | None


class CrmDealOut(Out):
    id: str
    name: str
    stage: str
    status: str = Field(description="open, won or lost")
    amount: Decimal | None
    currency: str | None
    expected_close: date | None


class InvoiceOut(Out):
    native_id: str
    number: str | None
    invoice_date: date | None
    state: str
    currency: str
    total_amount: Decimal
    amount_to_pay: Decimal


class OpenOrderOut(Out):
    native_id: str
    number: str | None
    state: str
    order_date: date | None
    planned_ship_date: date | None
    currency: str
    total_amount: Decimal


class ErpOverviewOut(Out):
    """The customer's standing in the ERP, amounts in ``currency`` (the company's)."""

    party_id: str
    currency: str
    receivable: Decimal = Field(description="Open items: everything not yet paid")
    overdue: Decimal = Field(description="Open items due by today")
    credit_limit: Decimal | None = Field(description="None when the ERP keeps none")
    revenue_this_year: Decimal
    revenue_last_year: Decimal
    last_invoices: list[InvoiceOut]
    open_orders: list[OpenOrderOut]


class CustomerOut(Out):
    """CRM data beside the live ERP overview. ``erp_as_of`` is when the ERP answered;
    ``erp_stale`` is true when the ERP is down now and the cached answer is shown."""

    account: CrmAccountOut
    deals: list[CrmDealOut]
    erp_party_id: str | None = Field(description="None: no ERP customer linked or numbered")
    erp: ErpOverviewOut | None
    erp_as_of: datetime | None
    erp_stale: bool
    erp_error: str | None


class ErpProductOut(Out):
    id: str
    code: str | None
    name: str
    unit: str
    list_price: Decimal
    goods: bool = Field(description="true: stocked goods; false: a service")


class ProposedLine(Out):
    """A line of the order to be: from the CRM quote, matched to an ERP product, with the
    product's stock on hand and forecast today (None for services and unmatched lines)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    product_id: str | None
    product_name: str | None
    unit: str | None
    on_hand: Decimal | None
    forecast: Decimal | None


class DealContactOut(Out):
    """The deal's contact person and whether the order names it in the ERP."""

    crm_id: str = Field(description="The CRM contact (the deal's first contact)")
    name: str | None = Field(description="First and last name; None when the CRM did not say")
    erp_id: str | None = Field(
        description="The ERP contact the contact map links it to, named on the order; None: "
        "not linked (or no contact map), the order goes without a contact"
    )


class OrderProposalOut(Out):
    account: CrmAccountOut
    deal: CrmDealOut
    erp_party_id: str | None
    contact: DealContactOut | None = Field(
        description="The deal's contact person (direct order entry); None when the deal "
        "names none, or with an order handoff flow (the flow names the quote's contact)"
    )
    lines: list[ProposedLine]
    ship_date: date | None = Field(
        description="First day the ERP's forecast covers every line; None: not within 8 weeks"
    )


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: str = Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")
    quantity: Decimal = Field(gt=0, le=1_000_000, decimal_places=4)
    unit_price: Decimal = Field(ge=0, le=100_000_000, decimal_places=4)
    description: str = Field(default="", max_length=500)


class OrderIn(BaseModel):
    """An order from a CRM deal. ``submission`` makes a retry safe: the same value returns
    the order placed the first time instead of placing another."""

    model_config = ConfigDict(extra="forbid")
    account_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    deal_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    lines: list[OrderLineIn] = Field(
        default_factory=list,
        max_length=100,
        description="The order's lines. With an order handoff flow configured they are not "
        "used: the deal's accepted quote in the CRM is what gets ordered.",
    )
    confirm: bool = Field(default=True, description="true: confirm the order in the ERP")
    submission: str | None = Field(default=None, min_length=8, max_length=64)


class OrderPlacedOut(Out):
    native_id: str = Field(description="The ERP order's id (its number when a flow placed it)")
    number: str | None
    state: str
    planned_ship_date: date | None
    crm_notice_id: str | None = Field(description="The notice on the CRM deal; None: not sent")
    crm_error: str | None


class ConversionOut(Out):
    quotes: int = Field(description="CRM quotes (estimates) written in the period")
    orders: int = Field(description="ERP orders placed (quoted or further) in the period")
    quote_to_order: float | None = Field(description="orders / quotes; None without quotes")
    deals_won: int
    deals_lost: int
    win_rate: float | None = Field(description="won / (won + lost); None without closed deals")


class QualityOut(Out):
    orders: int
    returns: int
    complaints: int
    cases: int = Field(description="CRM service cases opened in the period")
    return_rate: float | None
    complaint_rate: float | None


class WorkloadOut(Out):
    entered: int = Field(description="Orders entered through syncline's order form")
    by_user: dict[str, int]
    per_day: list[SeriesPoint]


class BusinessReportOut(Out):
    """Order volume, conversion, returns and complaints, and order-entry workload. A part is
    None (with its error) when its system did not answer and nothing is cached."""

    days: int
    since: date
    order_volume: list[SeriesPoint] | None
    order_value: Decimal | None
    conversion: ConversionOut | None
    quality: QualityOut | None
    workload: WorkloadOut
    as_of: datetime | None
    stale: bool
    errors: list[str]


__all__ = [
    "BusinessReportOut",
    "ConversionOut",
    "CrmAccountOut",
    "CrmDealOut",
    "CustomerOut",
    "DealContactOut",
    "ErpOverviewOut",
    "ErpProductOut",
    "InvoiceOut",
    "OpenOrderOut",
    "OrderIn",
    "OrderLineIn",
    "OrderPlacedOut",
    "OrderProposalOut",
    "ProposedLine",
    "QualityOut",
    "WorkloadOut",
]
