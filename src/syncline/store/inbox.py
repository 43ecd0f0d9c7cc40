"""The inbox: events pushed by systems (webhooks), stored before they are answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from syncline.store.schema import inbox
from syncline.store.types import utcnow


@dataclass(frozen=True)
class InboxEvent:
    id: int
    system: str
    event_id: str
    event_type: str
    entity: str | None
    native_id: str | None
    payload: dict[str, Any]
    received_at: datetime


def record_event(
    conn: Connection,
    *,
    system: str,
    event_id: str,
    event_type: str,
    entity: str | None,
    native_id: str | None,
    payload: dict[str, Any],
    received_at: datetime | None = None,
) -> bool:
    """Store one received event. Returns False (and stores nothing) for a replayed event id."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(inbox).values(
                    system=system,
                    event_id=event_id,
                    event_type=event_type,
                    entity=entity,
                    native_id=native_id,
                    payload=payload,
                    received_at=received_at or utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def pending_events(
    conn: Connection, system: str, entity: str | None = None, limit: int = 1000
) -> list[InboxEvent]:
    """Unprocessed events of ``system`` (optionally one entity), oldest first."""
    query = select(inbox).where(inbox.c.system == system, inbox.c.processed_at.is_(None))
    if entity is not None:
        query = query.where(inbox.c.entity == entity)
    rows = conn.execute(query.order_by(inbox.c.id).limit(limit)).mappings()
    return [
        InboxEvent(
            id=r["id"],
            system=r["system"],
            event_id=r["event_id"],
            event_type=r["event_type"],
            entity=r["entity"],
            native_id=r["native_id"],
            payload=r["payload"],
            received_at=r["received_at"],
        )
        for r in rows
    ]


def mark_processed(conn: Connection, ids: Sequence[int]) -> None:
    """Mark events done; call in the transaction that records the work they caused."""
    if ids:
        conn.execute(update(inbox).where(inbox.c.id.in_(list(ids))).values(processed_at=utcnow()))
