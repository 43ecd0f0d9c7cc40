"""The default entity mappings of the Tryton connector."""

from __future__ import annotations

from syncline.connectors.tryton.client import TrytonClient
from syncline.connectors.tryton.lookups import Lookups
from syncline.connectors.tryton.mapping import EntityMapping
from syncline.connectors.tryton.mapping_billing import (
    CreditNoteMapping,
    InvoiceMapping,
    ShipmentMapping,
)
from syncline.connectors.tryton.mapping_contact import ContactMapping
from syncline.connectors.tryton.mapping_party import PartyMapping
from syncline.connectors.tryton.mapping_product import ProductGroupMapping, ProductMapping
from syncline.connectors.tryton.mapping_sales import OrderMapping
from syncline.connectors.tryton.mapping_service import (
    ServiceAgreementMapping,
    ServiceCaseMapping,
    TimeEntryMapping,
)

MAPPINGS: tuple[type[EntityMapping], ...] = (
    PartyMapping,
    ContactMapping,
    ProductGroupMapping,
    ProductMapping,
    OrderMapping,
    InvoiceMapping,
    CreditNoteMapping,
    ShipmentMapping,
    ServiceCaseMapping,
    TimeEntryMapping,
    ServiceAgreementMapping,
)


def default_mappings(client: TrytonClient, lookups: Lookups) -> list[EntityMapping]:
    """One instance of every default mapping, sharing the client and lookups."""
    return [cls(client, lookups) for cls in MAPPINGS]


__all__ = ["MAPPINGS", "default_mappings"]
