"""The order entry form against the real BottleCRM and Tryton: the CRM quote pre-fills the
lines, the ERP adds stock, forecast and a ship date, and submitting places a real ERP order
whose ship date goes back to the CRM deal as a notice."""

from __future__ import annotations

import re
from decimal import Decimal
from html import escape
from typing import Any

import pytest
from sqlalchemy import select

from syncline.connectors.bottlecrm.connector import TASKS_SHAPE
from syncline.store.schema import audit_events
from syncline.web.live import ErpProduct
from syncline.web.order_entry import best_product
from tests.web.conftest import RealSystems, World, csrf_of, login

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def _goods(real: RealSystems, count: int) -> list[ErpProduct]:
    """Stocked products with enough forecast for a few units."""
    goods = [p for p in real.erp.products() if p.goods]
    levels = {s.product_id: s for s in real.erp.stock([p.id for p in goods])}
    return [p for p in goods if levels[p.id].forecast >= 10][:count]


def _sale(real: RealSystems, native_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    client = real.erp.client
    (sale,) = client.read("sale.sale", [int(native_id)], ["party", "state", "number", "reference"])
    lines = client.search_read(
        "sale.line", [("sale", "=", int(native_id))], ["product", "quantity"]
    )
    return sale, lines


def _notices(real: RealSystems, number: str) -> list[dict[str, Any]]:
    title = f"Order confirmation {number}"
    client = real.crm.connector.client
    return [
        task
        for page in client.pages("/api/tasks/", (TASKS_SHAPE,), {"title": title})
        for task in page
        if task.get("title") == title
    ]


def test_the_proposal_prefills_quote_lines_with_products_stock_and_ship_date(
    live_world: World, real_systems: RealSystems
) -> None:
    account, deal = real_systems.account, real_systems.deal
    answer = live_world.client("viewer").get(
        "/api/orders/proposal", params={"account_id": account.id, "deal_id": deal.id}
    )
    assert answer.status_code == 200, answer.text
    proposal = answer.json()
    assert proposal["erp_party_id"] == real_systems.party_id
    quoted = real_systems.crm.deal_lines(deal.id)
    assert [ln["description"] for ln in proposal["lines"]] == [q.description for q in quoted]
    products = {p.id: p for p in real_systems.erp.products()}
    matched = [ln for ln in proposal["lines"] if ln["product_id"]]
    assert matched, "the demo quotes name ERP product codes"
    for line in matched:
        assert products[line["product_id"]].code == line["description"]
    goods = [ln["product_id"] for ln in matched if products[ln["product_id"]].goods]
    levels = {s.product_id: s for s in real_systems.erp.stock(goods)}
    for line in matched:
        if line["product_id"] in levels:
            assert Decimal(line["on_hand"]) == levels[line["product_id"]].on_hand
            assert Decimal(line["forecast"]) == levels[line["product_id"]].forecast
    wanted = [(ln["product_id"], Decimal(ln["quantity"])) for ln in matched]
    expected = real_systems.erp.ship_date(wanted)
    assert proposal["ship_date"] == (expected.isoformat() if expected else None)


def test_placing_an_order_creates_it_in_the_erp_and_tells_the_crm(
    live_world: World, real_systems: RealSystems
) -> None:
    first, second = _goods(real_systems, 2)
    body = {
        "account_id": real_systems.account.id,
        "deal_id": real_systems.deal.id,
        "submission": "api-order-0001",
        "lines": [
            {"product_id": first.id, "quantity": "2", "unit_price": "10.50"},
            {"product_id": second.id, "quantity": "1", "unit_price": "99", "description": "x"},
        ],
    }
    client = live_world.client("operator")
    answer = client.post("/api/orders", json=body)
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    sale, lines = _sale(real_systems, placed["native_id"])
    assert str(sale["party"]) == real_systems.party_id
    assert sale["state"] in ("confirmed", "processing") and sale["number"] == placed["number"]
    assert sorted((str(ln["product"]), ln["quantity"]) for ln in lines) == sorted(
        [(first.id, 2.0), (second.id, 1.0)]
    )
    assert placed["planned_ship_date"] is not None
    [notice] = _notices(real_systems, placed["number"])
    assert placed["crm_notice_id"] == str(notice["id"])
    assert notice["due_date"] == placed["planned_ship_date"]
    assert notice["opportunity"]["id"] == real_systems.deal.id
    task = real_systems.crm.connector.client.get(f"/api/tasks/{notice['id']}/")["task_obj"]
    assert f"planned ship date {placed['planned_ship_date']}" in task["description"]
    with live_world.runtime.store.begin() as conn:
        [(actor, detail)] = conn.execute(
            select(audit_events.c.actor, audit_events.c.detail).where(
                audit_events.c.reason == "flow", audit_events.c.entity == "order"
            )
        ).all()
    assert actor == "operator"
    assert (
        detail == f"order entry: ERP order {placed['number']} for CRM deal {real_systems.deal.id}"
    )
    again = client.post("/api/orders", json=body)
    assert again.status_code == 201 and again.json()["native_id"] == placed["native_id"]
    assert len(_notices(real_systems, placed["number"])) == 1
    del live_world.app.state.order_submissions  # the web server restarted: nothing in memory
    after_restart = client.post("/api/orders", json=body)
    assert after_restart.status_code == 201, after_restart.text
    assert after_restart.json()["native_id"] == placed["native_id"], "ordered twice"
    marked = real_systems.erp.client.search(
        "sale.sale", [("description", "like", "%[syncline:order-entry:api-order-0001]")]
    )
    assert marked == [int(placed["native_id"])]
    assert len(_notices(real_systems, placed["number"])) == 1


def test_the_form_walks_from_account_to_placed_order(
    live_world: World, real_systems: RealSystems
) -> None:
    account, deal = real_systems.account, real_systems.deal
    client = live_world.client()
    login(client, "operator")
    html = {"Accept": "text/html"}
    start = client.get("/orders/new", headers=html).text
    assert f'<option value="{account.id}"' in start
    picked = client.get("/orders/new", params={"account_id": account.id}, headers=html).text
    assert f'<option value="{deal.id}"' in picked
    form = client.get(
        "/orders/new", params={"account_id": account.id, "deal_id": deal.id}, headers=html
    ).text
    assert escape(deal.name) in form
    assert re.search(r'<option value="\d+" selected>', form), "a quote line matched a product"
    (product,) = _goods(real_systems, 1)
    level = real_systems.erp.stock([product.id])[0]
    fields = {
        "csrf_token": csrf_of(client, "/orders/new"),
        "account_id": account.id,
        "deal_id": deal.id,
        "description": ["Spare part", ""],
        "product_id": [product.id, ""],
        "quantity": ["3", "1"],
        "unit_price": ["12.00", "0"],
    }
    checked = client.post("/orders/check", data=fields)
    assert checked.status_code == 200
    assert f"{level.forecast:,.2f}" in checked.text
    submission = re.search(r'name="submission" value="([^"]+)"', checked.text)
    assert submission is not None
    placed = client.post(
        "/orders", data={**fields, "submission": submission.group(1), "confirm": "yes"}
    )
    assert placed.status_code == 303, placed.text
    target = placed.headers["location"]
    assert target.startswith(f"/customers/{account.id}?done=Order%20")
    customer = client.get(target, headers=html).text
    number = re.search(r"Order (\S+) placed \((confirmed|processing)\)", customer)
    assert number is not None, customer[:2000]
    [order] = real_systems.erp.client.search_read(
        "sale.sale", [("number", "=", number.group(1))], ["id"]
    )
    assert f'id="order-{order["id"]}"' in customer, "the customer view shows the new order"


def test_the_erp_and_crm_refusals_reach_the_user(
    live_world: World, real_systems: RealSystems
) -> None:
    client = live_world.client("operator")
    base = {"account_id": real_systems.account.id, "deal_id": real_systems.deal.id}
    line = {"product_id": "987654321", "quantity": "1", "unit_price": "1"}
    unknown = client.post("/api/orders", json={**base, "lines": [line]})
    assert unknown.status_code == 422
    assert "sells no product 987654321" in unknown.json()["detail"]
    foreign = next(
        d
        for a in real_systems.crm.accounts()
        if a.id != real_systems.account.id
        for d in real_systems.crm.deals(a.id)
    )
    wrong = client.post("/api/orders", json={**base, "deal_id": foreign.id, "lines": [line]})
    assert wrong.status_code == 404
    unnumbered = next(a for a in real_systems.crm.accounts() if not a.erp_number)
    deal = real_systems.crm.deals(unnumbered.id)[0]
    (product,) = _goods(real_systems, 1)
    good_line = {"product_id": product.id, "quantity": "1", "unit_price": "1"}
    nobody = client.post(
        "/api/orders",
        json={"account_id": unnumbered.id, "deal_id": deal.id, "lines": [good_line]},
    )
    assert nobody.status_code == 409
    assert "knows no customer" in nobody.json()["detail"]


def test_viewers_see_the_form_but_cannot_place_orders(
    live_world: World, real_systems: RealSystems
) -> None:
    client = live_world.client()
    login(client, "viewer")
    params = {"account_id": real_systems.account.id, "deal_id": real_systems.deal.id}
    form = client.get("/orders/new", params=params, headers={"Accept": "text/html"}).text
    assert "Check stock and ship date" in form
    assert 'id="place-order"' not in form and "operators place orders" in form


def test_quote_lines_find_their_product_by_code_or_by_name() -> None:
    catalogue = [
        ErpProduct("1", "ERS-011", "[ERS-011] Spindellager 1", "u", Decimal(390), True),
        ErpProduct("2", "ERS-012", "[ERS-012] Spindellager 2", "u", Decimal(480), True),
        ErpProduct("3", "DIE-011", "[DIE-011] Wartung Stufe 1", "h", Decimal(95), False),
    ]
    assert best_product("ERS-012", catalogue) == catalogue[1]
    assert best_product("Ersatz (ers-011)", catalogue) == catalogue[0]
    assert best_product("Spindellager 2", catalogue) == catalogue[1]
    assert best_product("Wartung Stufe 1", catalogue) == catalogue[2]
    assert best_product("Servicetechniker (h)", catalogue) is None
    assert best_product("  ", catalogue) is None
