"""The Tryton ERP connector (JSON-RPC, Tryton 8.2). Config ``type: tryton``."""

from __future__ import annotations

from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.connector import TrytonConnector, connect
from syncline.connectors.tryton.insight import (
    CustomerAccount,
    InvoiceSummary,
    OrderSummary,
    StockLevel,
    TrytonInsight,
)
from syncline.connectors.tryton.settings import TrytonSettings

__all__ = [
    "CustomerAccount",
    "InvoiceSummary",
    "OrderSummary",
    "StockLevel",
    "TrytonClient",
    "TrytonConnector",
    "TrytonInsight",
    "TrytonSettings",
    "connect",
]
