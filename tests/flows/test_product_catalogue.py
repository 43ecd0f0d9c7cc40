"""Product catalogue on in-memory systems: the ERP's products and groups become the CRM's,
matched by SKU; CRM edits of ERP-owned fields are reverted; the links serve the handoff."""

from __future__ import annotations

from decimal import Decimal

from syncline.flows.linking import linked_id, map_sides
from syncline.flows.ports import CatalogueItem
from syncline.flows.product_catalogue import ProductCatalogue
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import ProductCatalogueConfig
from syncline.model import Money, Product
from syncline.store import Store
from syncline.store.audit import query_events
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [{"name": "products", "entity": "product", "a": "erp", "b": "crm"}],
        "flows": [{"name": "catalogue", "kind": "product_catalogue"}],
    }
)


def catalogue(store: Store, crm: FakeCrm, erp: FakeErp) -> ProductCatalogue:
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, ProductCatalogueConfig)
    sides = map_sides(CONFIG, "products", "crm", "erp")
    return ProductCatalogue(cfg, store, crm=crm, erp=erp, products=sides)


def press(price: str = "1000") -> Product:
    return Product(
        code="MAS-1", name="Press", group_id="7", list_price=Money(amount=Decimal(price))
    )


def test_erp_products_and_groups_become_linked_crm_products(flow_store: Store) -> None:
    erp, crm = FakeErp(), FakeCrm()
    erp.catalogue_store = {"1": press(), "2": Product(code="SRV-1", name="Setup", unit="h")}
    erp.groups = {"1": "Pressen"}
    crm.products["old"] = CatalogueItem(Product(code="SRV-1", name="Einrichtung"))
    report = catalogue(flow_store, crm, erp).run()
    assert report.errors == []
    assert crm.products["old"] == CatalogueItem(Product(code="SRV-1", name="Setup", unit="h"))
    (new_id,) = [i for i in crm.products if i != "old"]
    assert crm.products[new_id].group == "Pressen"
    assert crm.products[new_id].product.list_price == Money(amount=Decimal(1000))
    sides = map_sides(CONFIG, "products", "crm", "erp")
    with flow_store.begin() as conn:
        assert linked_id(conn, sides, "crm", new_id) == "1"
        assert linked_id(conn, sides, "crm", "old") == "2"


def test_a_crm_price_edit_is_reverted_and_an_erp_price_change_flows(flow_store: Store) -> None:
    erp, crm = FakeErp(), FakeCrm()
    erp.catalogue_store = {"1": press()}
    flow = catalogue(flow_store, crm, erp)
    flow.run()
    (crm_id,) = crm.products
    cheap = crm.products[crm_id].product.model_copy(update={"list_price": Money(amount=Decimal(1))})
    crm.products[crm_id] = CatalogueItem(cheap, None)
    flow.run()
    assert crm.products[crm_id].product.list_price == Money(amount=Decimal(1000))
    erp.catalogue_store["1"] = press("1100")
    flow.run()
    assert crm.products[crm_id].product.list_price == Money(amount=Decimal(1100))
    assert flow.run().transitions == 0
    with flow_store.begin() as conn:
        events = [e for e in query_events(conn, map_name="catalogue") if e.field == "list_price"]
    assert [(e.old_value, e.new_value, e.reason) for e in events] == [
        ("1", "1000", "ownership_revert"),
        ("1000", "1100", "flow"),
    ]
