"""``product.product`` (with its ``product.template``) <-> Product; ``product.category`` <->
ProductGroup.

A product's group is the first non-accounting category of its template. Prices are the
template's list price in the company's currency. Each template carries one variant here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from syncline.connectors.base import WriteOp
from syncline.connectors.tryton.client import Domain
from syncline.connectors.tryton.mapping import EntityMapping, Row, native_id, ref_id, str_id
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity, Money, Product, ProductGroup

TEMPLATE_FIELDS = ("name", "code", "type", "default_uom", "list_price", "categories", "active")


class ProductGroupMapping(EntityMapping):
    entity = "product_group"
    model = "product.category"
    fields = ("name", "code", "parent", "accounting", "create_date", "write_date")
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE})
    # Accounting categories carry accounts and taxes, not the catalogue's structure.
    domain: ClassVar[Domain] = [("accounting", "=", False)]

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        return [
            ProductGroup(name=r["name"], code=r.get("code") or None, parent_id=str_id(r["parent"]))
            for r in rows
        ]

    def _values(self, item: ProductGroup, fields: frozenset[str] | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.wanted("name", fields):
            values["name"] = item.name
        if self.wanted("code", fields):
            values["code"] = item.code
        if self.wanted("parent_id", fields):
            values["parent"] = native_id(item.parent_id, "parent_id", self.system)
        return values

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        assert isinstance(item, ProductGroup)
        return self._values(item, None)

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        assert isinstance(item, ProductGroup)
        return self._values(item, fields)


class ProductMapping(EntityMapping):
    entity = "product"
    model = "product.product"
    fields = ("template", "code", "description", "active", "create_date", "write_date")
    writable = frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE})

    _templates: dict[int, int]
    _groups: dict[int, list[int]]

    def _group_ids(self) -> set[int]:
        rows = self.client.search_read(
            "product.category", [("accounting", "=", False)], ["id"], context={"active_test": False}
        )
        return {int(r["id"]) for r in rows}

    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        template_ids = sorted({int(r["template"]) for r in rows})
        templates = {
            int(t["id"]): t
            for t in self.client.read(
                "product.template", template_ids, TEMPLATE_FIELDS, context={"active_test": False}
            )
        }
        groups = self._group_ids() if rows else set()
        currency = self.lookups.company_currency()
        result: list[CanonicalEntity] = []
        for row in rows:
            template = templates[int(row["template"])]
            group = next((c for c in template.get("categories") or [] if c in groups), None)
            price = template.get("list_price")
            result.append(
                Product(
                    code=row.get("code") or template.get("code") or f"#{row['id']}",
                    name=template["name"],
                    group_id=str(group) if group is not None else None,
                    unit=self.lookups.units.code_of(ref_id(template["default_uom"])) or "u",
                    list_price=Money(amount=price, currency=currency)
                    if isinstance(price, Decimal)
                    else None,
                    description=row.get("description") or None,
                    kind=template["type"],
                    active=bool(row.get("active", True)) and bool(template.get("active", True)),
                )
            )
        return result

    def _template_values(
        self, item: Product, fields: frozenset[str] | None, groups: Sequence[int]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.wanted("code", fields):
            values["code"] = item.code
        if self.wanted("name", fields):
            values["name"] = item.name
        if self.wanted("kind", fields):
            values["type"] = item.kind
        if self.wanted("unit", fields):
            unit = self.lookups.units.require(item.unit, "unit of measure")
            values["default_uom"] = unit
            values["sale_uom"] = unit  # required by the sale module
        if self.wanted("list_price", fields) and item.list_price is not None:
            if item.list_price.currency != self.lookups.company_currency():
                raise PermanentError(
                    f"list price in {item.list_price.currency} but Tryton's company currency "
                    f"is {self.lookups.company_currency()}",
                    system=self.system,
                    field="list_price",
                )
            values["list_price"] = item.list_price.amount
        if self.wanted("group_id", fields):
            group = native_id(item.group_id, "group_id", self.system)
            wanted = [group] if group is not None else []
            if list(groups) != wanted:
                actions: list[Any] = [("remove", list(groups))] if groups else []
                if wanted:
                    actions.append(("add", wanted))
                values["categories"] = actions
        if self.wanted("active", fields):
            values["active"] = item.active
        return values

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        """Values for ``product.template`` with one variant (see ``create_records``)."""
        assert isinstance(item, Product)
        values = self._template_values(item, None, [])
        values.setdefault("list_price", Decimal(0))
        values["salable"] = True
        values["products"] = [("create", [{"suffix_code": None, "description": item.description}])]
        return values

    def create_records(self, values: Sequence[dict[str, Any]]) -> list[int]:
        """Create templates in one call and return their (single) variants' ids, in order."""
        template_ids = self.client.create("product.template", values)
        rows = self.client.read("product.template", template_ids, ["products"])
        by_template = {int(r["id"]): r["products"] for r in rows}
        return [int(by_template[t][0]) for t in template_ids]

    def prepare_updates(self, ids: Sequence[int]) -> None:
        rows = self.client.read(self.model, ids, ["template"], context={"active_test": False})
        self._templates = {int(r["id"]): int(r["template"]) for r in rows}
        templates = self.client.read(
            "product.template",
            sorted(set(self._templates.values())),
            ["categories"],
            context={"active_test": False},
        )
        groups = self._group_ids()
        self._groups = {
            int(t["id"]): [c for c in t["categories"] if c in groups] for t in templates
        }

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        """``{"template": values, "variant": values}`` for ``write_records``."""
        assert isinstance(item, Product)
        template_id = self._templates[record_id]
        template = self._template_values(item, fields, self._groups.get(template_id, []))
        variant: dict[str, Any] = {}
        if self.wanted("description", fields):
            variant["description"] = item.description
        if self.wanted("active", fields):
            variant["active"] = item.active
        if self.wanted("code", fields):
            variant["suffix_code"] = None
        return {"template": template, "variant": variant}

    def write_records(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Template values go to the templates, variant values to the products."""
        self.client.write_many(
            "product.template",
            [([self._templates[i]], v["template"]) for i, v in changes if v["template"]],
        )
        self.client.write_many(
            self.model, [([i], v["variant"]) for i, v in changes if v["variant"]]
        )


__all__ = ["ProductGroupMapping", "ProductMapping"]
