"""Canonical business entities (pydantic v2). This package imports nothing else of syncline's."""

from __future__ import annotations

from syncline.model.base import (
    CanonicalEntity,
    CountryCode,
    CurrencyCode,
    Email,
    EntityValidationError,
    ExactDecimal,
    Money,
    UtcDateTime,
    canonical_json,
)
from syncline.model.billing import (
    BillingDocument,
    CreditNote,
    Invoice,
    InvoiceState,
    Shipment,
    ShipmentState,
)
from syncline.model.party import Address, AddressKind, Contact, Party, PartyRole
from syncline.model.product import Product, ProductGroup
from syncline.model.sales import (
    DocumentLine,
    Opportunity,
    OpportunityStatus,
    Order,
    OrderState,
    Quote,
    QuoteStatus,
)
from syncline.model.service import (
    BillingPeriod,
    CasePriority,
    CaseType,
    ServiceAgreement,
    ServiceCase,
    TimeEntry,
)

ENTITY_TYPES: dict[str, type[CanonicalEntity]] = {
    cls.entity_name: cls
    for cls in (
        Party,
        Contact,
        ProductGroup,
        Product,
        Opportunity,
        Quote,
        Order,
        Invoice,
        CreditNote,
        Shipment,
        ServiceCase,
        TimeEntry,
        ServiceAgreement,
    )
}
"""Every syncable entity by its config name (``party``, ``contact``, ...)."""


def entity_type(name: str) -> type[CanonicalEntity]:
    """The entity class for ``name``; raises KeyError listing the known names."""
    try:
        return ENTITY_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(ENTITY_TYPES))
        raise KeyError(f"unknown entity {name!r}; known entities: {known}") from None


__all__ = [
    "ENTITY_TYPES",
    "Address",
    "AddressKind",
    "BillingDocument",
    "BillingPeriod",
    "CanonicalEntity",
    "CasePriority",
    "CaseType",
    "Contact",
    "CountryCode",
    "CreditNote",
    "CurrencyCode",
    "DocumentLine",
    "Email",
    "EntityValidationError",
    "ExactDecimal",
    "Invoice",
    "InvoiceState",
    "Money",
    "Opportunity",
    "OpportunityStatus",
    "Order",
    "OrderState",
    "Party",
    "PartyRole",
    "Product",
    "ProductGroup",
    "Quote",
    "QuoteStatus",
    "ServiceAgreement",
    "ServiceCase",
    "Shipment",
    "ShipmentState",
    "TimeEntry",
    "UtcDateTime",
    "canonical_json",
    "entity_type",
]
