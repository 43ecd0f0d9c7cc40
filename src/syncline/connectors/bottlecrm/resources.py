"""One BottleCRM endpoint as the connector sees it: paths, list shape, mapping, abilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.bottlecrm.client import Json, ListShape
from syncline.model import CanonicalEntity

ToCanonical = Callable[[Json], CanonicalEntity]
ToNative = Callable[[CanonicalEntity, frozenset[str] | None], Json]


@dataclass(frozen=True)
class Resource:
    """How one canonical entity lives in BottleCRM.

    ``to_native`` gets the canonical record and the canonical fields to write (None: all) and
    returns the request body. ``detail_key`` is the key of the record in a detail reply
    (``account_obj``). ``archive`` is the PATCH body that archives a record (None: no archive).
    """

    entity: str
    path: str
    shapes: tuple[ListShape, ...]
    detail_key: str
    to_canonical: ToCanonical
    to_native: ToNative
    capture: frozenset[Capture] = frozenset({Capture.PUSH, Capture.SCAN})
    writable: frozenset[WriteOp] = frozenset()
    archive: Json | None = None
    webhook_prefix: str | None = None
    extra_params: dict[str, str | int] = field(default_factory=dict)

    def list_path(self) -> str:
        return f"/api/{self.path}/"

    def detail_path(self, native_id: str) -> str:
        return f"/api/{self.path}/{native_id}/"


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
