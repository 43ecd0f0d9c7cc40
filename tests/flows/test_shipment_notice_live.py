"""Shipment notice and the order entry form, end to end on the real systems."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.order_form import order_form
from syncline.flows.order_handoff import submit_order
from syncline.flows.shipment_notice import ShipmentNotice
from syncline.store import Store
from tests.flows.scenario import PRESS, SPARES, deal_with_quote, flow_named, orders_flow

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def tasks_titled(crm: BottleCrmConnector, title: str) -> list[dict[str, object]]:
    body = crm.client.get("/api/tasks/", {"title": title, "limit": 100})
    return [t for t in body.get("tasks") or [] if t.get("title") == title]


def ship(erp: TrytonConnector, sale_number: str) -> tuple[int, str]:
    """Do the customer shipment of a sale in Tryton as the warehouse would; (id, number)."""
    client = erp.client
    (sale,) = client.search_read("sale.sale", [("number", "=", sale_number)], ["shipments"])
    (shipment,) = sale["shipments"]
    for button in ("assign_try", "pick", "pack", "do"):
        client.model("stock.shipment.out", button, [shipment])
    (done,) = client.read("stock.shipment.out", [shipment], ["state", "number"])
    assert done["state"] == "done"
    return shipment, str(done["number"])


def parent_id(task: dict[str, object], key: str) -> str | None:
    value = task.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def test_a_done_shipment_becomes_a_notice_on_the_account_and_the_deal(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    account, deal, _ = deal_with_quote(crm_connector, Decimal(0))
    handed = submit_order(orders_flow(flow_store, tryton_connector, crm_connector), deal)
    assert handed.done and handed.order_number
    shipment_id, number = ship(tryton_connector, handed.order_number)

    notices = flow_named("shipped", flow_store, tryton_connector, crm_connector)
    assert isinstance(notices, ShipmentNotice)
    notices.run()
    notices.run()  # a second run posts nothing new

    title = f"Shipment notice {number}"
    tasks = tasks_titled(crm_connector, title)
    parents = [(parent_id(t, "account"), parent_id(t, "opportunity")) for t in tasks]
    assert sorted(parents, key=str) == sorted([(account, None), (None, deal)], key=str)
    detail = crm_connector.client.get(f"/api/tasks/{tasks[0]['id']}/")
    text = str(detail)
    assert f"/model/stock.shipment.out/{shipment_id}" in text
    assert handed.order_number in text and date.today().isoformat() in text


def test_the_order_form_shows_erp_prices_stock_and_a_ship_date(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    account, deal, name = deal_with_quote(crm_connector, Decimal(5))
    flow = orders_flow(flow_store, tryton_connector, crm_connector)
    form = order_form(flow, deal)
    assert (form.deal_id, form.account_id, form.account_name) == (deal, account, name)
    assert form.discount == Decimal(5) and not form.needs_approval
    assert form.handoff_state is None and form.order_number is None
    press, spares = form.lines
    assert (press.product_code, spares.product_code) == (PRESS, SPARES)
    assert press.erp_product_id and spares.erp_product_id
    stock = {s.product_id: s for s in flow.erp.stock([press.erp_product_id], date.today())}
    assert press.on_hand == stock[press.erp_product_id].on_hand and press.in_stock
    assert form.proposed_ship_date == date.today()
    wish = date.today() + timedelta(days=14)
    result = submit_order(flow, deal, requested_ship_date=wish)
    assert result.done and result.planned_ship_date == wish
    after = order_form(flow, deal)
    assert after.handoff_state == "done" and after.order_number == result.order_number
    assert after.debtor_number is not None
    assert after.lines[1].erp_price is not None and after.lines[1].erp_price != Decimal(12)
