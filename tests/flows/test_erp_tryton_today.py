"""The flows' Tryton side counts stock on the company's day (the insight's ``today``), not
on the date of the machine syncline runs on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from syncline.connectors.tryton import TrytonConnector
from syncline.connectors.tryton.insight import StockLevel
from syncline.flows.erp_tryton import TrytonSide

COMPANY_DAY = date(2026, 11, 29)  # Auckland's date while UTC's is still the 28th


@dataclass
class Insight:
    asked: list[date] = field(default_factory=list)

    def today(self) -> date:
        return COMPANY_DAY

    def stock(self, product_ids: Sequence[str], at: date) -> list[StockLevel]:
        self.asked.append(at)
        return [StockLevel(p, at, Decimal(5), Decimal(5 if at == COMPANY_DAY else 3))
                for p in product_ids]  # fmt: skip


@dataclass
class Connector:
    insight: Insight
    client: Any = None
    system: str = "erp"


def test_stock_on_hand_is_the_company_days() -> None:
    insight = Insight()
    side = TrytonSide(cast(TrytonConnector, Connector(insight)))
    [level] = side.stock(["7"], date(2026, 12, 10))
    assert insight.asked == [COMPANY_DAY, date(2026, 12, 10)]
    assert (level.on_hand, level.forecast, level.at) == (Decimal(5), Decimal(3), date(2026, 12, 10))
