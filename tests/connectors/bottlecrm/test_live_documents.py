"""Against the running BottleCRM: the seeded demo data, case webhooks, deletes found by scan,
time entries, invoice lifecycle and the contact an estimate names."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from syncline.connectors.base import NativeRecord, WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.demo.bottlecrm.seed_data import accounts, catalogue
from syncline.demo.tryton.dataset import customers
from syncline.errors import PermanentError
from syncline.model import (
    CaseType,
    Contact,
    DocumentLine,
    Invoice,
    InvoiceState,
    Opportunity,
    Party,
    Product,
    Quote,
    ServiceCase,
    TimeEntry,
)
from syncline.store import pending_events
from tests.connectors.bottlecrm.conftest import CrmAccount, Receiver
from tests.connectors.bottlecrm.records import create

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def _all(connector: BottleCrmConnector, entity: str) -> list[NativeRecord]:
    return [r for page in connector.scan(entity) for r in page]


def _events(receiver: Receiver, native_id: str, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        with receiver.store.begin() as conn:
            events = [e for e in pending_events(conn, "crm") if e.native_id == native_id]
        if events or time.monotonic() > deadline:
            return [f"{e.entity}:{e.event_type}" for e in events]
        time.sleep(0.2)


def test_seeded_accounts_are_near_duplicates_of_erp_customers(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    parties = {
        r.data.name: r.data for r in _all(bottlecrm_connector, "party") if isinstance(r.data, Party)
    }
    erp = customers()
    # "Schäfer Maschinenbau GmbH" in the ERP, "Schaefer Maschinenbau" in the CRM.
    assert erp[0].name == "Schäfer Maschinenbau GmbH"
    assert "Schaefer Maschinenbau" in parties and erp[0].name not in parties
    seeded = {a.name for a in accounts()}  # other tests add accounts to the same server
    numbered = {
        name: p.numbers["erp"]
        for name, p in parties.items()
        if name in seeded and "erp" in p.numbers
    }
    # Tryton gives its company code 1 and the customers 2, 3, ... in dataset order.
    assert numbered == {a.name: a.erp_number for a in accounts() if a.erp_number}
    assert {a.erp_name for a in accounts() if a.erp_number} == {erp[i].name for i in (1, 5, 9, 13)}
    deals = [r.data for r in _all(bottlecrm_connector, "opportunity")]
    stages = {d.stage for d in deals if isinstance(d, Opportunity)}
    assert set(stages) >= {"PROSPECTING", "PROPOSAL", "NEGOTIATION", "CLOSED_WON", "CLOSED_LOST"}


def test_seeded_quotes_cases_time_entries_and_products(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    quotes = [r.data for r in _all(bottlecrm_connector, "quote") if isinstance(r.data, Quote)]
    seeded = [q for q in quotes if q.title.startswith("Angebot ")]
    assert len(seeded) == 4 and all(len(q.lines) == 3 and q.opportunity_id for q in seeded)
    codes = {p.code for p in catalogue()}
    assert {ln.product_code for q in seeded for ln in q.lines} - {None} <= codes
    cases = [
        r.data for r in _all(bottlecrm_connector, "service_case") if isinstance(r.data, ServiceCase)
    ]
    assert {c.case_type for c in cases} == set(CaseType)
    assert all(c.sla_due is not None for c in cases)  # BottleCRM's SLA policy sets the deadline
    entries = [
        r.data for r in _all(bottlecrm_connector, "time_entry") if isinstance(r.data, TimeEntry)
    ]
    case_ids = {r.native_id for r in _all(bottlecrm_connector, "service_case")}
    assert len(entries) >= 4 and all(e.case_id in case_ids and e.party_id for e in entries)
    assert {e.description for e in entries} >= {"Ferndiagnose", "Einsatz vor Ort"}
    products = [r.data for r in _all(bottlecrm_connector, "product")]
    assert codes <= {p.code for p in products if isinstance(p, Product)}


def test_case_webhook_lands_as_service_case_and_deletes_are_found_by_scan(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount, webhook_receiver: Receiver
) -> None:
    title = f"Webhook Case {uuid.uuid4().hex[:8]}"
    case = ServiceCase(title=title, party_id=crm_account.account_id)
    native_id = create(bottlecrm_connector, "service_case", case)
    assert _events(webhook_receiver, native_id) == ["service_case:ticket.created"]
    assert native_id in bottlecrm_connector.list_ids("service_case")
    # BottleCRM sends no event when a ticket is deleted: only the scan can tell.
    bottlecrm_connector.client.delete(f"/api/cases/{native_id}/")
    assert native_id not in bottlecrm_connector.list_ids("service_case")
    assert bottlecrm_connector.read("service_case", [native_id]) == []


def test_time_entries_are_read_from_cases_and_their_deletion_is_found(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    case = ServiceCase(title=f"Timed Case {uuid.uuid4().hex[:8]}", party_id=crm_account.account_id)
    case_id = create(bottlecrm_connector, "service_case", case)
    now = datetime.now(UTC).replace(microsecond=0)
    logged = bottlecrm_connector.client.post(
        f"/api/cases/{case_id}/time-entries/",
        {
            "started_at": (now - timedelta(minutes=100)).isoformat(),
            "ended_at": (now - timedelta(minutes=10)).isoformat(),
            "description": "Reparatur vor Ort",
            "billable": True,
        },
    )
    entry_id = str(logged["id"])
    [record] = bottlecrm_connector.read("time_entry", [entry_id])
    assert record.data == TimeEntry(
        party_id=crm_account.account_id,
        case_id=case_id,
        work_date=(now - timedelta(minutes=100)).date(),
        minutes=90,
        billable=True,
        description="Reparatur vor Ort",
        employee="admin@example.com",
        recorded_at=record.data.recorded_at if isinstance(record.data, TimeEntry) else None,
    )
    assert record.version == logged["updated_at"]
    assert entry_id in bottlecrm_connector.list_ids("time_entry")
    bottlecrm_connector.client.delete(f"/api/time-entries/{entry_id}/")
    assert entry_id not in bottlecrm_connector.list_ids("time_entry")
    assert not bottlecrm_connector.capabilities.can_write("time_entry", WriteOp.CREATE)


def test_paid_and_cancelled_erp_invoices_move_the_crm_copy(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    line = DocumentLine(description="Wartung", quantity=Decimal(1), unit_price=Decimal(500))
    invoice = Invoice(
        number=f"INV-{uuid.uuid4().hex[:6]}",
        party_id=crm_account.account_id,
        contact_id=crm_account.contact_id,
        state=InvoiceState.POSTED,
        invoice_date=date(2030, 1, 15),
        due_date=date(2030, 2, 14),
        untaxed_amount=Decimal(500),
        total_amount=Decimal(500),
        amount_to_pay=Decimal(500),
        lines=[line],
    )
    native_id = create(bottlecrm_connector, "invoice", invoice)
    paid = invoice.model_copy(update={"state": InvoiceState.PAID, "amount_to_pay": Decimal(0)})
    [result] = bottlecrm_connector.write(
        "invoice",
        [WriteRequest(WriteOp.UPDATE, "invoice", "pay", native_id=native_id, data=paid)],
    )
    assert result.ok, result.error
    native = bottlecrm_connector.client.get(f"/api/invoices/{native_id}/")["invoice"]
    assert native["status"] == "Paid" and Decimal(native["amount_due"]) == 0
    assert native["payments"][0]["reference_number"] == invoice.number
    [record] = bottlecrm_connector.read("invoice", [native_id])
    assert record.data == paid

    other = invoice.model_copy(update={"number": f"INV-{uuid.uuid4().hex[:6]}"})
    other_id = create(bottlecrm_connector, "invoice", other)
    [archived] = bottlecrm_connector.write(
        "invoice", [WriteRequest(WriteOp.ARCHIVE, "invoice", "x", native_id=other_id)]
    )
    assert archived.ok, archived.error
    [record] = bottlecrm_connector.read("invoice", [other_id])
    assert isinstance(record.data, Invoice) and record.data.state is InvoiceState.CANCELLED
    assert other_id not in bottlecrm_connector.list_ids("credit_note")


def test_a_quote_on_a_deal_names_the_deals_contact(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    unique = uuid.uuid4().hex[:8]
    second = Contact(
        first_name="Sven",
        last_name=f"Deal {unique}",
        email=f"sven.{unique}@documents.example.org",
        party_id=crm_account.account_id,
    )
    contact_id = create(bottlecrm_connector, "contact", second)
    deal = Opportunity(
        name=f"Deal {unique}", party_id=crm_account.account_id, contact_id=contact_id
    )
    deal_id = create(bottlecrm_connector, "opportunity", deal)
    quote = Quote(title=f"Quote {unique}", party_id=crm_account.account_id, opportunity_id=deal_id)
    quote_id = create(bottlecrm_connector, "quote", quote)
    native = bottlecrm_connector.client.get(f"/api/invoices/estimates/{quote_id}/")["estimate"]
    assert native["contact"]["id"] == contact_id
    [record] = bottlecrm_connector.read("quote", [quote_id])
    assert isinstance(record.data, Quote) and record.data.opportunity_id == deal_id


def test_a_quote_for_an_account_without_contacts_is_refused_clearly(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    account_id = create(bottlecrm_connector, "party", Party(name=f"Lonely {uuid.uuid4().hex}"))
    quote = Quote(title="Nobody to send it to", party_id=account_id)
    [result] = bottlecrm_connector.write(
        "quote", [WriteRequest(WriteOp.CREATE, "quote", "q", data=quote)]
    )
    assert isinstance(result.error, PermanentError) and result.error.field == "contact_id"
    assert "add a contact" in str(result.error)
