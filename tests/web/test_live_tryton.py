"""Tryton behind the live pages (``web.live_tryton``): ship dates count from the company's day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from syncline.connectors.tryton import TrytonConnector, TrytonInsight
from syncline.web.live_tryton import TrytonDesk
from tests.connectors.tryton.scripted import SETTINGS, ScriptedTryton


def test_the_earliest_ship_date_is_the_companys_today_not_utcs() -> None:
    """At 07:30 UTC on 2 March it is still 1 March in Los Angeles: goods in stock ship then."""

    def search(params: list[Any]) -> list[int]:
        return [3] if params[0] == [["type", "=", "warehouse"]] else [3, 4]

    tryton = ScriptedTryton(
        {
            "model.company.company.read": lambda _: [
                {"id": 1, "timezone": "America/Los_Angeles", "party": 1, "currency": 1}
            ],
            "model.currency.currency.search_read": lambda _: [{"id": 1, "code": "USD"}],
            "model.product.product.read": lambda _: [{"id": 5, "type": "goods"}],
            "model.stock.location.search": search,
            "model.product.product.search_read": lambda _: [
                {"id": 5, "quantity": Decimal(10), "forecast_quantity": Decimal(10)}
            ],
            "model.stock.move.search_read": lambda _: [],
        }
    )
    connector = TrytonConnector("erp", SETTINGS, client=tryton.client())
    now = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    connector.insight = TrytonInsight(connector.client, connector.lookups, clock=lambda: now)
    desk = TrytonDesk(connector)
    assert desk.today() == date(2026, 3, 1)  # the day the order entry form dates orders on
    assert desk.ship_date([("5", Decimal(4))]) == date(2026, 3, 1)
    (probe,) = tryton.params_of("model.product.product.search_read")
    assert probe[-1]["stock_date_end"] == date(2026, 3, 1)
