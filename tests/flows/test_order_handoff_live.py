"""Order handoff end to end on a real BottleCRM and a real Tryton: the data on both sides."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import TransientError
from syncline.flows.crm_bottlecrm import BottleCrmSide
from syncline.flows.erp_tryton import TrytonSide
from syncline.flows.linking import record_link
from syncline.flows.order_handoff import OrderHandoff, submit_order, waiting_note
from syncline.model import Address, Contact, Order, Party
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.scenario import PRESS, SPARES, deal_with_quote, erp_sales, orders_flow
from tests.support.crm_records import (
    QuoteLine,
    accepted_quote,
    account_detail,
    deal_detail,
    new_account,
    new_contact,
    won_deal,
)

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


@pytest.fixture
def flow(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> OrderHandoff:
    return orders_flow(flow_store, tryton_connector, crm_connector)


def test_a_won_deal_becomes_a_confirmed_erp_order_and_the_deal_learns_its_number(
    flow: OrderHandoff, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    account, deal, name = deal_with_quote(crm_connector, Decimal(5))
    result = submit_order(flow, deal)
    assert result.error is None and result.done, result

    # ERP: one confirmed sale for a new debtor, priced by the ERP less the quoted discount.
    (sale_id,) = erp_sales(tryton_connector, flow, deal)
    erp = tryton_connector.client
    (sale,) = erp.read("sale.sale", [sale_id], ["number", "state", "party", "reference", "contact"])
    assert sale["state"] in ("confirmed", "processing") and sale["number"] == result.order_number
    assert sale["contact"] is None  # the quote's contact has no ERP counterpart
    (party,) = erp.read("party.party", [sale["party"]], ["name", "code"])
    assert party["name"] == name
    lines = erp.search_read(
        "sale.line", [("sale", "=", sale_id)], ["product.code", "quantity", "unit_price"]
    )
    prices = TrytonSide(tryton_connector).sale_prices(
        str(sale["party"]),
        [(str(ln["product."]["id"]), Decimal(str(ln["quantity"]))) for ln in lines],
    )
    got = {ln["product."]["code"]: (ln["quantity"], ln["unit_price"]) for ln in lines}
    assert got == {
        PRESS: (2.0, (prices[0] * Decimal("0.95")).quantize(Decimal("0.0001"))),
        SPARES: (10.0, prices[1]),
    }
    assert prices[1] != Decimal(12)  # the ERP's price, not the quote's

    # CRM: the deal carries the ERP order; the account carries the debtor number.
    custom = deal_detail(crm_connector, deal)["opportunity_obj"]["custom_fields"]
    assert custom["erp_order_number"] == sale["number"]
    assert custom["erp_order_state"] == result.order_state == sale["state"]
    assert result.planned_ship_date is not None
    assert custom["erp_ship_date"] == result.planned_ship_date.isoformat()
    assert account_detail(crm_connector, account)["custom_fields"]["erp_number"] == party["code"]

    # Re-running the flow and re-submitting create nothing new.
    again = flow.run()
    assert all(deal not in e for e in again.errors)
    assert submit_order(flow, deal).order_number == sale["number"]
    assert len(erp_sales(tryton_connector, flow, deal)) == 1
    assert len(erp.search("party.party", [("name", "=", name)])) == 1
    with flow.store.begin() as conn:
        audited = query_events(conn, map_name="orders")
    assert {e.field for e in audited if e.target_system == "crm"} >= {
        "order_number", "order_state", "planned_ship_date", "numbers.erp",
    }  # fmt: skip


def test_a_large_discount_waits_for_the_approval_noted_on_the_deal(
    flow: OrderHandoff, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    _, deal, _ = deal_with_quote(crm_connector, Decimal(20))
    first = submit_order(flow, deal)
    assert first.state == "waiting_approval" and first.order_number is None
    assert first.waiting == "waiting for the discount approval in the CRM"
    submit_order(flow, deal)
    comments = [c["comment"] for c in deal_detail(crm_connector, deal)["comments"]]
    assert comments.count(waiting_note(Decimal(20), Decimal(10))) == 1
    assert erp_sales(tryton_connector, flow, deal) == []

    BottleCrmSide(crm_connector).approve_discount(deal)
    done = submit_order(flow, deal)
    assert done.done and len(erp_sales(tryton_connector, flow, deal)) == 1


class CrashAfterCreate(TrytonSide):
    """The ERP side, but the connection drops right after the sale was created."""

    def create_order(self, order: Order, marker: str) -> str:
        super().create_order(order, marker)
        raise TransientError("connection lost after the create", system=self.system)


def test_a_crash_after_the_erp_create_leaves_exactly_one_order(
    flow: OrderHandoff, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    _, deal, _ = deal_with_quote(crm_connector, Decimal(0))
    real = flow.erp
    flow.erp = CrashAfterCreate(tryton_connector)
    crashed = submit_order(flow, deal)
    assert crashed.state == "customer_linked" and "connection lost" in (crashed.error or "")
    flow.erp = real
    done = submit_order(flow, deal)
    assert done.done and len(erp_sales(tryton_connector, flow, deal)) == 1
    custom = deal_detail(crm_connector, deal)["opportunity_obj"]["custom_fields"]
    assert custom["erp_order_number"] == done.order_number


def test_the_quotes_contact_reaches_the_erp_order_when_it_is_linked(
    flow: OrderHandoff, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Adressat {tag} GmbH"
    account = new_account(crm_connector, name)
    new_contact(crm_connector, account, "Anna", f"Erste{tag}")
    second = new_contact(crm_connector, account, "Bert", f"Zweiter{tag}")
    deal = won_deal(crm_connector, account, f"{name}: spares", Decimal(120))
    accepted_quote(
        crm_connector, account_id=account, contact_id=second, deal_id=deal,
        title=f"Quote {tag}", lines=[QuoteLine(SPARES, Decimal(10), Decimal(12))],
    )  # fmt: skip
    # The customer and the addressed contact exist in the ERP already and are linked.
    customer = Party(name=name, addresses=[Address(street="Hafenstr. 1", city="Kiel")])
    erp_party = TrytonSide(tryton_connector).create_party(customer)
    person = Contact(first_name="Bert", last_name=f"Zweiter{tag}", party_id=erp_party.id,
                     email=f"bert.{tag}@adressat.example")  # fmt: skip
    [made] = tryton_connector.write(
        "contact", [WriteRequest(WriteOp.CREATE, "contact", tag, data=person)]
    )
    assert made.ok and made.native_id, made.error
    with flow.store.begin() as conn:
        record_link(conn, flow.parties, account, erp_party.id, origin="key", actor="test")
        assert flow.contacts is not None
        record_link(conn, flow.contacts, second, made.native_id, origin="key", actor="test")

    result = submit_order(flow, deal)
    assert result.error is None and result.done, result
    (sale_id,) = erp_sales(tryton_connector, flow, deal)
    (sale,) = tryton_connector.client.read("sale.sale", [sale_id], ["contact", "party"])
    assert (sale["party"], sale["contact"]) == (int(erp_party.id), int(made.native_id))
