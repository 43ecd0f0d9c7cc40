"""Read-only ERP queries against the seeded demo company."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from syncline.connectors.tryton import TrytonConnector

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
