"""Invoices and credit notes end to end: posted Tryton documents become BottleCRM invoices
with their lines and ERP numbers; a CRM edit is reverted; a quiet re-run writes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.billing_documents import BillingDocuments, document_key
from syncline.flows.erp_tryton import TrytonSide
from syncline.flows.ledger import get_item
from syncline.flows.linking import map_sides, record_link
from syncline.model import (
    Address,
    CanonicalEntity,
    Contact,
    DocumentLine,
    Order,
    OrderState,
    Party,
)
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.scenario import CONFIG, flow_named
from tests.support.crm_records import new_account, new_contact

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def posted_document(erp: TrytonConnector, credit: bool) -> dict[str, Any]:
    """A seeded, posted customer invoice (or credit note) of the demo ERP."""
    sign = ("total_amount", "<" if credit else ">", 0)
    (row,) = erp.client.search_read(
        "account.invoice",
        [("type", "=", "out"), ("state", "=", "posted"), sign],
        ["number", "party", "lines"],
        limit=1,
        order=[("id", "DESC")],
    )
    return row


def crm_invoice(crm: BottleCrmConnector, invoice_id: str) -> dict[str, Any]:
    body: dict[str, Any] = crm.client.get(f"/api/invoices/{invoice_id}/")["invoice"]
    return body


def test_erp_invoices_and_credit_notes_become_read_only_crm_copies(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    invoice, credit = (
        posted_document(tryton_connector, False),
        posted_document(tryton_connector, True),
    )
    sides = map_sides(CONFIG, "customers", "crm", "erp")
    with flow_store.begin() as conn:
        for document in (invoice, credit):
            tag = uuid.uuid4().hex[:8]
            account = new_account(crm_connector, f"Rechnung {tag} GmbH")
            new_contact(crm_connector, account, "Rita", f"Rechnung{tag}")
            record_link(conn, sides, account, str(document["party"]), origin="key", actor="test")
            document["account"] = account
    flow = flow_named("invoices", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, BillingDocuments)
    mine = RunOptions(keys=frozenset(document_key(str(d["id"])) for d in (invoice, credit)))
    report = flow.run(mine)
    assert report.errors == [], report.errors

    copies = {}
    for document, kind in ((invoice, "invoice"), (credit, "credit_note")):
        with flow_store.begin() as conn:
            item = get_item(conn, "invoices", document_key(str(document["id"])))
        assert item is not None and item.state == "in_sync"
        copy = crm_invoice(crm_connector, str(item.data["crm_id"]))
        custom = copy["custom_fields"]
        assert (custom["erp_number"], custom["erp_document"]) == (document["number"], kind)
        assert copy["account"]["id"] == document["account"]
        assert len(copy["line_items"]) == len(document["lines"])
        copies[kind] = copy

    # A salesperson changes a line price of the copy: the ERP's price comes back.
    copy = copies["invoice"]
    items = copy["line_items"]
    original = items[0]["unit_price"]
    crm_connector.client.request(
        "PUT",
        f"/api/invoices/{copy['id']}/",
        json={"line_items": [{**{k: i[k] for k in ("name", "description", "quantity")},
                              "unit_price": "1.00"} for i in items]},
    )  # fmt: skip
    assert crm_invoice(crm_connector, copy["id"])["line_items"][0]["unit_price"] == "1.00"
    flow.run(mine)
    assert crm_invoice(crm_connector, copy["id"])["line_items"][0]["unit_price"] == original
    with flow_store.begin() as conn:
        reverts = query_events(conn, map_name="invoices", reason="ownership_revert")
    assert [e.field for e in reverts] == ["lines"]
    assert flow.run(mine).transitions == 0


def test_the_contact_of_the_erp_invoices_sale_reaches_the_crm_copy(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Adressat {tag} AG"
    account = new_account(crm_connector, name)
    new_contact(crm_connector, account, "Rita", f"Erste{tag}")
    second = new_contact(crm_connector, account, "Sam", f"Zweiter{tag}")
    customer = Party(name=name, addresses=[Address(street="Hafenstr. 2", city="Kiel")])
    erp_party = TrytonSide(tryton_connector).create_party(customer).id
    person = Contact(first_name="Sam", last_name=f"Zweiter{tag}", party_id=erp_party,
                     email=f"sam.{tag}@adressat.example")  # fmt: skip
    erp_contact = _created(tryton_connector, "contact", person)
    line = DocumentLine(product_id="2", product_code="MAS-012", description="Drehmaschine",
                        quantity=Decimal(1), unit_price=Decimal("23125.00"))  # fmt: skip
    order = Order(party_id=erp_party, contact_id=erp_contact, order_date=date.today(),
                  state=OrderState.CONFIRMED, lines=[line])  # fmt: skip
    sale_id = _created(tryton_connector, "order", order)
    (sale,) = tryton_connector.client.read("sale.sale", [int(sale_id)], ["invoices"])
    (invoice_id,) = sale["invoices"]
    # Posted as Tryton invoiced it: the taxes came from the sale lines syncline created.
    tryton_connector.client.model("account.invoice", "post", [invoice_id])

    flow = flow_named("invoices", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, BillingDocuments) and flow.contacts is not None
    with flow_store.begin() as conn:
        record_link(conn, flow.parties, account, erp_party, origin="key", actor="test")
        record_link(conn, flow.contacts, second, erp_contact, origin="key", actor="test")
    mine = RunOptions(keys=frozenset({document_key(str(invoice_id))}))
    assert flow.run(mine).errors == []
    with flow_store.begin() as conn:
        item = get_item(conn, "invoices", document_key(str(invoice_id)))
    assert item is not None and item.state == "in_sync"
    copy = crm_invoice(crm_connector, str(item.data["crm_id"]))
    assert copy["contact"]["id"] == second  # not the account's first contact
    # The sale line carried the product's 19 % VAT, so did the invoice and so does the copy.
    (posted,) = tryton_connector.client.read("account.invoice", [invoice_id], ["tax_amount"])
    assert posted["tax_amount"] == Decimal("4393.75")
    assert Decimal(str(copy["tax_amount"])) == posted["tax_amount"]
    assert flow.run(mine).transitions == 0


def _created(erp: TrytonConnector, entity: str, data: CanonicalEntity) -> str:
    [result] = erp.write(
        entity, [WriteRequest(WriteOp.CREATE, entity, str(uuid.uuid4()), data=data)]
    )
    assert result.ok and result.native_id, result.error
    return result.native_id
