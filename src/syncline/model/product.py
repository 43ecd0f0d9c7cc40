"""The product catalogue: groups and products (the ERP leads these by default)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from syncline.model.base import CanonicalEntity, Money


class ProductGroup(CanonicalEntity):
    """A product category; ``parent_id`` is the parent group's id in the same system."""

    entity_name: ClassVar[str] = "product_group"
    references: ClassVar[dict[str, str]] = {"parent_id": "product_group"}

    name: str = Field(min_length=1)
    code: str | None = None
    parent_id: str | None = None


class Product(CanonicalEntity):
    """A sellable item or service. ``unit`` is the sales unit's symbol (``u``, ``kg``, ``h``)."""

    entity_name: ClassVar[str] = "product"
    references: ClassVar[dict[str, str]] = {"group_id": "product_group"}

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    group_id: str | None = None
    unit: str = "u"
    list_price: Money | None = None
    description: str | None = None
    kind: str = "goods"
    active: bool = True
