"""The connector contract against a real BottleCRM: quotes, products, invoices, credit notes
and service cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest

from syncline.connectors.base import Connector
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.bottlecrm.cases import LOSSY_FIELDS as CASE_LOSSY
from syncline.connectors.bottlecrm.quotes import LOSSY_FIELDS as QUOTE_LOSSY
from syncline.connectors.contract import ConnectorContract
from syncline.model import (
    BillingDocument,
    CanonicalEntity,
    CasePriority,
    CaseType,
    CreditNote,
    DocumentLine,
    Invoice,
    InvoiceState,
    Money,
    Product,
    Quote,
    ServiceCase,
)
from tests.connectors.bottlecrm.conftest import CrmAccount

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


class DocumentContract(ConnectorContract):
    """Records that belong to an account with a contact."""

    account: CrmAccount

    @pytest.fixture(autouse=True)
    def _account(self, crm_account: CrmAccount) -> None:
        self.account = crm_account

    @pytest.fixture
    def connector(self, bottlecrm_connector: BottleCrmConnector) -> Connector:
        return bottlecrm_connector


def _lines(n: int) -> list[DocumentLine]:
    return [
        DocumentLine(
            product_code=f"X-{n}",
            description="Drehmaschine inkl. Aufstellung",
            quantity=Decimal(2),
            unit_price=Decimal("1250.50"),
            discount=Decimal(10),
        ),
        DocumentLine(
            description="Servicetechniker (h)", quantity=Decimal(6), unit_price=Decimal(95)
        ),
    ]


class TestBottleCrmQuote(DocumentContract):
    entity: ClassVar[str] = "quote"
    lossy_fields: ClassVar[frozenset[str]] = QUOTE_LOSSY

    def sample(self, n: int) -> CanonicalEntity:
        return Quote(
            title=f"Contract Quote {n}",
            party_id=self.account.account_id,
            contact_id=self.account.contact_id,
            currency="EUR",
            issue_date=date(2030, 5, 1),
            valid_until=date(2030, 6, 1),
            lines=_lines(n),
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Quote)
        return record.model_copy(
            update={"title": record.title + " (rev. 2)", "lines": record.lines[:1]}
        )

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Quote)  # expiring before it is issued
        return existing.model_copy(update={"valid_until": date(2030, 4, 1)})


class TestBottleCrmProduct(DocumentContract):
    entity: ClassVar[str] = "product"
    lossy_fields: ClassVar[frozenset[str]] = frozenset({"group_id", "unit", "kind"})

    def sample(self, n: int) -> CanonicalEntity:
        return Product(
            code=f"CT-{n}",
            name=f"Contract Fräser {n}",
            list_price=Money(amount=Decimal("38.40"), currency="EUR"),
            description="Schaftfräser Ø6 mm",
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Product)
        price = Money(amount=Decimal("41.00"), currency="EUR")
        return record.model_copy(update={"name": record.name + " HSS", "list_price": price})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Product)  # SKUs are unique per organisation
        return Product(code=existing.code, name="Another product")


def _document(kind: type[BillingDocument], n: int, account: CrmAccount) -> BillingDocument:
    lines = _lines(n)
    untaxed = sum((ln.amount() for ln in lines), Decimal(0)).quantize(Decimal("0.01"))
    tax = (untaxed * Decimal("0.19")).quantize(Decimal("0.01"))
    return kind(
        number=f"R-{n}",
        party_id=account.account_id,
        contact_id=account.contact_id,
        party_number=f"D{n}",
        state=InvoiceState.POSTED,
        invoice_date=date(2030, 5, 1),
        due_date=date(2030, 5, 31),
        origin=f"SO{n}",
        untaxed_amount=untaxed,
        tax_amount=tax,
        total_amount=untaxed + tax,
        amount_to_pay=untaxed + tax,
        lines=lines,
    )


def _without_a_line(record: CanonicalEntity) -> CanonicalEntity:
    assert isinstance(record, BillingDocument)
    untaxed = record.lines[0].amount().quantize(Decimal("0.01"))
    tax = (untaxed * Decimal("0.19")).quantize(Decimal("0.01"))
    return record.model_copy(
        update={
            "lines": record.lines[:1],
            "untaxed_amount": untaxed,
            "tax_amount": tax,
            "total_amount": untaxed + tax,
            "amount_to_pay": untaxed + tax,
            "origin": "SO-changed",
        }
    )


def _overtaxed(existing: CanonicalEntity) -> CanonicalEntity:
    assert isinstance(existing, BillingDocument)  # a tax rate over 100 % is refused
    return existing.model_copy(update={"tax_amount": existing.untaxed_amount * 2})


class TestBottleCrmInvoice(DocumentContract):
    entity: ClassVar[str] = "invoice"

    def sample(self, n: int) -> CanonicalEntity:
        return _document(Invoice, n, self.account)

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        return _without_a_line(record)

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        return _overtaxed(existing)


class TestBottleCrmCreditNote(DocumentContract):
    entity: ClassVar[str] = "credit_note"

    def sample(self, n: int) -> CanonicalEntity:
        return _document(CreditNote, n, self.account)

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        return _without_a_line(record)

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        return _overtaxed(existing)


class TestBottleCrmServiceCase(DocumentContract):
    entity: ClassVar[str] = "service_case"
    lossy_fields: ClassVar[frozenset[str]] = CASE_LOSSY

    def sample(self, n: int) -> CanonicalEntity:
        return ServiceCase(
            title=f"Contract Case {n}",
            description="Spindel läuft heiß",
            party_id=self.account.account_id,
            contact_id=self.account.contact_id,
            case_type=CaseType.WARRANTY,
            priority=CasePriority.HIGH,
            product_code="MAS-011",
            order_number=f"SO{n}",
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, ServiceCase)
        return record.model_copy(
            update={
                "status": "assigned",
                "case_type": CaseType.COMPLAINT,
                "priority": CasePriority.URGENT,
                "erp_reference": "CMP-7",
                "erp_state": "approved",
            }
        )

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, ServiceCase)  # case names are unique, ignoring case
        return existing.model_copy(update={"title": existing.title.upper()})
