"""In-memory CRM and ERP sides for the state machine tests (no servers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from syncline.errors import TransientError
from syncline.flows.ports import CatalogueItem, Notice, OrderStatus, Record, Stock
from syncline.model import (
    BillingDocument,
    Opportunity,
    OpportunityStatus,
    Order,
    OrderState,
    Party,
    Product,
    Quote,
    ServiceAgreement,
    ServiceCase,
    Shipment,
    TimeEntry,
)


@dataclass
class FakeCrm:
    system: str = "crm"
    deals: dict[str, Opportunity] = field(default_factory=dict)
    quotes: dict[str, tuple[str, Quote]] = field(default_factory=dict)  # deal -> (id, quote)
    accounts_store: dict[str, Party] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    statuses: dict[str, OrderStatus] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    products: dict[str, CatalogueItem] = field(default_factory=dict)
    documents: dict[str, BillingDocument] = field(default_factory=dict)
    cases: dict[str, ServiceCase] = field(default_factory=dict)
    entries: list[TimeEntry] = field(default_factory=list)
    phase_fields: list[str | None] = field(default_factory=list)  # asked by time_entries
    agreements: dict[str, list[ServiceAgreement]] = field(default_factory=dict)
    #: Like BottleCRM: a document naming no contact gets this one (None: stays without).
    default_contact: str | None = None

    def won_deals(self) -> list[Record[Opportunity]]:
        return [Record(i, d) for i, d in self.deals.items() if d.status is OpportunityStatus.WON]

    def deal(self, deal_id: str) -> Record[Opportunity] | None:
        found = self.deals.get(deal_id)
        return Record(deal_id, found) if found else None

    def accepted_quote(self, deal_id: str) -> Record[Quote] | None:
        found = self.quotes.get(deal_id)
        return Record(found[0], found[1]) if found else None

    def account(self, account_id: str) -> Record[Party] | None:
        found = self.accounts_store.get(account_id)
        return Record(account_id, found) if found else None

    def accounts(self) -> list[Record[Party]]:
        return [Record(i, p) for i, p in self.accounts_store.items()]

    def create_account(self, party: Party) -> str:
        new_id = f"acc{len(self.accounts_store) + 1}"
        self.accounts_store[new_id] = party
        return new_id

    def update_account(self, account_id: str, party: Party, fields: frozenset[str]) -> None:
        current = self.accounts_store[account_id]
        self.accounts_store[account_id] = current.model_copy(
            update={f: getattr(party, f) for f in fields}
        )

    def catalogue(self) -> dict[str, CatalogueItem]:
        return dict(self.products)

    def billing_documents(self) -> dict[str, BillingDocument]:
        return dict(self.documents)

    def billing_document(self, document_id: str) -> BillingDocument | None:
        return self.documents.get(document_id)

    def _addressed(self, document: BillingDocument) -> BillingDocument:
        if document.contact_id is not None or self.default_contact is None:
            return document
        return document.model_copy(update={"contact_id": self.default_contact})

    def create_billing_document(self, document: BillingDocument) -> str:
        new_id = f"inv{len(self.documents) + 1}"
        self.documents[new_id] = self._addressed(document)
        return new_id

    def update_billing_document(self, document_id: str, document: BillingDocument) -> None:
        self.documents[document_id] = self._addressed(document)

    def service_agreements(self) -> dict[str, list[ServiceAgreement]]:
        return {k: list(v) for k, v in self.agreements.items()}

    def time_entries(self, phase_field: str | None = None) -> list[TimeEntry]:
        self.phase_fields.append(phase_field)
        return list(self.entries)

    def service_cases(self) -> dict[str, ServiceCase]:
        return dict(self.cases)

    def service_case(self, case_id: str) -> ServiceCase | None:
        return self.cases.get(case_id)

    def report_complaint(self, case_id: str, reference: str, state: str) -> None:
        self.cases[case_id] = self.cases[case_id].model_copy(
            update={"erp_reference": reference, "erp_state": state}
        )

    def catalogue_item(self, product_id: str) -> CatalogueItem | None:
        return self.products.get(product_id)

    def create_catalogue_item(self, item: CatalogueItem) -> str:
        new_id = f"prod{len(self.products) + 1}"
        self.products[new_id] = item
        return new_id

    def update_catalogue_item(self, product_id: str, item: CatalogueItem) -> None:
        self.products[product_id] = item

    def set_erp_number(self, account_id: str, number: str) -> str | None:
        party = self.accounts_store[account_id]
        before = party.numbers.get("erp")
        self.accounts_store[account_id] = party.model_copy(update={"numbers": {"erp": number}})
        return before

    def write_order_status(self, deal_id: str, status: OrderStatus) -> OrderStatus | None:
        before = self.statuses.get(deal_id)
        self.statuses[deal_id] = status
        return before

    def note_on_deal(self, deal_id: str, text: str) -> bool:
        notes = self.notes.setdefault(deal_id, [])
        if text in notes:
            return False
        notes.append(text)
        return True

    def post_shipment_notice(self, notice: Notice) -> str:
        if notice not in self.notices:
            self.notices.append(notice)
        return str(self.notices.index(notice))

    def deals_with_order(self, order_number: str) -> list[str]:
        return [i for i, s in self.statuses.items() if s.number == order_number]


@dataclass
class FakeErp:
    system: str = "erp"
    parties: dict[str, Party] = field(default_factory=dict)
    catalogue_store: dict[str, Product] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # product id -> group name
    prices: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[str, tuple[Order, str]] = field(default_factory=dict)  # id -> (order, marker)
    shipments: list[Record[Shipment]] = field(default_factory=list)
    invoices: dict[str, BillingDocument] = field(default_factory=dict)
    complaints: dict[str, tuple[ServiceCase, str]] = field(default_factory=dict)
    timesheet: dict[str, tuple[TimeEntry, str]] = field(default_factory=dict)
    fail_after_create: bool = False  # simulate a crash right after the order was created

    def debtors(self, roles: Sequence[str]) -> list[Record[Party]]:
        return [
            Record(i, p) for i, p in self.parties.items() if {r.value for r in p.roles} & set(roles)
        ]

    def party(self, party_id: str) -> Record[Party] | None:
        found = self.parties.get(party_id)
        return Record(party_id, found) if found else None

    def find_party(self, party: Party) -> Record[Party] | None:
        for i, p in self.parties.items():
            if p.name == party.name:
                return Record(i, p)
        return None

    def create_party(self, party: Party) -> Record[Party]:
        new_id = str(len(self.parties) + 1)
        self.parties[new_id] = party.model_copy(update={"numbers": {"erp": f"D{new_id}"}})
        return Record(new_id, self.parties[new_id])

    def find_timesheet_line(self, marker: str) -> str | None:
        return next((i for i, (_, m) in self.timesheet.items() if m == marker), None)

    def book_time(self, entry: TimeEntry, marker: str) -> str:
        new_id = str(len(self.timesheet) + 1)
        self.timesheet[new_id] = (entry, marker)
        return new_id

    def find_complaint(self, marker: str) -> str | None:
        return next((i for i, (_, m) in self.complaints.items() if m == marker), None)

    def file_complaint(self, case: ServiceCase, marker: str) -> str:
        new_id = str(len(self.complaints) + 1)
        filed = case.model_copy(update={"erp_reference": f"C{new_id}", "erp_state": "draft"})
        self.complaints[new_id] = (filed, marker)
        return new_id

    def complaint(self, complaint_id: str) -> ServiceCase | None:
        found = self.complaints.get(complaint_id)
        return found[0] if found else None

    def billing_documents(self, since: date) -> dict[str, BillingDocument]:
        return {
            i: d for i, d in self.invoices.items() if d.invoice_date and d.invoice_date >= since
        }

    def billing_document(self, document_id: str) -> BillingDocument | None:
        return self.invoices.get(document_id)

    def catalogue(self) -> dict[str, CatalogueItem]:
        return {i: CatalogueItem(p, self.groups.get(i)) for i, p in self.catalogue_store.items()}

    def products(self, product_ids: Sequence[str]) -> dict[str, Product]:
        return {i: self.catalogue_store[i] for i in product_ids if i in self.catalogue_store}

    def product_ids_by_code(self, codes: Sequence[str]) -> dict[str, str]:
        return {p.code: i for i, p in self.catalogue_store.items() if p.code in codes}

    def sale_prices(self, party_id: str, lines: Sequence[tuple[str, Decimal]]) -> list[Decimal]:
        return [self.prices[p] for p, _ in lines]

    def find_order(self, marker: str) -> str | None:
        return next((i for i, (_, m) in self.orders.items() if m == marker), None)

    def create_order(self, order: Order, marker: str) -> str:
        new_id = str(len(self.orders) + 100)
        self.orders[new_id] = (order.model_copy(update={"state": OrderState.QUOTATION}), marker)
        if self.fail_after_create:
            self.fail_after_create = False
            raise TransientError("connection lost after the create", system=self.system)
        return new_id

    def confirm_order(self, order_id: str) -> None:
        order, marker = self.orders[order_id]
        self.orders[order_id] = (order.model_copy(update={"state": OrderState.CONFIRMED}), marker)

    def order(self, order_id: str) -> Record[Order] | None:
        found = self.orders.get(order_id)
        return Record(order_id, found[0]) if found else None

    def order_status(self, order_id: str) -> OrderStatus:
        order = self.orders[order_id][0]
        return OrderStatus(f"SO{order_id}", order.state.value, date(2026, 12, 1))

    def stock(self, product_ids: Sequence[str], at: date) -> list[Stock]:
        return [Stock(p, at, Decimal(5), Decimal(5)) for p in product_ids]

    def shipments_done_since(self, since: date) -> list[Record[Shipment]]:
        return [
            s for s in self.shipments
            if s.data.effective_date is not None and s.data.effective_date >= since
        ]  # fmt: skip
