"""BottleCRM contacts <-> canonical ``Contact``.

``party_id`` is the BottleCRM account id; ``role`` is the contact's job title. Not stored:
mobile and language.
"""

from __future__ import annotations

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.connectors.bottlecrm.resources import Resource, clean, limited
from syncline.model import CanonicalEntity, Contact

LOSSY_FIELDS = frozenset({"mobile", "language"})

NATIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "party_id": ("account",),
    "role": ("title",),
    "email": ("email",),
    "phone": ("phone",),
    "active": ("is_active",),
}


def _account_id(record: Json) -> str | None:
    account = record.get("account")
    if isinstance(account, dict):
        account = account.get("id")
    return clean(account)


def contact_from_native(record: Json) -> Contact:
    """A BottleCRM contact (list or detail form) as a canonical Contact."""
    return Contact(
        first_name=str(record.get("first_name") or ""),
        last_name=str(record.get("last_name") or ""),
        party_id=_account_id(record),
        role=clean(record.get("title")),
        email=clean(record.get("email")),
        phone=clean(record.get("phone")),
        active=bool(record.get("is_active", True)),
    )


def contact_to_native(entity: CanonicalEntity, only: frozenset[str] | None = None) -> Json:
    """The contact request body; ``only`` limits it to changed canonical fields."""
    if not isinstance(entity, Contact):
        raise TypeError(f"contacts take a Contact, not {type(entity).__name__}")
    payload: Json = {
        "first_name": entity.first_name,
        "last_name": entity.last_name,
        "account": entity.party_id,
        "title": entity.role or "",
        "email": entity.email,
        "phone": entity.phone,
        "is_active": entity.active,
    }
    return limited(payload, NATIVE_FIELDS, only)


CONTACTS = Resource(
    entity="contact",
    unstored=frozenset({"mobile", "language"}),
    path="contacts",
    shapes=(ListShape(("results",), count=("count",)),),
    detail_key="contact_obj",
    to_canonical=contact_from_native,
    to_native=contact_to_native,
    capture=frozenset({Capture.PUSH, Capture.SCAN}),
    writable=frozenset({WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE}),
    archive={"is_active": False},
    webhook_prefix="contact",
)
