"""Default mappings of estimates, products, invoices, cases and time entries, both ways, on
BottleCRM's reply shapes (no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from syncline.connectors.bottlecrm.cases import case_from_native, case_to_native, native_status
from syncline.connectors.bottlecrm.invoices import (
    credit_note_from_native,
    document_to_native,
    invoice_from_native,
    is_credit_note,
    is_invoice,
    lifecycle_action,
    tax_rate,
)
from syncline.connectors.bottlecrm.lines import line_from_native, lines_to_native
from syncline.connectors.bottlecrm.products import product_from_native, product_to_native
from syncline.connectors.bottlecrm.quotes import estimate_to_quote, quote_to_estimate
from syncline.connectors.bottlecrm.time_entries import EntryOwner, time_entry_from_native
from syncline.model import (
    CasePriority,
    CaseType,
    CreditNote,
    DocumentLine,
    Invoice,
    InvoiceState,
    Money,
    Product,
    QuoteStatus,
    ServiceCase,
)

LINE = {
    "id": "l1",
    "product": "p1",
    "product_name": "Drehmaschine D100",
    "name": "MAS-011",
    "description": "Drehmaschine inkl. Aufstellung",
    "quantity": "2.00",
    "unit_price": "18500.00",
    "discount_type": "PERCENTAGE",
    "discount_value": "5.00",
    "order": 1,
}

ESTIMATE = {
    "id": "e1",
    "estimate_number": "EST-20261127-0001",
    "title": "Angebot Schaefer",
    "status": "Viewed",
    "account": {"id": "a1", "name": "Schaefer"},
    "opportunity": {"id": "d1", "name": "Rahmenvertrag"},
    "currency": "EUR",
    "issue_date": "2026-11-27",
    "expiry_date": "2026-12-27",
    "line_items": [
        {**LINE, "id": "l2", "name": None, "product": None, "order": 2, "discount_value": "0"},
        LINE,
    ],
}


def test_line_keeps_product_code_in_the_item_name_and_discount_as_percentage() -> None:
    line = line_from_native(LINE)
    assert line == DocumentLine(
        product_id="p1",
        product_code="MAS-011",
        description="Drehmaschine inkl. Aufstellung",
        quantity=Decimal(2),
        unit_price=Decimal(18500),
        discount=Decimal(5),
    )
    [body] = lines_to_native([line])
    assert body["name"] == "MAS-011" and body["product"] == "p1"
    assert (body["discount_type"], body["discount_value"]) == ("PERCENTAGE", "5.00")
    assert (body["quantity"], body["unit_price"]) == ("2.00", "18500.00")


def test_a_fixed_line_discount_reads_as_the_percentage_it_takes_off() -> None:
    fixed = {**LINE, "discount_type": "FIXED", "discount_value": "3700.00"}
    assert line_from_native(fixed).discount == Decimal(10)


def test_estimate_to_quote_and_back() -> None:
    quote = estimate_to_quote(ESTIMATE)
    assert quote.number == "EST-20261127-0001" and quote.status is QuoteStatus.SENT
    assert (quote.party_id, quote.opportunity_id) == ("a1", "d1")
    assert quote.valid_until == date(2026, 12, 27)
    assert [ln.product_code for ln in quote.lines] == ["MAS-011", None]  # in BottleCRM order
    assert quote.total().amount == Decimal("72150")  # 2*18500*0.95 + 2*18500
    body = quote_to_estimate(quote)
    assert body["account_id"] == "a1" and body["opportunity_id"] == "d1"
    assert body["expiry_date"] == "2026-12-27" and len(body["line_items"]) == 2
    assert "status" not in body and "estimate_number" not in body  # BottleCRM's own


def test_quote_update_of_lines_only_sends_lines() -> None:
    quote = estimate_to_quote(ESTIMATE)
    assert set(quote_to_estimate(quote, frozenset({"lines"}))) == {"line_items"}
    # Moving a quote to another account names a contact again (filled in by the connector).
    assert set(quote_to_estimate(quote, frozenset({"party_id"}))) == {"account_id", "contact_id"}


def test_the_contact_an_estimate_names_is_the_quotes_contact_both_ways() -> None:
    named = {**ESTIMATE, "contact": {"id": "k2", "first_name": "Sven", "last_name": "Deal"}}
    quote = estimate_to_quote(named)
    assert quote.contact_id == "k2"
    assert quote_to_estimate(quote)["contact_id"] == "k2"
    # Only the contact changed: only the contact is sent.
    assert quote_to_estimate(quote, frozenset({"contact_id"})) == {"contact_id": "k2"}
    assert estimate_to_quote(ESTIMATE).contact_id is None


def test_product_both_ways_and_zero_price_reads_as_none() -> None:
    native = {
        "id": "p1",
        "name": "Drehmaschine D100",
        "sku": "MAS-011",
        "price": "18500.00",
        "currency": "EUR",
        "description": None,
        "category": "MASCH",
        "is_active": False,
    }
    product = product_from_native(native)
    assert product == Product(
        code="MAS-011",
        name="Drehmaschine D100",
        list_price=Money(amount=Decimal(18500), currency="EUR"),
        active=False,
    )
    assert product_to_native(product) == {
        "sku": "MAS-011",
        "name": "Drehmaschine D100",
        "price": "18500.00",
        "currency": "EUR",
        "description": "",
        "is_active": False,
    }
    assert product_from_native({**native, "price": "0.00"}).list_price is None
    assert product_to_native(product, frozenset({"active"})) == {"is_active": False}


INVOICE_FIELDS = {
    "erp_document": "invoice",
    "erp_number": "INV/2026/0042",
    "erp_state": "posted",
    "erp_origin": "SO1042",
    "erp_party_number": "3",
}
INVOICE: dict[str, Any] = {
    "id": "i1",
    "invoice_number": "INV-0001",
    "status": "Draft",
    "account": {"id": "a1", "name": "Koch"},
    "currency": "EUR",
    "issue_date": "2026-11-01",
    "due_date": "2026-12-01",
    "subtotal": "200.00",
    "discount_amount": "0.00",
    "tax_amount": "38.00",
    "total_amount": "238.00",
    "amount_due": "238.00",
    "custom_fields": INVOICE_FIELDS,
    "line_items": [{**LINE, "quantity": "1.00", "unit_price": "200.00", "discount_value": "0"}],
}


def test_invoice_copy_both_ways() -> None:
    invoice = invoice_from_native(INVOICE)
    assert (invoice.number, invoice.state, invoice.origin, invoice.party_number) == (
        "INV/2026/0042",
        InvoiceState.POSTED,
        "SO1042",
        "3",
    )
    assert (invoice.untaxed_amount, invoice.tax_amount, invoice.total_amount) == (
        Decimal(200),
        Decimal(38),
        Decimal(238),
    )
    body = document_to_native(invoice)
    assert body["tax_rate"] == "19.00"
    assert body["invoice_title"] == "Invoice INV/2026/0042"
    assert body["custom_fields"]["erp_document"] == "invoice"
    assert body["custom_fields"]["erp_state"] == "posted"
    assert "status" not in body  # BottleCRM moves its status itself


def test_the_contact_an_invoice_names_is_the_documents_contact_both_ways() -> None:
    named = {**INVOICE, "contact": {"id": "k2", "first_name": "Rita", "last_name": "R"}}
    invoice = invoice_from_native(named)
    assert invoice.contact_id == "k2"
    assert document_to_native(invoice)["contact_id"] == "k2"
    assert document_to_native(invoice, frozenset({"contact_id"})) == {"contact_id": "k2"}
    assert credit_note_from_native(named).contact_id == "k2"


def test_credit_notes_and_invoices_share_the_endpoint_but_not_the_records() -> None:
    credit = {
        **INVOICE,
        "custom_fields": {**INVOICE_FIELDS, "erp_document": "credit_note"},
    }
    assert is_credit_note(credit) and not is_invoice(credit)
    assert is_invoice(INVOICE) and is_invoice({"id": "made-in-crm"})  # no marker: an invoice
    note = credit_note_from_native(credit)
    assert isinstance(note, CreditNote) and note.number == "INV/2026/0042"
    body = document_to_native(note)
    assert body["custom_fields"]["erp_document"] == "credit_note"
    assert body["invoice_title"].startswith("Credit note")


def test_bottlecrm_paid_or_cancelled_wins_over_the_written_state() -> None:
    assert invoice_from_native({**INVOICE, "status": "Cancelled"}).state is InvoiceState.CANCELLED
    assert invoice_from_native({**INVOICE, "status": "Paid"}).state is InvoiceState.PAID
    unmarked = {**INVOICE, "custom_fields": {}, "status": "Overdue"}
    assert invoice_from_native(unmarked).state is InvoiceState.POSTED


def test_lifecycle_actions_follow_the_erp_state() -> None:
    paid = Invoice(state=InvoiceState.PAID)
    assert lifecycle_action(paid, {"status": "Draft"}) == "mark-paid"
    assert lifecycle_action(paid, {"status": "Paid"}) is None
    cancelled = Invoice(state=InvoiceState.CANCELLED)
    assert lifecycle_action(cancelled, {"status": "Draft"}) == "cancel"
    assert lifecycle_action(Invoice(state=InvoiceState.POSTED), {"status": "Draft"}) is None


def test_tax_rate_is_tax_over_untaxed() -> None:
    assert tax_rate(Invoice(untaxed_amount=Decimal(300), tax_amount=Decimal(21))) == Decimal("7")
    assert tax_rate(Invoice()) == Decimal(0)


CASE = {
    "id": "c1",
    "name": "Spindel läuft heiß",
    "status": "Assigned",
    "priority": "Urgent",
    "case_type": "Problem",
    "description": "Seit Montag",
    "account": {"id": "a1", "name": "Koch"},
    "contacts": [{"id": "k1"}],
    "resolution_sla_deadline": "2026-11-28T12:00:00Z",
    "custom_fields": {"case_type": "warranty", "product_code": "MAS-011", "order_number": "SO7"},
}


def test_case_both_ways_with_type_in_a_custom_field() -> None:
    case = case_from_native(CASE)
    assert case.case_type is CaseType.WARRANTY and case.priority is CasePriority.URGENT
    assert (case.status, case.party_id, case.contact_id) == ("assigned", "a1", "k1")
    assert case.sla_due == datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert (case.product_code, case.order_number, case.erp_state) == ("MAS-011", "SO7", None)
    body = case_to_native(case)
    assert (body["case_type"], body["priority"], body["status"]) == (
        "Problem",
        "Urgent",
        "Assigned",
    )
    assert body["custom_fields"]["case_type"] == "warranty"
    assert body["contacts"] == ["k1"] and body["name"] == "Spindel läuft heiß"


@pytest.mark.parametrize(
    ("native", "expected"),
    [("Question", CaseType.QUESTION), ("Incident", CaseType.DEFECT), ("Problem", CaseType.DEFECT)],
)
def test_case_typed_in_bottlecrm_reads_the_closest_type(native: str, expected: CaseType) -> None:
    assert (
        case_from_native({**CASE, "case_type": native, "custom_fields": {}}).case_type is expected
    )


def test_complaint_goes_to_bottlecrm_as_incident() -> None:
    case = ServiceCase(title="Lieferung unvollständig", case_type=CaseType.COMPLAINT)
    assert case_to_native(case)["case_type"] == "Incident"


def test_case_status_words() -> None:
    assert native_status("closed") == "Closed" and native_status("open") == "Assigned"
    with pytest.raises(ValueError, match="new, assigned"):
        native_status("escalated")


def test_time_entry_of_a_case() -> None:
    native = {
        "id": "t1",
        "started_at": "2026-11-27T08:00:00Z",
        "ended_at": "2026-11-27T09:30:00Z",
        "duration_minutes": 90,
        "description": "Ferndiagnose",
        "billable": True,
        "profile": {"user_details": {"email": "anna@example.com"}},
        "created_at": "2026-11-27T09:31:00Z",
    }
    owner = EntryOwner("/api/cases/c1/time-entries/", "a1", case_id="c1")
    entry = time_entry_from_native(native, owner)
    assert entry is not None
    assert (entry.party_id, entry.case_id, entry.work_date, entry.minutes) == (
        "a1",
        "c1",
        date(2026, 11, 27),
        90,
    )
    assert entry.employee == "anna@example.com" and entry.billable
    running = {**native, "ended_at": None, "duration_minutes": None}
    assert time_entry_from_native(running, owner) is None  # a running timer is not reported
