"""A sales scenario on the real systems, shared by the end-to-end flow tests: a new customer
with a won deal and an accepted quote, and the flows of one syncline.yaml."""

from __future__ import annotations

import uuid
from decimal import Decimal

from syncline.connectors.base import Connector
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import Flow
from syncline.flows.erp_tryton import marker_text
from syncline.flows.order_handoff import OrderHandoff
from syncline.flows.registry import build_flow
from syncline.mapping.config import SynclineConfig
from syncline.store import Store
from tests.support.crm_records import (
    QuoteLine,
    accepted_quote,
    new_account,
    new_contact,
    won_deal,
)

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [
            {"name": "customers", "entity": "party", "a": "erp", "b": "crm"},
            {"name": "products", "entity": "product", "a": "erp", "b": "crm"},
            {"name": "contacts", "entity": "contact", "a": "erp", "b": "crm"},
        ],
        "flows": [
            {"name": "orders", "kind": "order_handoff", "discount_limit": 10},
            {"name": "shipped", "kind": "shipment_notice", "lookback_days": 2},
            {"name": "debtors", "kind": "customer_master"},
            {"name": "catalogue", "kind": "product_catalogue"},
            {"name": "invoices", "kind": "billing_documents", "lookback_days": 400},
            {"name": "cases", "kind": "service_cases"},
            {"name": "hours", "kind": "time_aggregation"},
            {"name": "services", "kind": "service_billing"},
        ],
    }
)
PRESS, SPARES = "MAS-013", "ERS-011"


def flow_named(name: str, store: Store, erp: TrytonConnector, crm: BottleCrmConnector) -> Flow:
    systems: dict[str, Connector] = {"erp": erp, "crm": crm}
    return build_flow(CONFIG, store, systems.__getitem__, name)


def orders_flow(store: Store, erp: TrytonConnector, crm: BottleCrmConnector) -> OrderHandoff:
    built = flow_named("orders", store, erp, crm)
    assert isinstance(built, OrderHandoff)
    return built


def deal_with_quote(crm: BottleCrmConnector, discount: Decimal) -> tuple[str, str, str]:
    """A new customer with a won deal and an accepted quote; (account, deal, company name)."""
    tag = uuid.uuid4().hex[:8]
    name = f"Handoff {tag} GmbH"
    account = new_account(crm, name, email=f"einkauf@{tag}.example.de", city="Kiel")
    contact = new_contact(crm, account, "Anna", f"Buyer{tag}")
    deal = won_deal(crm, account, f"{name}: press line", Decimal(4000))
    accepted_quote(
        crm, account_id=account, contact_id=contact, deal_id=deal, title=f"Quote {tag}",
        lines=[QuoteLine(PRESS, Decimal(2), Decimal(1500), discount),
               QuoteLine(SPARES, Decimal(10), Decimal(12))],
    )  # fmt: skip
    return account, deal, name


def erp_sales(erp: TrytonConnector, flow: OrderHandoff, deal: str) -> list[int]:
    """The ERP sales the flow created for ``deal`` (found by their marker)."""
    marker = marker_text(flow.marker(deal))
    return erp.client.search("sale.sale", [("description", "like", f"%{marker}")])
