"""BottleCRM webhooks: signature verification and event parsing (no I/O).

BottleCRM signs each delivery with ``X-BottleCRM-Signature: t=<unix>,v1=<hex>`` where ``hex`` is
HMAC-SHA256(secret, ``"<unix>.<raw body>"``). The body is an envelope
``{"id", "event", "created_at", "org_id", "data": {"id", ..., "updated_at"}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncline.connectors.bottlecrm.resources import parse_time
from syncline.errors import SynclineError

SIGNATURE_HEADER = "X-BottleCRM-Signature"
DEFAULT_TOLERANCE_SECONDS = 300

ENTITY_BY_PREFIX = {
    "account": "party",
    "contact": "contact",
    "deal": "opportunity",
    "ticket": "service_case",
    "invoice": "invoice",
    "task": "task",
    "lead": "lead",
    "interaction": "interaction",
}
"""The canonical entity (or BottleCRM's own name where syncline has none) of each event."""

SUBSCRIBED_EVENTS = (
    "account.created",
    "account.updated",
    "account.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "deal.created",
    "deal.updated",
    "deal.deleted",
    "deal.won",
    "deal.lost",
    "ticket.created",
    "ticket.updated",
    "invoice.created",
    "invoice.updated",
    "invoice.paid",
)
"""The events syncline registers for: the entities the connector syncs that BottleCRM sends
events for (estimates, products and time entries send none; cases and invoices no deletes)."""


class WebhookRejectedError(SynclineError):
    """A delivery failed verification; ``reason`` is one of ``malformed``, ``signature``,
    ``stale``, ``replayed``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class WebhookEvent:
    """One verified event. ``entity`` is None for events syncline does not sync."""

    event_id: str
    event_type: str
    entity: str | None
    native_id: str | None
    updated_at: datetime | None
    deleted: bool
    payload: dict[str, Any]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value BottleCRM sends for ``body`` at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise WebhookRejectedError(
                    "malformed", "signature timestamp is not a number"
                ) from None
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejectedError("malformed", f"{SIGNATURE_HEADER} needs t=... and v1=...")
    return timestamp, signatures


@dataclass
class WebhookVerifier:
    """Verifies deliveries for one endpoint secret and remembers what it has accepted.

    ``tolerance_seconds`` bounds how far the signed timestamp may be from now (both ways);
    ``clock`` returns unix seconds. Replays of an accepted signature or event id are refused
    while they are remembered (the newest ``memory`` of each); the inbox's unique event id is
    the durable second line.
    """

    secret: str
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    clock: Callable[[], float] = time.time
    memory: int = 10_000
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def verify(self, body: bytes, header: str | None) -> WebhookEvent:
        """Check signature, age and replay of one delivery and parse it.

        Raises WebhookRejectedError; accepts each signature and each event id once.
        """
        if not header:
            raise WebhookRejectedError("malformed", f"missing {SIGNATURE_HEADER} header")
        timestamp, signatures = _parse_header(header)
        expected = sign(self.secret, timestamp, body).partition("v1=")[2]
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise WebhookRejectedError("signature", "signature does not match the body")
        age = abs(self.clock() - timestamp)
        if age > self.tolerance_seconds:
            raise WebhookRejectedError(
                "stale",
                f"signed {age:.0f} s away from now; the tolerance is {self.tolerance_seconds} s",
            )
        event = parse_event(body)
        with self._lock:
            keys = (f"sig:{expected}", f"event:{event.event_id}")
            if any(k in self._seen for k in keys):
                raise WebhookRejectedError(
                    "replayed", f"event {event.event_id} was already received"
                )
            for key in keys:
                self._seen[key] = None
            while len(self._seen) > 2 * self.memory:
                self._seen.popitem(last=False)
        return event


def parse_event(body: bytes) -> WebhookEvent:
    """Parse a BottleCRM webhook envelope into (entity, native id, updated_at, ...)."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRejectedError("malformed", "body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRejectedError("malformed", "body is not a JSON object")
    event_id, event_type = payload.get("id"), payload.get("event")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        raise WebhookRejectedError("malformed", "envelope needs string 'id' and 'event'")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    assert isinstance(data, dict)
    prefix, _, action = event_type.partition(".")
    native_id = data.get("id")
    return WebhookEvent(
        event_id=event_id,
        event_type=event_type,
        entity=ENTITY_BY_PREFIX.get(prefix),
        native_id=str(native_id) if native_id is not None else None,
        updated_at=parse_time(data.get("updated_at")),
        deleted=action == "deleted",
        payload=payload,
    )
