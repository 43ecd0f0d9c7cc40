"""Product catalogue end to end: a new salable Tryton product appears in BottleCRM's catalogue
with its group; a CRM price edit is reverted; the order handoff maps through the link."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.product_catalogue import ProductCatalogue, product_key
from syncline.model import Money, Product, ProductGroup
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.scenario import flow_named

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def erp_product(erp: TrytonConnector, code: str, price: Decimal) -> str:
    (group,) = [
        r.native_id
        for r in erp.write(
            "product_group",
            [WriteRequest(WriteOp.CREATE, "product_group", f"g-{code}",
                          data=ProductGroup(name=f"Gruppe {code}"))],
        )
    ]  # fmt: skip
    product = Product(
        code=code, name=f"Presse {code}", group_id=group, list_price=Money(amount=price)
    )
    (result,) = erp.write("product", [WriteRequest(WriteOp.CREATE, "product", code, data=product)])
    assert result.ok and result.native_id, result.error
    return result.native_id


def crm_products(crm: BottleCrmConnector, sku: str) -> list[dict[str, object]]:
    body = crm.client.get("/api/invoices/products/", {"limit": 1000})
    return [p for p in body["results"] if p.get("sku") == sku]


def test_the_erp_catalogue_leads_the_crm_products(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    code = f"P-{uuid.uuid4().hex[:6].upper()}"
    erp_id = erp_product(tryton_connector, code, Decimal("2450.00"))
    flow = flow_named("catalogue", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, ProductCatalogue)
    mine = RunOptions(keys=frozenset({product_key(erp_id)}))
    assert flow.run(mine).errors == []

    (product,) = crm_products(crm_connector, code)
    assert (product["name"], product["price"], product["category"]) == (
        f"Presse {code}", "2450.00", f"Gruppe {code}",
    )  # fmt: skip
    crm_connector.client.request(
        "PUT", f"/api/invoices/products/{product['id']}/", json={"price": "99.00"}
    )
    flow.run(mine)
    (reverted,) = crm_products(crm_connector, code)
    assert reverted["price"] == "2450.00"
    with flow_store.begin() as conn:
        reverts = query_events(conn, map_name="catalogue", reason="ownership_revert")
    assert [(e.field, e.old_value, e.new_value) for e in reverts] == [("list_price", "99", "2450")]
    assert flow.run(mine).transitions == 0
