"""The person a document is addressed to crosses the border through the contact links, on
in-memory systems: the quote's contact reaches the ERP order, the ERP invoice's contact reaches
the CRM copy; an unlinked contact is left empty (the CRM picks its own) without a failure or a
rewrite loop."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncline.flows.billing_documents import BillingDocuments
from syncline.flows.linking import MapSides, map_sides, record_link
from syncline.flows.order_handoff import OrderHandoff
from syncline.flows.registry import contact_sides
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import BillingDocumentsConfig, OrderHandoffConfig
from syncline.model import (
    DocumentLine,
    Invoice,
    InvoiceState,
    Money,
    Opportunity,
    OpportunityStatus,
    Party,
    Product,
    Quote,
    QuoteStatus,
)
from syncline.store import Store
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [
            {"name": "customers", "entity": "party", "a": "erp", "b": "crm"},
            {"name": "products", "entity": "product", "a": "erp", "b": "crm"},
            {"name": "people", "entity": "contact", "a": "crm", "b": "erp"},
        ],
        "flows": [
            {"name": "orders", "kind": "order_handoff"},
            {"name": "invoices", "kind": "billing_documents"},
        ],
    }
)
TODAY = date(2026, 11, 27)


def _sides(name: str) -> MapSides:
    return map_sides(CONFIG, name, "crm", "erp")


def _contacts() -> MapSides:
    found = contact_sides(CONFIG, "crm", "erp")
    assert found is not None
    return found


def _link_contact(store: Store, crm_id: str, erp_id: str) -> None:
    with store.begin() as conn:
        record_link(conn, _contacts(), crm_id, erp_id, origin="key", actor="test")


def test_the_contact_map_is_the_one_joining_the_flows_systems() -> None:
    assert _contacts() == MapSides("people", "contact", crm="a", erp="b")
    assert contact_sides(CONFIG, "crm", "other") is None


# -- order handoff -------------------------------------------------------------------------


@pytest.fixture
def crm() -> FakeCrm:
    fake = FakeCrm()
    fake.accounts_store["acc1"] = Party(name="Nordwind GmbH")
    fake.deals["deal1"] = Opportunity(
        name="Nordwind press", party_id="acc1", contact_id="k1", status=OpportunityStatus.WON
    )
    line = DocumentLine(product_code="MAS-1", description="Press", quantity=Decimal(2))
    # Addressed to the account's second contact, not the deal's.
    quote = Quote(number="EST-1", party_id="acc1", contact_id="k2",
                  status=QuoteStatus.ACCEPTED, lines=[line])  # fmt: skip
    fake.quotes["deal1"] = ("q1", quote)
    return fake


@pytest.fixture
def erp() -> FakeErp:
    fake = FakeErp()
    fake.catalogue_store = {
        "p1": Product(code="MAS-1", name="Press", list_price=Money(amount=Decimal(1000)))
    }
    fake.prices = {"p1": Decimal(1000)}
    return fake


def handoff(store: Store, crm: FakeCrm, erp: FakeErp) -> OrderHandoff:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, OrderHandoffConfig)
    return OrderHandoff(
        cfg, store, crm=crm, erp=erp, parties=_sides("customers"),
        products=_sides("products"), contacts=_contacts(),
    )  # fmt: skip


def test_the_quotes_contact_reaches_the_erp_order_through_its_link(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    _link_contact(flow_store, "k1", "501")
    _link_contact(flow_store, "k2", "502")
    report = handoff(flow_store, crm, erp).run()
    assert report.errors == []
    ((order, _),) = erp.orders.values()
    assert order.contact_id == "502" and order.state.value == "confirmed"


def test_an_unlinked_contact_leaves_the_erp_orders_contact_empty(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    _link_contact(flow_store, "k1", "501")  # the deal's contact only
    report = handoff(flow_store, crm, erp).run()
    assert report.errors == []
    ((order, _),) = erp.orders.values()
    assert order.contact_id is None and order.state.value == "confirmed"


# -- billing documents ---------------------------------------------------------------------


def documents_flow(store: Store, crm: FakeCrm, erp: FakeErp) -> BillingDocuments:
    cfg = CONFIG.flows[1]
    assert isinstance(cfg, BillingDocumentsConfig)
    return BillingDocuments(
        cfg, store, crm=crm, erp=erp, today=TODAY, parties=_sides("customers"),
        products=_sides("products"), contacts=_contacts(),
    )  # fmt: skip


def _erp_invoice(contact_id: str | None) -> Invoice:
    return Invoice(number="INV1", party_id="10", contact_id=contact_id,
                   state=InvoiceState.POSTED, invoice_date=date(2026, 11, 1))  # fmt: skip


def _linked_customer(store: Store) -> None:
    with store.begin() as conn:
        record_link(conn, _sides("customers"), "acc1", "10", origin="key", actor="test")


def test_the_erp_invoices_contact_reaches_the_crm_copy_and_is_owned_by_the_erp(
    flow_store: Store,
) -> None:
    erp, crm = FakeErp(), FakeCrm(default_contact="k1")
    erp.invoices = {"1": _erp_invoice("502")}
    _linked_customer(flow_store)
    _link_contact(flow_store, "k2", "502")
    documents = documents_flow(flow_store, crm, erp)
    assert documents.run().errors == []
    ((crm_id, copy),) = crm.documents.items()
    assert copy.contact_id == "k2"
    # Readdressed in the CRM: the ERP's contact comes back.
    crm.documents[crm_id] = copy.model_copy(update={"contact_id": "k1"})
    documents.run()
    assert crm.documents[crm_id].contact_id == "k2"
    assert documents.run().transitions == 0


def test_an_erp_invoice_without_a_linked_contact_keeps_the_crms_choice_without_rewrites(
    flow_store: Store,
) -> None:
    erp, crm = FakeErp(), FakeCrm(default_contact="k1")
    erp.invoices = {"1": _erp_invoice("777")}  # an ERP contact nobody linked
    _linked_customer(flow_store)
    documents = documents_flow(flow_store, crm, erp)
    assert documents.run().errors == []
    ((crm_id, copy),) = crm.documents.items()
    assert copy.contact_id == "k1"  # BottleCRM's fallback
    quiet = documents.run()
    assert (quiet.transitions, quiet.errors) == (0, [])
    assert crm.documents[crm_id] == copy
