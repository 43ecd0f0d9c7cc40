"""Read-only ERP queries against the seeded demo company."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from syncline.connectors.tryton import TrytonClient, TrytonConnector, connect
from syncline.demo.tryton import TrytonInstance
from tests.support.live_systems import tryton_settings_for

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def test_stock_on_hand_and_forecast(tryton_connector: TrytonConnector) -> None:
    client = tryton_connector.client
    waiting = client.search_read(
        "stock.move",
        [("shipment", "like", "stock.shipment.out,%"), ("state", "in", ["draft", "assigned"])],
        ["product", "quantity"],
    )
    assert waiting, "the demo keeps some customer shipments waiting"
    product = str(waiting[0]["product"])
    (level,) = tryton_connector.insight.stock([product, "999999999"])
    assert level.product_id == product and level.at == date.today()
    assert level.on_hand > 0
    assert level.forecast < level.on_hand, "waiting deliveries lower the forecast"
    (past,) = tryton_connector.insight.stock([product], date.today() - timedelta(days=365))
    assert past.on_hand == 0, "the opening inventory is younger than a year"


def _trytons_forecast(client: TrytonClient, products: list[int], day: date) -> dict[int, Decimal]:
    """Tryton's own forecast_quantity over all warehouses, per product."""
    context = {
        "locations": client.search("stock.location", [("type", "=", "warehouse")]),
        "stock_date_end": day,
        "with_childs": True,
    }
    rows = client.search_read(
        "product.product", [("id", "in", products)], ["forecast_quantity"], context=context
    )
    return {r["id"]: Decimal(str(r["forecast_quantity"])) for r in rows}


def _late_balance(client: TrytonClient, product: int) -> Decimal:
    """Late receipts minus late deliveries of the warehouses, worked out from every location
    and every move of the product: waiting moves Tryton dates before today."""
    locations = client.search_read(
        "stock.location", [], ["type", "parent"], context={"active_test": False}
    )
    parent = {r["id"]: r["parent"] for r in locations}
    kind = {r["id"]: r["type"] for r in locations}

    def in_a_warehouse(location: int | None) -> bool:
        while location is not None and kind[location] != "warehouse":
            location = parent[location]
        return location is not None

    today = date.today()
    balance = Decimal(0)
    moves = client.search_read(
        "stock.move",
        [("product", "=", product)],
        [
            "state",
            "effective_date",
            "planned_date",
            "from_location",
            "to_location",
            "internal_quantity",
        ],
    )
    for move in moves:
        if move["state"] not in ("draft", "assigned"):
            continue
        assigned_today = today if move["state"] == "assigned" else None
        when = move["effective_date"] or assigned_today or move["planned_date"]
        if when is None or when >= today:
            continue
        direction = int(in_a_warehouse(move["to_location"])) - int(
            in_a_warehouse(move["from_location"])
        )
        balance += direction * Decimal(str(move["internal_quantity"]))
    return balance


def test_forecast_counts_late_deliveries(tryton_connector: TrytonConnector) -> None:
    client = tryton_connector.client
    waiting = client.search_read(
        "stock.move", [("state", "in", ["draft", "assigned"])], ["product"]
    )
    products = sorted({int(m["product"]) for m in waiting})
    late = {product: _late_balance(client, product) for product in products}
    for day in (date.today(), date.today() + timedelta(days=30)):
        trytons = _trytons_forecast(client, products, day)
        levels = tryton_connector.insight.stock([str(p) for p in products], day)
        assert [int(level.product_id) for level in levels] == products
        for level in levels:
            product = int(level.product_id)
            assert level.forecast == trytons[product] + late[product], product


def test_forecast_without_late_moves_is_trytons(tryton_connector: TrytonConnector) -> None:
    client = tryton_connector.client
    waiting = client.search_read(
        "stock.move", [("state", "in", ["staging", "draft", "assigned"])], ["product"]
    )
    busy = sorted({int(m["product"]) for m in waiting})
    (product,) = client.search(
        "product.product", [("type", "=", "goods"), ("id", "not in", busy)], limit=1
    )
    for day in (date.today(), date.today() + timedelta(days=30)):
        (level,) = tryton_connector.insight.stock([str(product)], day)
        assert level.forecast == _trytons_forecast(client, [product], day)[product]


