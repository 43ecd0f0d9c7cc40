"""What flows ask of the CRM and of the ERP, in canonical terms.

Flows are written against these two protocols, never against a vendor's field names. The
adapters that implement them for BottleCRM and Tryton live next to this module and talk to
the systems through the connectors (and, where a connector has no call for a flow's need,
through the connector's own API client).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from syncline.model import (
    BillingDocument,
    CanonicalEntity,
    Opportunity,
    Order,
    Party,
    Product,
    Quote,
    ServiceAgreement,
    ServiceCase,
    Shipment,
    TimeEntry,
)

E = TypeVar("E", bound=CanonicalEntity)


@dataclass(frozen=True)
class Record(Generic[E]):
    """One record of one system: its native id and its canonical form."""

    id: str
    data: E


@dataclass(frozen=True)
class OrderStatus:
    """What the CRM deal learns about its ERP order."""

    number: str
    state: str
    planned_ship_date: date | None


@dataclass(frozen=True)
class Stock:
    """Quantities of one ERP product in its sales unit: on hand today and forecast at ``at``."""

    product_id: str
    at: date
    on_hand: Decimal
    forecast: Decimal


@dataclass(frozen=True)
class Notice:
    """An activity on a CRM account or deal that points at an ERP document (``reference`` is
    its ERP number) instead of copying it."""

    reference: str
    summary: str
    account_id: str | None = None
    deal_id: str | None = None
    document_url: str | None = None
    due: date | None = None


@dataclass(frozen=True)
class CatalogueItem:
    """A catalogue product with the name of its product group (None: no group)."""

    product: Product
    group: str | None = None


class CrmSide(Protocol):
    """The CRM as the flows see it."""

    system: str

    def won_deals(self) -> list[Record[Opportunity]]:
        """Deals marked won (with ``discount_approved`` and the ERP order fields)."""

    def deal(self, deal_id: str) -> Record[Opportunity] | None:
        """One deal, or None when it no longer exists."""

    def accepted_quote(self, deal_id: str) -> Record[Quote] | None:
        """The deal's accepted quote (the newest one when there are several), or None."""

    def account(self, account_id: str) -> Record[Party] | None:
        """One account, or None when it no longer exists."""

    def accounts(self) -> list[Record[Party]]:
        """Every account (archived ones included)."""

    def create_account(self, party: Party) -> str:
        """Create an account from ``party`` (ERP number included); returns its id."""

    def update_account(self, account_id: str, party: Party, fields: frozenset[str]) -> None:
        """Write the canonical ``fields`` of ``party`` onto the account."""

    def catalogue(self) -> dict[str, CatalogueItem]:
        """Every CRM catalogue product (archived included) by id."""

    def catalogue_item(self, product_id: str) -> CatalogueItem | None:
        """One catalogue product, or None when it no longer exists."""

    def create_catalogue_item(self, item: CatalogueItem) -> str:
        """Create the product (with its group); returns its id."""

    def update_catalogue_item(self, product_id: str, item: CatalogueItem) -> None:
        """Overwrite the product's fields and group with ``item``'s."""

    def billing_documents(self) -> dict[str, BillingDocument]:
        """Every invoice and credit note copied from the ERP, by CRM id."""

    def billing_document(self, document_id: str) -> BillingDocument | None:
        """One invoice or credit note, or None when it no longer exists."""

    def create_billing_document(self, document: BillingDocument) -> str:
        """Create the read-only copy of an ERP invoice or credit note; returns its id."""

    def update_billing_document(self, document_id: str, document: BillingDocument) -> None:
        """Overwrite the copy with ``document`` (lines included)."""

    def service_cases(self) -> dict[str, ServiceCase]:
        """Every service case by id."""

    def service_case(self, case_id: str) -> ServiceCase | None:
        """One case, or None when it no longer exists."""

    def report_complaint(self, case_id: str, reference: str, state: str) -> None:
        """Write the ERP complaint's number and state onto the case."""

    def service_agreements(self) -> dict[str, list[ServiceAgreement]]:
        """Every service agreement by id, as its billable positions (one per line)."""

    def time_entries(self, phase_field: str | None = None) -> list[TimeEntry]:
        """Every finished time entry (on cases and projects). ``phase`` is the task the time
        was logged on: its title, or with ``phase_field`` its value of that custom field."""

    def set_erp_number(self, account_id: str, number: str) -> str | None:
        """Write the ERP debtor number onto the account; returns the number it had before."""

    def write_order_status(self, deal_id: str, status: OrderStatus) -> OrderStatus | None:
        """Write the ERP order's number, state and planned ship date onto the deal; returns
        what the deal held before (None when nothing)."""

    def note_on_deal(self, deal_id: str, text: str) -> bool:
        """Add a note to the deal unless it already carries this exact note; True if added."""

    def post_shipment_notice(self, notice: Notice) -> str:
        """Post a shipment activity (idempotent per ERP reference and parent); its id."""

    def deals_with_order(self, order_number: str) -> list[str]:
        """Ids of the deals whose ERP order number is ``order_number``."""


