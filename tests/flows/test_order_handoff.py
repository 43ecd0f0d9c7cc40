"""Order handoff as a state machine, on in-memory systems: the approval guard, customer
linking, ERP pricing, idempotent re-runs and a crash right after the ERP order was created."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from syncline.flows.ledger import get_item
from syncline.flows.linking import linked_id, map_sides
from syncline.flows.order_handoff import OrderHandoff, deal_key, submit_order, waiting_note
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import OrderHandoffConfig
from syncline.model import (
    DocumentLine,
    Money,
    Opportunity,
    OpportunityStatus,
    OrderState,
    Party,
    Product,
    Quote,
    QuoteStatus,
)
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
        "flows": [{"name": "orders", "kind": "order_handoff", "discount_limit": 10}],
    }
)


def quote(discount: Decimal) -> Quote:
    return Quote(
        number="EST-1",
        status=QuoteStatus.ACCEPTED,
        lines=[
            DocumentLine(product_code="MAS-1", description="Press", quantity=Decimal(2),
                         unit_price=Decimal(900), discount=discount),
            DocumentLine(product_code="SRV-1", description="Setup", quantity=Decimal(3),
                         unit_price=Decimal(80)),
        ],
    )  # fmt: skip


@pytest.fixture
def crm() -> FakeCrm:
    fake = FakeCrm()
    fake.accounts_store["acc1"] = Party(name="Nordwind GmbH")
    fake.deals["deal1"] = Opportunity(
        name="Nordwind press", party_id="acc1", status=OpportunityStatus.WON
    )
    fake.quotes["deal1"] = ("q1", quote(Decimal(5)))
    return fake


@pytest.fixture
def erp() -> FakeErp:
    fake = FakeErp()
    fake.catalogue_store = {
        "p1": Product(code="MAS-1", name="Press", list_price=Money(amount=Decimal(1000))),
        "p2": Product(code="SRV-1", name="Setup", unit="h"),
    }
    fake.prices = {"p1": Decimal(1000), "p2": Decimal(95)}
    return fake


def handoff(store: Store, crm: FakeCrm, erp: FakeErp) -> OrderHandoff:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, OrderHandoffConfig)
    return OrderHandoff(
        cfg, store, crm=crm, erp=erp,
        parties=map_sides(CONFIG, "customers", "crm", "erp"),
        products=map_sides(CONFIG, "products", "crm", "erp"),
    )  # fmt: skip


def test_a_won_deal_becomes_a_confirmed_order_priced_by_the_erp(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    report = handoff(flow_store, crm, erp).run()
    assert report.errors == [] and report.transitions == 5
    ((order, marker),) = erp.orders.values()
    assert marker == "syncline:orders:deal1"
    assert order.state.value == "confirmed" and order.party_id == "1"
    assert [(ln.product_id, ln.unit, ln.unit_price) for ln in order.lines] == [
        ("p1", "u", Decimal("950.0000")),  # the ERP's 1000 less the quoted 5 %
        ("p2", "h", Decimal("95.0000")),  # the ERP's price, not the CRM's 80
    ]
    assert order.reference == "EST-1" and order.description == "Nordwind press"
    assert crm.accounts_store["acc1"].numbers == {"erp": "D1"}
    status = crm.statuses["deal1"]
    assert (status.number, status.state, status.planned_ship_date) == (
        "SO100", "confirmed", date(2026, 12, 1),
    )  # fmt: skip
    with flow_store.begin() as conn:
        assert linked_id(conn, map_sides(CONFIG, "customers", "crm", "erp"), "crm", "acc1") == "1"
        events = query_events(conn, map_name="orders")
        links = query_events(conn, map_name="customers", reason="link")
    assert [e.new_value for e in events if e.field == "state"] == [
        "approved", "customer_linked", "order_created", "order_confirmed", "done",
    ]  # fmt: skip
    written = {e.field: e.new_value for e in events if e.target_system == "crm"}
    assert written["order_number"] == "SO100" and written["numbers.erp"] == "D1"
    assert len(links) == 1


def test_the_deal_follows_its_order_until_the_erp_closes_it(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    flow = handoff(flow_store, crm, erp)
    flow.run()
    ((order_id, (order, marker)),) = erp.orders.items()
    erp.orders[order_id] = (order.model_copy(update={"state": OrderState.PROCESSING}), marker)
    flow.run()
    assert crm.statuses["deal1"].state == "processing"
    erp.orders[order_id] = (order.model_copy(update={"state": OrderState.DONE}), marker)
    flow.run()
    assert crm.statuses["deal1"].state == "done"
    with flow_store.begin() as conn:
        item = get_item(conn, "orders", deal_key("deal1"))
    assert item is not None and item.state == "closed"
    assert flow.run().transitions == 0


def test_rerunning_a_handed_off_deal_creates_nothing(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    flow = handoff(flow_store, crm, erp)
    flow.run()
    again = flow.run()
    assert (again.transitions, again.errors) == (0, [])
    assert submit_order(flow, "deal1").state == "done"
    assert len(erp.orders) == 1 and len(erp.parties) == 1


def test_a_discount_above_the_limit_waits_for_the_approval_with_one_note(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    crm.quotes["deal1"] = ("q1", quote(Decimal(15)))
    flow = handoff(flow_store, crm, erp)
    flow.run()
    flow.run()
    assert crm.notes["deal1"] == [waiting_note(Decimal(15), Decimal(10))]
    assert "Waiting for approval" in crm.notes["deal1"][0]
    with flow_store.begin() as conn:
        item = get_item(conn, "orders", deal_key("deal1"))
    assert item is not None and item.state == "waiting_approval"
    assert item.data["waiting"] == "waiting for the discount approval in the CRM"
    assert erp.orders == {} and erp.parties == {}
    crm.deals["deal1"] = crm.deals["deal1"].model_copy(update={"discount_approved": True})
    assert flow.run().errors == []
    assert len(erp.orders) == 1 and crm.statuses["deal1"].number == "SO100"


def test_a_deal_lost_while_waiting_is_cancelled(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    crm.quotes["deal1"] = ("q1", quote(Decimal(30)))
    flow = handoff(flow_store, crm, erp)
    flow.run()
    crm.deals["deal1"] = crm.deals["deal1"].model_copy(update={"status": OpportunityStatus.LOST})
    flow.run()
    with flow_store.begin() as conn:
        item = get_item(conn, "orders", deal_key("deal1"))
    assert item is not None and item.state == "cancelled" and erp.orders == {}


def test_a_crash_right_after_the_erp_order_was_created_does_not_create_a_second(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    erp.fail_after_create = True
    flow = handoff(flow_store, crm, erp)
    first = flow.run()
    assert first.errors and "connection lost" in first.errors[0]
    with flow_store.begin() as conn:
        item = get_item(conn, "orders", deal_key("deal1"))
    assert item is not None and item.state == "customer_linked"
    second = flow.run()
    assert second.errors == [] and len(erp.orders) == 1
    with flow_store.begin() as conn:
        events = query_events(conn, map_name="orders")
    assert any("an interrupted run had created" in (e.detail or "") for e in events)


def test_a_line_outside_the_erp_catalogue_stops_the_item_with_a_clear_error(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    del erp.catalogue_store["p2"]
    flow = handoff(flow_store, crm, erp)
    report = flow.run()
    assert report.errors == [
        "deal:deal1: quote line 'Setup' names no product of the ERP catalogue; "
        "pick a catalogue product in the CRM quote"
    ]
    with flow_store.begin() as conn:
        item = get_item(conn, "orders", deal_key("deal1"))
    assert item is not None and item.state == "customer_linked" and item.attempts == 1
    erp.catalogue_store["p2"] = Product(code="SRV-1", name="Setup", unit="h")
    assert flow.run().errors == [] and len(erp.orders) == 1


def test_an_existing_erp_party_is_matched_and_linked_instead_of_created(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    erp.parties["77"] = Party(name="Nordwind GmbH", numbers={"erp": "D77"})
    handoff(flow_store, crm, erp).run()
    assert list(erp.parties) == ["77"]
    assert crm.accounts_store["acc1"].numbers == {"erp": "D77"}


def test_submit_passes_the_requested_ship_date_to_the_erp(
    flow_store: Store, crm: FakeCrm, erp: FakeErp
) -> None:
    result = submit_order(
        handoff(flow_store, crm, erp), "deal1", requested_ship_date=date(2027, 1, 4)
    )
    assert result.done and result.order_number == "SO100" and result.error is None
    ((order, _),) = erp.orders.values()
    assert order.planned_ship_date == date(2027, 1, 4)
