"""Invoices and credit notes on in-memory systems: copied once the customer is linked, lines
pointing at linked CRM products, CRM edits reverted, ERP state changes flowing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from syncline.flows.billing_documents import BillingDocuments, document_key
from syncline.flows.ledger import get_item
from syncline.flows.linking import map_sides, record_link
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import BillingDocumentsConfig
from syncline.model import CreditNote, DocumentLine, Invoice, InvoiceState
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [
            {"name": "customers", "entity": "party", "a": "erp", "b": "crm"},
            {"name": "products", "entity": "product", "a": "erp", "b": "crm"},
        ],
        "flows": [{"name": "invoices", "kind": "billing_documents"}],
    }
)
TODAY = date(2026, 11, 27)


def flow(store: Store, crm: FakeCrm, erp: FakeErp) -> BillingDocuments:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, BillingDocumentsConfig)
    return BillingDocuments(
        cfg, store, crm=crm, erp=erp, today=TODAY,
        parties=map_sides(CONFIG, "customers", "crm", "erp"),
        products=map_sides(CONFIG, "products", "crm", "erp"),
    )  # fmt: skip


def line(product: str, code: str, price: str) -> DocumentLine:
    return DocumentLine(
        product_id=product, product_code=code, quantity=Decimal(2), unit_price=Decimal(price)
    )


def test_documents_are_copied_once_the_customer_is_linked(flow_store: Store) -> None:
    erp, crm = FakeErp(), FakeCrm()
    erp.invoices = {
        "1": Invoice(number="INV1", party_id="10", state=InvoiceState.POSTED,
                     invoice_date=date(2026, 11, 1), lines=[line("p1", "MAS-1", "950")]),
        "2": CreditNote(number="CN1", party_id="10", state=InvoiceState.POSTED,
                        invoice_date=date(2026, 11, 2), lines=[line("p2", "SRV-1", "95")]),
        "3": Invoice(number="OLD", party_id="10", invoice_date=date(2025, 1, 1)),
    }  # fmt: skip
    documents = flow(flow_store, crm, erp)
    first = documents.run()
    assert (first.discovered, first.waiting, crm.documents) == (2, 2, {})
    with flow_store.begin() as conn:
        item = get_item(conn, "invoices", document_key("1"))
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), "acc1", "10",
                    origin="key", actor="test")  # fmt: skip
        record_link(conn, map_sides(CONFIG, "products", "crm", "erp"), "prod1", "p1",
                    origin="key", actor="test")  # fmt: skip
    assert item is not None and item.data["waiting"] == (
        "the ERP customer is not linked to a CRM account yet"
    )
    assert documents.run().errors == []
    by_number = {d.number: d for d in crm.documents.values()}
    invoice, credit = by_number["INV1"], by_number["CN1"]
    assert isinstance(invoice, Invoice) and isinstance(credit, CreditNote)
    assert invoice.party_id == credit.party_id == "acc1"
    assert [(ln.product_id, ln.product_code) for ln in invoice.lines] == [("prod1", "MAS-1")]
    assert [(ln.product_id, ln.product_code) for ln in credit.lines] == [(None, "SRV-1")]


def test_a_crm_edit_is_reverted_and_a_payment_in_the_erp_flows(flow_store: Store) -> None:
    erp, crm = FakeErp(), FakeCrm()
    erp.invoices = {
        "1": Invoice(number="INV1", party_id="10", state=InvoiceState.POSTED,
                     invoice_date=date(2026, 11, 1), lines=[line("p1", "MAS-1", "950")]),
    }  # fmt: skip
    with flow_store.begin() as conn:
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), "acc1", "10",
                    origin="key", actor="test")  # fmt: skip
    documents = flow(flow_store, crm, erp)
    documents.run()
    ((crm_id, copy),) = crm.documents.items()
    crm.documents[crm_id] = copy.model_copy(update={"lines": [line("x", "MAS-1", "1")]})
    documents.run()
    assert crm.documents[crm_id].lines[0].unit_price == Decimal(950)
    erp.invoices["1"] = erp.invoices["1"].model_copy(update={"state": InvoiceState.PAID})
    documents.run()
    assert crm.documents[crm_id].state is InvoiceState.PAID
    assert documents.run().transitions == 0
    with flow_store.begin() as conn:
        events = query_events(conn, map_name="invoices")
    assert [(e.field, e.reason) for e in events if e.target_system == "crm"] == [
        ("created", "flow"),
        ("lines", "ownership_revert"),
        ("state", "flow"),
    ]