def _seed_waiting_moves(client: TrytonClient, product: dict[str, Any]) -> None:
    """Waiting moves of ``product`` in the one warehouse, late (yesterday) unless noted."""
    today = date.today()
    yesterday = today - timedelta(days=1)
    (customer,) = client.search("stock.location", [("type", "=", "customer")])
    (supplier,) = client.search("stock.location", [("type", "=", "supplier")])
    (warehouse,) = client.search_read(
        "stock.location", [("type", "=", "warehouse")], ["storage_location", "output_location"]
    )
    storage, output = warehouse["storage_location"], warehouse["output_location"]
    (company,) = client.search("company.company", [])
    (currency,) = client.search("currency.currency", [("code", "=", "EUR")])
    (unit,) = client.read("product.uom", [product["default_uom"]], ["category"])
    dozen = {"name": "Dozen", "symbol": "dz", "category": unit["category"], "digits": 0}
    dozen |= {"factor": 12.0, "rate": round(1 / 12, 12), "rounding": 1.0}
    (dozen_id,) = client.create("product.uom", [dozen])

    def move(source: int, target: int, quantity: float, planned: date) -> dict[str, Any]:
        values = {
            "product": product["id"],
            "unit": product["default_uom"],
            "quantity": quantity,
            "from_location": source,
            "to_location": target,
            "planned_date": planned,
            "company": company,
        }
        if {source, target} != {storage, output}:  # Tryton prices moves to or from a party
            values |= {"currency": currency, "unit_price": Decimal("10")}
        return values

    client.create(
        "stock.move",
        [
            move(storage, customer, 2, yesterday),  # a late delivery
            move(supplier, storage, 7, yesterday),  # a late receipt
            move(storage, output, 5, yesterday),  # within the warehouse
            move(storage, customer, 11, today + timedelta(days=3)),  # not late
            move(output, customer, 1, yesterday) | {"unit": dozen_id},  # 12 units
        ],
    )
    # an assigned late return to the supplier, which Tryton dates today
    (party,) = client.search("party.party", [], limit=1)
    shipment = {"company": company, "supplier": party, "planned_date": yesterday}
    shipment |= {"from_location": storage, "to_location": supplier}
    shipment["moves"] = [["create", [move(storage, supplier, 3, yesterday)]]]
    (returned,) = client.create("stock.shipment.in.return", [shipment])
    client.model("stock.shipment.in.return", "wait", [returned])
    client.model("stock.shipment.in.return", "assign_force", [returned])


def test_forecast_of_late_receipts_and_deliveries(own_tryton: TrytonInstance) -> None:
    connector = connect("erp", tryton_settings_for(own_tryton))
    client = connector.client
    today = date.today()
    try:
        waiting = client.search_read("stock.move", [("state", "!=", "done")], ["product"])
        (product,) = client.search_read(
            "product.product",
            [("type", "=", "goods"), ("id", "not in", [int(m["product"]) for m in waiting])],
            ["default_uom"],
            limit=1,
        )
        (before,) = connector.insight.stock([str(product["id"])])
        _seed_waiting_moves(client, product)
        (now,) = connector.insight.stock([str(product["id"])])
        (later,) = connector.insight.stock([str(product["id"])], today + timedelta(days=7))
        (past,) = connector.insight.stock([str(product["id"])], today - timedelta(days=1))
        trytons = _trytons_forecast(client, [product["id"]], today)[product["id"]]
    finally:
        connector.close()
    assert now.on_hand == before.on_hand == before.forecast
    assert trytons == before.on_hand - 3, "Tryton counts the assigned return alone"
    assert now.forecast == before.on_hand - 2 + 7 - 12 - 3
    assert later.forecast == now.forecast - 11
    assert past.forecast == past.on_hand, "a past date keeps Tryton's answer"


def test_customer_account(tryton_connector: TrytonConnector) -> None:
    client = tryton_connector.client
    (invoice,) = client.search_read(
        "account.invoice",
        [("type", "=", "out"), ("state", "=", "posted"), ("total_amount", ">", 0)],
        ["party"],
        limit=1,
    )
    party = str(invoice["party"])
    account = tryton_connector.insight.customer_account(party)
    posted = client.search_read(
        "account.invoice",
        [("party", "=", int(party)), ("type", "=", "out"), ("state", "=", "posted")],
        ["amount_to_pay", "untaxed_amount", "invoice_date"],
    )
    assert account.receivable == sum((p["amount_to_pay"] for p in posted), Decimal(0))
    assert account.overdue <= account.receivable
    this_year = [p for p in posted if p["invoice_date"].year == date.today().year]
    assert account.revenue_this_year == sum((p["untaxed_amount"] for p in this_year), Decimal(0))
    assert account.revenue_last_year == sum(
        (p["untaxed_amount"] for p in posted if p["invoice_date"].year < date.today().year),
        Decimal(0),
    )
    assert account.credit_limit is None  # account_credit_limit is not among the demo modules
    assert account.last_invoices and account.last_invoices[0].currency == "EUR"
    dates = [i.invoice_date for i in account.last_invoices if i.invoice_date]
    assert dates == sorted(dates, reverse=True)
    assert all(o.state in ("quotation", "confirmed", "processing") for o in account.open_orders)
