"""The state store: links, snapshots, cursors, inbox, outbox, conflicts, reviews, audit, runs."""

from __future__ import annotations

from syncline.store.database import DEFAULT_URL, Store, normalise_url
from syncline.store.inbox import InboxEvent, mark_processed, pending_events, record_event
from syncline.store.status import MapStatus, map_status

__all__ = [
    "DEFAULT_URL",
    "InboxEvent",
    "MapStatus",
    "Store",
    "map_status",
    "mark_processed",
    "normalise_url",
    "pending_events",
    "record_event",
]
