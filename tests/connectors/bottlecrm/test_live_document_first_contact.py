"""Against the running BottleCRM: an estimate or invoice naming no contact is addressed by a
documented rule, not by BottleCRM's listing order (newest first). Of the deal's contacts when the
estimate names a deal with any, else of the account's: an active contact before an archived
one, then one whose primary account is the document's account, then the earliest created."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.model import (
    DocumentLine,
    Invoice,
    InvoiceState,
    Opportunity,
    Quote,
)
from tests.connectors.bottlecrm.records import create, new_account, new_contact

pytestmark = [pytest.mark.integration, pytest.mark.bottlecrm]


def _listed(connector: BottleCrmConnector, account_id: str) -> list[str]:
    """The account's contacts in BottleCRM's own order."""
    body = connector.client.get(f"/api/accounts/{account_id}/")
    return [str(c["id"]) for c in body["contacts"]]


def _contact_of_quote(connector: BottleCrmConnector, quote: Quote) -> str | None:
    [record] = connector.read("quote", [create(connector, "quote", quote)])
    assert isinstance(record.data, Quote)
    return record.data.contact_id


def test_a_quote_and_an_invoice_naming_no_contact_get_the_earliest_created_contact(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    account = new_account(bottlecrm_connector, "Erstkontakt")
    anna = new_contact(bottlecrm_connector, account, "Anna")
    bernd = new_contact(bottlecrm_connector, account, "Bernd")
    carla = new_contact(bottlecrm_connector, account, "Carla")
    listed = _listed(bottlecrm_connector, account)
    assert set(listed) == {anna, bernd, carla}
    assert listed[0] != anna  # BottleCRM lists the newest first

    quote = Quote(title="Nobody named", party_id=account)
    assert _contact_of_quote(bottlecrm_connector, quote) == anna
    invoice = Invoice(
        number=f"INV-{uuid.uuid4().hex[:6]}",
        party_id=account,
        state=InvoiceState.POSTED,
        invoice_date=date(2030, 4, 1),
        lines=[DocumentLine(description="Beratung", unit_price=Decimal(120))],
    )
    invoice_id = create(bottlecrm_connector, "invoice", invoice)
    native = bottlecrm_connector.client.get(f"/api/invoices/{invoice_id}/")["invoice"]
    assert native["contact"]["id"] == anna
    assert bottlecrm_connector.contact_of(account) == anna


def test_an_archived_contact_and_one_from_another_account_come_after_the_accounts_own(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    account = new_account(bottlecrm_connector, "Rangfolge")
    # The earliest of all, but its primary account is another one; linked from this side.
    guest = new_contact(bottlecrm_connector, new_account(bottlecrm_connector, "Beratung"), "Gast")
    archived = new_contact(bottlecrm_connector, account, "Alt")
    [result] = bottlecrm_connector.write(
        "contact",
        [WriteRequest(WriteOp.ARCHIVE, "contact", "archive", native_id=archived)],
    )
    assert result.ok, result.error
    own = new_contact(bottlecrm_connector, account, "Eigen")
    newest = new_contact(bottlecrm_connector, account, "Neu")
    members = [guest, archived, own, newest]
    bottlecrm_connector.client.patch(f"/api/accounts/{account}/", {"contacts": members})
    assert set(_listed(bottlecrm_connector, account)) >= {guest, own, newest}

    quote = Quote(title="Ranked", party_id=account)
    assert _contact_of_quote(bottlecrm_connector, quote) == own


def test_a_quote_of_a_deal_gets_the_deals_earliest_created_contact(
    bottlecrm_connector: BottleCrmConnector,
) -> None:
    account = new_account(bottlecrm_connector, "Deal")
    new_contact(bottlecrm_connector, account, "Ohne")  # the account's earliest: not on the deal
    early = new_contact(bottlecrm_connector, account, "Frueh")
    late = new_contact(bottlecrm_connector, account, "Spaet")
    deal = create(
        bottlecrm_connector,
        "opportunity",
        Opportunity(name=f"Deal {account[:8]}", party_id=account, contact_id=late),
    )
    # Linked latest-first: neither the link order nor the listing order is the rule.
    bottlecrm_connector.client.patch(f"/api/opportunities/{deal}/", {"contacts": [late, early]})
    listed = bottlecrm_connector.client.get(f"/api/opportunities/{deal}/")
    contacts = listed["opportunity_obj"]["contacts"]
    assert {c["id"] for c in contacts} == {late, early} and contacts[0]["id"] != early

    quote = Quote(title="Deal quote", party_id=account, opportunity_id=deal)
    assert _contact_of_quote(bottlecrm_connector, quote) == early
