"""Product catalogue: the ERP leads it. Each salable ERP product gets a linked CRM product with
the ERP's code (the CRM's SKU), name, list price, description, active flag and group (the
CRM's category); a CRM edit of any of these is reverted and audited as an ownership revert.

The links recorded here are the catalogue links the order handoff maps quote lines through.
An unlinked CRM product is matched by its SKU before a new one is created. The state machine
is the one of every ERP-led flow (:mod:`syncline.flows.erp_led`).
"""

from __future__ import annotations

from typing import Any

from syncline.flows.erp_led import ErpLedFlow
from syncline.flows.linking import MapSides
from syncline.flows.ports import CatalogueItem, CrmSide, ErpSide
from syncline.mapping.flows import ProductCatalogueConfig
from syncline.store import Store


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None


class ProductCatalogue(ErpLedFlow[CatalogueItem]):
    """Salable ERP product -> linked CRM catalogue product, the ERP owning its fields."""

    kind = "product_catalogue"
    entity = "product"
    crm_entity = "product"
    key_prefix = "product"

    def __init__(
        self,
        config: ProductCatalogueConfig,
        store: Store,
        *,
        crm: CrmSide,
        erp: ErpSide,
        products: MapSides,
    ) -> None:
        super().__init__(config.name, store, sides=products, crm_system=crm.system)
        self.config = config
        self.crm = crm
        self.erp = erp

    def list_erp(self) -> dict[str, CatalogueItem]:
        return self.erp.catalogue()

    def list_crm(self) -> dict[str, CatalogueItem]:
        return self.crm.catalogue()

    def read_erp(self, erp_id: str) -> CatalogueItem | None:
        return self.erp.catalogue().get(erp_id)

    def read_crm(self, crm_id: str) -> CatalogueItem | None:
        return self.crm.catalogue_item(crm_id)

    def owned(self, record: CatalogueItem) -> dict[str, Any]:
        product = record.product
        price = product.list_price if product.list_price and product.list_price.amount else None
        return {
            "code": product.code,
            "name": product.name,
            "list_price": format(price.amount.normalize(), "f") if price else None,
            "currency": price.currency if price else None,
            "description": _text(product.description),
            "active": product.active,
            "group": _text(record.group),
        }

    def matches(self, erp_record: CatalogueItem, crm_record: CatalogueItem) -> bool:
        return erp_record.product.code == crm_record.product.code

    def _for_crm(self, record: CatalogueItem) -> CatalogueItem:
        product = record.product.model_copy(update={"group_id": None})
        return CatalogueItem(product, _text(record.group))

    def create(self, erp_record: CatalogueItem) -> tuple[str, CatalogueItem] | str:
        if not self.config.create_in_crm:
            return "no CRM record matches and create_in_crm is off"
        item = self._for_crm(erp_record)
        return self.crm.create_catalogue_item(item), item

    def write(
        self, crm_id: str, erp_record: CatalogueItem, crm_record: CatalogueItem
    ) -> CatalogueItem:
        item = self._for_crm(erp_record)
        self.crm.update_catalogue_item(crm_id, item)
        return item


__all__ = ["ProductCatalogue", "product_key"]
