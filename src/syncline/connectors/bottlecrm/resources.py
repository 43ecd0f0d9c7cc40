"""One BottleCRM endpoint as the connector sees it: paths, list shape, mapping, abilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.model import CanonicalEntity

ToCanonical = Callable[[Json], CanonicalEntity]
ToNative = Callable[[CanonicalEntity, frozenset[str] | None], Json]
RowFilter = Callable[[Json], bool]


@dataclass(frozen=True)
class Resource:
    """How one canonical entity lives in BottleCRM.

    ``to_native`` gets the canonical record and the canonical fields to write (None: all) and
    returns the request body. ``detail_key`` is the key of the record in a detail reply
    (``account_obj``; None when the reply is the record itself). ``archive`` is the PATCH body
    that archives a record, ``archive_action`` the POST sub-path that does (``cancel``).
    ``created_id`` is where a create reply keeps the new id. ``update_method`` is PATCH or PUT
    (BottleCRM's invoices, estimates and products take a partial PUT). ``scan_details``: list
    rows lack fields the mapping needs (line items), so a scan reads each record's detail.
    ``keeps`` selects the rows of this entity where two entities share an endpoint.
    ``needs_contact``: creates must name a contact of the account (estimates, invoices).
    """

    entity: str
    path: str
    shapes: tuple[ListShape, ...]
    detail_key: str | None
    to_canonical: ToCanonical
    to_native: ToNative
    capture: frozenset[Capture] = frozenset({Capture.PUSH, Capture.SCAN})
    writable: frozenset[WriteOp] = frozenset()
    #: Canonical fields BottleCRM has no place for (not shared by the engine).
    unstored: frozenset[str] = frozenset()
    archive: Json | None = None
    archive_action: str | None = None
    webhook_prefix: str | None = None
    extra_params: dict[str, str | int] = field(default_factory=dict)
    created_id: tuple[str, ...] = ("id",)
    update_method: str = "PATCH"
    scan_details: bool = False
    keeps: RowFilter | None = None
    needs_contact: bool = False

    def list_path(self) -> str:
        return f"/api/{self.path}/"

    def detail_path(self, native_id: str) -> str:
        return f"/api/{self.path}/{native_id}/"

    def detail_record(self, body: Json) -> Json | None:
        """The record in a detail reply, or None when the reply holds none."""
        native = body.get(self.detail_key) if self.detail_key else body
        if not isinstance(native, dict) or "id" not in native:
            return None
        return native

    def keeps_row(self, native: Json) -> bool:
        return self.keeps is None or self.keeps(native)


def parse_time(value: Any) -> datetime | None:
    """BottleCRM's ISO timestamps (``...Z``) as aware datetimes; None when absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def native_version(record: Json, data: CanonicalEntity) -> str:
    """``updated_at`` where the reply has one, else the canonical content hash.

    Accounts and deals carry no ``updated_at``; their content hash changes exactly when a
    mapped field changes, which is what the engine's optimistic re-read needs.
    """
    stamp = record.get("updated_at")
    if isinstance(stamp, str) and stamp:
        return stamp
    return "sha256:" + data.content_hash()


def clean(value: Any) -> str | None:
    """Blank strings as None (BottleCRM stores both ``""`` and null for empty fields)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def limited(
    payload: Json, native_fields: dict[str, tuple[str, ...]], only: frozenset[str] | None
) -> Json:
    """Keep only the native keys that the changed canonical fields ``only`` map to.

    ``native_fields`` maps a canonical field to the native keys it writes.
    """
    if only is None:
        return payload
    keep = {key for name in only for key in native_fields.get(name, ())}
    return {k: v for k, v in payload.items() if k in keep}


def decimal_of(value: Any, default: Decimal = Decimal(0)) -> Decimal:
    """A BottleCRM decimal string (``"12.50"``) as a Decimal; ``default`` when blank or bad."""
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def id_of(value: Any) -> str | None:
    """The id of a reference that BottleCRM sends as an id or as ``{"id": ..., ...}``."""
    if isinstance(value, dict):
        value = value.get("id")
    return clean(value)


def date_of(value: Any) -> date | None:
    """An ISO date (or the date part of an ISO timestamp); None when blank or bad."""
    text = clean(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def custom_fields(record: Json) -> dict[str, Any]:
    """The record's ``custom_fields`` object (empty when absent)."""
    found = record.get("custom_fields")
    return found if isinstance(found, dict) else {}
