"""Change-capture cursors: how far capture got per map, system and entity.

``window`` holds, for records read inside the overlap window, ``{native_id: [hash, iso time]}``
so that a re-read of the same content is dropped; ``saved_at`` is when the cursor moved to its
position (the engine's clock); ``settled_at`` when a read begun at least an overlap after that
read the window again, which a late commit inside it could not have escaped (None: not yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from syncline.store.schema import cursors
from syncline.store.types import utcnow


@dataclass
class CursorState:
    modified_at: datetime | None = None
    native_id: str = ""
    window: dict[str, list[str]] = field(default_factory=dict)
    saved_at: datetime | None = None
    settled_at: datetime | None = None


def load_cursor(conn: Connection, map_name: str, system: str, entity: str) -> CursorState:
    """The saved cursor, or an empty one (capture from the beginning)."""
    row = (
        conn.execute(
            select(cursors).where(
                cursors.c.map_name == map_name,
                cursors.c.system == system,
                cursors.c.entity == entity,
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return CursorState()
    return CursorState(
        row["modified_at"],
        row["native_id"],
        dict(row["window"]),
        row["updated_at"],
        row["settled_at"],
    )


def save_cursor(
    conn: Connection, map_name: str, system: str, entity: str, state: CursorState
) -> None:
    """Store the cursor; call in the transaction that records the planned work.

    ``state.saved_at`` (default: now) is kept as the time the cursor moved."""
    where = (cursors.c.map_name == map_name, cursors.c.system == system, cursors.c.entity == entity)
    conn.execute(delete(cursors).where(*where))
    conn.execute(
        insert(cursors).values(
            map_name=map_name,
            system=system,
            entity=entity,
            modified_at=state.modified_at,
            native_id=state.native_id,
            window=state.window,
            updated_at=state.saved_at or utcnow(),
            settled_at=state.settled_at,
        )
    )


__all__ = ["CursorState", "load_cursor", "save_cursor"]
