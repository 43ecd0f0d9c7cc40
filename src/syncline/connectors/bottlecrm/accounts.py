"""BottleCRM accounts <-> canonical ``Party``.

The ERP debtor number lives in the account custom field ``erp_number`` (a text field the demo
bootstrap defines; on a production BottleCRM an admin creates it once under Settings -> Custom
fields, target "Account", key ``erp_number``; another key is set with the ``erp_number_field``
setting). It maps to ``Party.numbers["erp"]``.

Not stored by BottleCRM (dropped on write, defaults on read): roles, legal form, VAT id,
credit limit, language, second and further e-mails and phones, addresses beyond the first.
"""

from __future__ import annotations

from functools import partial

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.resources import Resource, clean, limited
from syncline.model import Address, AddressKind, CanonicalEntity, Party

ERP_NUMBER_FIELD = "erp_number"
ERP_SYSTEM = "erp"

LOSSY_FIELDS = frozenset({"roles", "legal_form", "vat_id", "credit_limit", "language"})

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "numbers": ("custom_fields",),
    "emails": ("email",),
    "phones": ("phone",),
    "website": ("website",),
    "addresses": ("address_line", "city", "state", "postcode", "country"),
    "currency": ("currency",),
    "active": ("is_active",),
}


def account_to_party(record: Json, number_field: str = ERP_NUMBER_FIELD) -> Party:
    """A BottleCRM account (list or detail form) as a canonical Party; ``number_field`` is
    the custom field holding the ERP number."""
    custom = record.get("custom_fields") or {}
    erp_number = clean(custom.get(number_field)) if isinstance(custom, dict) else None
    street, city, postcode = (
        clean(record.get("address_line")),
        clean(record.get("city")),
        clean(record.get("postcode")),
    )
    region, country = clean(record.get("state")), clean(record.get("country"))
    addresses = []
    if street or city or postcode or country:
        addresses.append(
            Address(
                kind=AddressKind.BILLING,
                street=street or "",
                postal_code=postcode or "",
                city=city or "",
                region=region,
                country=country,
            )
        )
    email, phone = clean(record.get("email")), clean(record.get("phone"))
    return Party(
        name=str(record.get("name") or ""),
        numbers={ERP_SYSTEM: erp_number} if erp_number else {},
        emails=[email] if email else [],
        phones=[phone] if phone else [],
        website=clean(record.get("website")),
        addresses=addresses,
        currency=clean(record.get("currency")) or "EUR",
        active=bool(record.get("is_active", True)),
    )


def party_to_account(
    entity: CanonicalEntity,
    only: frozenset[str] | None = None,
    number_field: str = ERP_NUMBER_FIELD,
) -> Json:
    """The account request body for a Party; ``only`` limits it to changed canonical fields."""
    if not isinstance(entity, Party):
        raise TypeError(f"accounts take a Party, not {type(entity).__name__}")
    address = entity.address(AddressKind.BILLING) or (
        entity.addresses[0] if entity.addresses else None
    )
    payload: Json = {
        "name": entity.name,
        # An empty value removes the stored number (BottleCRM drops blank custom values).
        "custom_fields": {number_field: entity.numbers.get(ERP_SYSTEM, "")},
        "email": entity.emails[0] if entity.emails else None,
        "phone": entity.phones[0] if entity.phones else None,
        "website": entity.website,
        "address_line": address.street if address else "",
        "city": address.city if address else "",
        "state": (address.region or "") if address else "",
        "postcode": address.postal_code if address else "",
        "country": address.country if address else None,
        "currency": entity.currency,
        "is_active": entity.active,
    }
    return limited(payload, NATIVE_FIELDS, only)


def accounts_resource(number_field: str = ERP_NUMBER_FIELD) -> Resource:
    """The accounts resource with the ERP number in the custom field ``number_field``."""
    return Resource(
        entity="party",
        unstored=frozenset({"roles", "legal_form", "vat_id", "credit_limit", "language"}),
        path="accounts",
        shapes=(
            ListShape(
                ("active_accounts", "open_accounts"),
                count=("active_accounts", "open_accounts_count"),
            ),
            ListShape(
                ("closed_accounts", "close_accounts"),
                count=("closed_accounts", "close_accounts_count"),
            ),
        ),
        detail_key="account_obj",
        to_canonical=partial(account_to_party, number_field=number_field),
        to_native=partial(party_to_account, number_field=number_field),
        capture=frozenset({Capture.PUSH, Capture.SCAN}),
        writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE}),
        archive={"is_active": False},
        webhook_prefix="account",
    )


ACCOUNTS = accounts_resource()
