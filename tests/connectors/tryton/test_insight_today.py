"""The insight's "today" is the date in the Tryton company's time zone (``tryton.insight``).

Tryton dates moves by the company's day; counted on syncline's (UTC) day instead, moves near
midnight were taken for late or not late on the wrong day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from syncline.connectors.tryton import TrytonInsight, connect
from syncline.demo.tryton import TrytonInstance
from tests.connectors.tryton.scripted import ScriptedTryton
from tests.support.live_systems import tryton_settings_for


def _company(zone: str | None) -> ScriptedTryton:
    """One company in ``zone``, one warehouse (3, holding location 4), one product (5)."""

    def search(params: list[Any]) -> list[int]:
        return [3] if params[0] == [["type", "=", "warehouse"]] else [3, 4]

    company = {"id": 1, "timezone": zone, "party": 1, "currency": 1}
    return ScriptedTryton(
        {
            "model.company.company.read": lambda _: [company],
            "model.currency.currency.search_read": lambda _: [{"id": 1, "code": "EUR"}],
            "model.stock.location.search": search,
            "model.product.product.search_read": lambda _: [
                {"id": 5, "quantity": Decimal(10), "forecast_quantity": Decimal(8)}
            ],
            "model.stock.move.search_read": lambda _: [],
        }
    )


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _dates_in(value: Any) -> set[date]:
    if isinstance(value, date):
        return {value}
    if isinstance(value, list | tuple):
        return {d for item in value for d in _dates_in(item)}
    return set()


MIDNIGHTS = [
    # (company's zone, now in UTC, the company's today): NZDT is UTC+13, PST is UTC-8
    ("Pacific/Auckland", datetime(2026, 3, 1, 10, 59, tzinfo=UTC), date(2026, 3, 1)),
    ("Pacific/Auckland", datetime(2026, 3, 1, 11, 0, tzinfo=UTC), date(2026, 3, 2)),
    ("America/Los_Angeles", datetime(2026, 3, 2, 7, 59, tzinfo=UTC), date(2026, 3, 1)),
    ("America/Los_Angeles", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), date(2026, 3, 2)),
    (None, datetime(2026, 3, 1, 23, 59, tzinfo=UTC), date(2026, 3, 1)),
    ("", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), date(2026, 3, 2)),
]


@pytest.mark.parametrize(("zone", "now", "today"), MIDNIGHTS)
def test_the_forecast_counts_from_the_companys_today(
    zone: str | None, now: datetime, today: date
) -> None:
    tryton = _company(zone)
    insight = TrytonInsight(tryton.client(), clock=_at(now))
    (level,) = insight.stock(["5"])
    assert insight.today() == today
    assert level.at == today
    (products,) = tryton.params_of("model.product.product.search_read")
    assert products[-1]["stock_date_end"] == today
    (moves,) = tryton.params_of("model.stock.move.search_read")
    assert _dates_in(moves[0]) == {today}, "late means dated before the company's today"


def test_the_companys_time_zone_is_read_once() -> None:
    tryton = _company("Pacific/Auckland")
    moments = iter(
        [datetime(2026, 3, 1, 10, 59, tzinfo=UTC), datetime(2026, 3, 1, 11, 0, tzinfo=UTC)]
    )
    insight = TrytonInsight(tryton.client(), clock=lambda: next(moments))
    assert [insight.today(), insight.stock(["5"])[0].at] == [date(2026, 3, 1), date(2026, 3, 2)]
    reads = tryton.params_of("model.company.company.read")
    assert [fields for _, fields, _ in reads].count(["timezone"]) == 1


def test_a_time_zone_unknown_here_counts_as_utc() -> None:
    insight = TrytonInsight(
        _company("Mars/Olympus_Mons").client(), clock=_at(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))
    )
    assert insight.today() == date(2026, 3, 1)


def _late_delivery(client: Any, product: int, planned: date) -> None:
    """A waiting (draft) delivery of 2 units of ``product`` to a customer, planned ``planned``."""
    (customer,) = client.search("stock.location", [("type", "=", "customer")])
    (warehouse,) = client.search_read(
        "stock.location", [("type", "=", "warehouse")], ["storage_location"]
    )
    (company,) = client.search("company.company", [])
    (currency,) = client.search("currency.currency", [("code", "=", "EUR")])
    (unit,) = client.read("product.product", [product], ["default_uom"])
    move = {"product": product, "unit": unit["default_uom"], "quantity": 2.0}
    move |= {"from_location": warehouse["storage_location"], "to_location": customer}
    move |= {"planned_date": planned, "company": company}
    move |= {"currency": currency, "unit_price": Decimal("10")}
    client.create("stock.move", [move])


@pytest.mark.integration
@pytest.mark.tryton
def test_a_real_tryton_and_the_insight_agree_on_the_companys_today(
    own_tryton: TrytonInstance,
) -> None:
    """With the company in a zone whose date is not UTC's now, the insight's today is the one
    Tryton's ``ir.date.today`` gives, and a delivery planned on UTC's date is late or not as
    the company's day has it."""
    connector = connect("erp", tryton_settings_for(own_tryton))
    client = connector.client
    now = datetime.now(UTC)
    zone = (
        "Etc/GMT+12" if now.hour < 11 else "Etc/GMT-14"
    )  # UTC-12 before 12:00, UTC+14 after 10:00
    local = now.astimezone(ZoneInfo(zone)).date()
    try:
        (company,) = client.search("company.company", [])
        client.write("company.company", [company], {"timezone": zone})
        waiting = client.search_read("stock.move", [("state", "!=", "done")], ["product"])
        (product,) = client.search(
            "product.product",
            [("type", "=", "goods"), ("id", "not in", [int(m["product"]) for m in waiting])],
            limit=1,
        )
        _late_delivery(client, product, now.date())
        insight = TrytonInsight(client, connector.lookups)
        (level,) = insight.stock([str(product)])
        trytons_today = client.model("ir.date", "today")
    finally:
        connector.close()
    assert local != now.date()
    assert insight.today() == trytons_today == local
    assert level.at == local
    late = Decimal(2) if now.date() < local else Decimal(0)
    assert level.forecast == level.on_hand - late
