"""Against the running BottleCRM: the contact an estimate or invoice is addressed to round-trips
as the document's ``contact_id``; only a document naming none gets one of the account's contacts,
the one ``first_contact`` ranks first (see ``test_live_document_first_contact.py``), not the
first BottleCRM lists."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.model import Contact, DocumentLine, Invoice, InvoiceState, Quote
from tests.connectors.bottlecrm.conftest import CrmAccount
from tests.connectors.bottlecrm.records import create

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def _second_contact(connector: BottleCrmConnector, account: CrmAccount) -> str:
    unique = uuid.uuid4().hex[:8]
    second = Contact(
        first_name="Theo",
        last_name=f"Zweiter {unique}",
        email=f"theo.{unique}@documents.example.org",
        party_id=account.account_id,
    )
    contact_id = create(connector, "contact", second)
    assert contact_id != account.contact_id
    return contact_id


def test_an_estimate_naming_the_second_contact_reads_back_with_it(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    second = _second_contact(bottlecrm_connector, crm_account)
    quote = Quote(title=f"Quote {second[:8]}", party_id=crm_account.account_id, contact_id=second)
    quote_id = create(bottlecrm_connector, "quote", quote)
    [record] = bottlecrm_connector.read("quote", [quote_id])
    assert isinstance(record.data, Quote) and record.data.contact_id == second

    # Readdressed to the first contact, the contact alone is written.
    first = record.data.model_copy(update={"contact_id": crm_account.contact_id})
    [result] = bottlecrm_connector.write(
        "quote",
        [WriteRequest(WriteOp.UPDATE, "quote", "to-first", native_id=quote_id, data=first,
                      fields=frozenset({"contact_id"}))],
    )  # fmt: skip
    assert result.ok, result.error
    [again] = bottlecrm_connector.read("quote", [quote_id])
    assert isinstance(again.data, Quote) and again.data.contact_id == crm_account.contact_id
    assert again.version == result.version


def test_an_estimate_naming_no_contact_gets_the_accounts_first_and_reads_it(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    _second_contact(bottlecrm_connector, crm_account)
    quote = Quote(title="Nobody named", party_id=crm_account.account_id)
    [record] = bottlecrm_connector.read("quote", [create(bottlecrm_connector, "quote", quote)])
    first = bottlecrm_connector.contact_of(crm_account.account_id)  # ranked, not listed first
    assert isinstance(record.data, Quote) and record.data.contact_id == first


def test_an_invoice_naming_the_second_contact_keeps_it_through_an_update(
    bottlecrm_connector: BottleCrmConnector, crm_account: CrmAccount
) -> None:
    second = _second_contact(bottlecrm_connector, crm_account)
    invoice = Invoice(
        number=f"INV-{uuid.uuid4().hex[:6]}",
        party_id=crm_account.account_id,
        contact_id=second,
        state=InvoiceState.POSTED,
        invoice_date=date(2030, 3, 1),
        lines=[DocumentLine(description="Wartung", unit_price=Decimal(200))],
    )
    invoice_id = create(bottlecrm_connector, "invoice", invoice)
    native = bottlecrm_connector.client.get(f"/api/invoices/{invoice_id}/")["invoice"]
    assert native["contact"]["id"] == second
    [record] = bottlecrm_connector.read("invoice", [invoice_id])
    assert isinstance(record.data, Invoice) and record.data.contact_id == second

    # A full rewrite (account included) keeps the named contact instead of the first one.
    paid = record.data.model_copy(update={"state": InvoiceState.PAID})
    [result] = bottlecrm_connector.write(
        "invoice", [WriteRequest(WriteOp.UPDATE, "invoice", "p", native_id=invoice_id, data=paid)]
    )
    assert result.ok, result.error
    [again] = bottlecrm_connector.read("invoice", [invoice_id])
    assert isinstance(again.data, Invoice) and again.data.contact_id == second