class ErpSide(Protocol):
    """The ERP as the flows see it."""

    system: str

    def party(self, party_id: str) -> Record[Party] | None:
        """One party, or None when it no longer exists."""

    def debtors(self, roles: Sequence[str]) -> list[Record[Party]]:
        """Parties holding any of ``roles`` (``customer``, ``debtor``), archived ones included."""

    def find_party(self, party: Party) -> Record[Party] | None:
        """An existing ERP party for ``party`` by deterministic keys: its ERP number, its VAT
        id, then its exact name."""

    def create_party(self, party: Party) -> Record[Party]:
        """Create the party (as customer and debtor); returns it with its ERP number."""

    def catalogue(self) -> dict[str, CatalogueItem]:
        """Every salable ERP product (archived included) by id, with its group's name."""

    def billing_documents(self, since: date) -> dict[str, BillingDocument]:
        """Customer invoices and credit notes (not drafts) dated on or after ``since``, by id."""

    def billing_document(self, document_id: str) -> BillingDocument | None:
        """One invoice or credit note, or None when it no longer exists."""

    def find_complaint(self, marker: str) -> str | None:
        """The id of the complaint filed earlier with ``marker`` (an idempotency key)."""

    def file_complaint(self, case: ServiceCase, marker: str) -> str:
        """File a complaint about the order ``case.order_number``; returns its id."""

    def complaint(self, complaint_id: str) -> ServiceCase | None:
        """The complaint as a case: ``erp_reference`` (its number) and ``erp_state``."""

    def find_timesheet_line(self, marker: str) -> str | None:
        """The id of the timesheet line booked earlier with ``marker``."""

    def book_time(self, entry: TimeEntry, marker: str) -> str:
        """Book ``entry`` (party, project, day, minutes) as a timesheet line, on the project's
        sub-work (at any depth) that ``entry.phase`` names where there is one; returns its id."""

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        """Products by id (missing ids left out)."""

    def product_ids_by_code(self, codes: Sequence[str]) -> dict[str, str]:
        """ERP product ids by product code (unknown codes left out)."""

    def sale_prices(self, party_id: str, lines: Sequence[tuple[str, Decimal]]) -> list[Decimal]:
        """The ERP's unit price for each ``(product id, quantity)`` sold to the party, in
        the company currency, per the product's sales unit."""

    def find_order(self, marker: str) -> str | None:
        """The id of the sales order created earlier with ``marker`` (an idempotency key)."""

    def create_order(self, order: Order, marker: str) -> str:
        """Create the order as a quotation carrying ``marker``; returns its id."""

    def confirm_order(self, order_id: str) -> None:
        """Confirm the order (a no-op when it is confirmed already)."""

    def order(self, order_id: str) -> Record[Order] | None:
        """One sales order, or None when it no longer exists."""

    def order_status(self, order_id: str) -> OrderStatus:
        """The order's number, state and planned ship date (requested, else planned)."""

    def stock(self, product_ids: Sequence[str], at: date) -> list[Stock]:
        """On hand today and the forecast at ``at`` of each known product."""

    def shipments_done_since(self, since: date) -> list[Record[Shipment]]:
        """Customer shipments in state done with an effective date on or after ``since``."""


__all__ = ["CatalogueItem", "CrmSide", "ErpSide", "Notice", "OrderStatus", "Record", "Stock"]
