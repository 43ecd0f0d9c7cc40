"""Parties (customers, debtors, suppliers), their addresses and their people."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, field_validator

from syncline.model.base import CanonicalEntity, CountryCode, CurrencyCode, Email, Money


class PartyRole(StrEnum):
    CUSTOMER = "customer"
    DEBTOR = "debtor"
    SUPPLIER = "supplier"


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"
    VISITING = "visiting"


class Address(CanonicalEntity):
    """A postal address of a party; ``kind`` says what it is used for."""

    entity_name: ClassVar[str] = "address"

    kind: AddressKind = AddressKind.BILLING
    name: str | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    region: str | None = None
    country: CountryCode | None = None


class Party(CanonicalEntity):
    """An organisation or person the company does business with.

    ``numbers`` holds the party's number per system (``{"erp": "D10023"}``), which is how a
    record links to another system's record instead of copying it.
    """

    entity_name: ClassVar[str] = "party"

    name: str = Field(min_length=1)
    roles: list[PartyRole] = Field(default_factory=lambda: [PartyRole.CUSTOMER])
    numbers: dict[str, str] = Field(default_factory=dict)
    legal_form: str | None = None
    vat_id: str | None = None
    emails: list[Email] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    website: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    credit_limit: Money | None = None
    currency: CurrencyCode = "EUR"
    language: str | None = None
    active: bool = True

    @field_validator("roles")
    @classmethod
    def _roles_as_set(cls, value: list[PartyRole]) -> list[PartyRole]:
        return sorted(set(value), key=lambda r: r.value)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()

    def address(self, kind: AddressKind) -> Address | None:
        """The first address of ``kind``, or None."""
        return next((a for a in self.addresses if a.kind == kind), None)


class Contact(CanonicalEntity):
    """A person at a party: who to call, mail or bill."""

    entity_name: ClassVar[str] = "contact"
    references: ClassVar[dict[str, str]] = {"party_id": "party"}

    first_name: str = ""
    last_name: str = Field(min_length=1)
    party_id: str | None = None
    role: str | None = None
    email: Email | None = None
    phone: str | None = None
    mobile: str | None = None
    language: str | None = None
    active: bool = True
