"""Conflict items: a field changed differently on both sides, waiting for a person.

The field ``_deleted`` marks a record deleted on one side under the ``flag`` delete policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncline.store.schema import conflicts
from syncline.store.types import utcnow

DELETED_FIELD = "_deleted"


@dataclass(frozen=True)
class ConflictItem:
    """Both values, their native versions and change times, and the base they diverged from."""

    id: int
    map_name: str
    link_id: int
    entity: str
    field: str
    base_value: Any
    value_a: Any
    value_b: Any
    version_a: str | None
    version_b: str | None
    changed_at_a: datetime | None
    changed_at_b: datetime | None
    state: str
    resolution: str | None
    resolved_value: Any
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime


def _item(row: RowMapping) -> ConflictItem:
    return ConflictItem(**{k: row[k] for k in ConflictItem.__dataclass_fields__})


def open_conflicts_for_links(
    conn: Connection, link_ids: Sequence[int]
) -> dict[tuple[int, str], ConflictItem]:
    """Open conflicts keyed by ``(link id, field)``."""
    result: dict[tuple[int, str], ConflictItem] = {}
    ids = list(dict.fromkeys(link_ids))
    for start in range(0, len(ids), 500):
        query = select(conflicts).where(
            conflicts.c.link_id.in_(ids[start : start + 500]), conflicts.c.state == "open"
        )
        for row in conn.execute(query).mappings().all():
            result[(row["link_id"], row["field"])] = _item(row)
    return result


def open_conflict(conn: Connection, **values: Any) -> int:
    """Insert an open conflict; ``values`` are the column values (map_name, link_id, ...)."""
    row = {"state": "open", "created_at": utcnow(), **values}
    return int(conn.execute(insert(conflicts).returning(conflicts.c.id), row).scalar_one())


def refresh_conflict(conn: Connection, conflict_id: int, **values: Any) -> None:
    """Update the values of an open conflict when a side changed again."""
    conn.execute(update(conflicts).where(conflicts.c.id == conflict_id).values(**values))


def close_conflict(
    conn: Connection, conflict_id: int, *, resolution: str, value: Any, actor: str
) -> None:
    """Close a conflict: ``resolution`` is the side taken (``a``/``b``), ``value`` (a value a
    person set) or ``agreed`` (both systems came to hold the same value)."""
    conn.execute(
        update(conflicts)
        .where(conflicts.c.id == conflict_id)
        .values(
            state="resolved",
            resolution=resolution,
            resolved_value=value,
            resolved_by=actor,
            resolved_at=utcnow(),
        )
    )


def get_conflict(conn: Connection, conflict_id: int) -> ConflictItem | None:
    row = conn.execute(select(conflicts).where(conflicts.c.id == conflict_id)).mappings().first()
    return _item(row) if row is not None else None


def list_conflicts(
    conn: Connection, state: str | None = "open", map_name: str | None = None, limit: int = 100
) -> list[ConflictItem]:
    query = select(conflicts).order_by(conflicts.c.id).limit(limit)
    if state is not None:
        query = query.where(conflicts.c.state == state)
    if map_name is not None:
        query = query.where(conflicts.c.map_name == map_name)
    return [_item(r) for r in conn.execute(query).mappings()]


def count_conflicts(
    conn: Connection, state: str | None = "open", map_name: str | None = None
) -> int:
    """How many conflicts :func:`list_conflicts` would list without its limit."""
    query = select(func.count()).select_from(conflicts)
    if state is not None:
        query = query.where(conflicts.c.state == state)
    if map_name is not None:
        query = query.where(conflicts.c.map_name == map_name)
    return int(conn.execute(query).scalar_one())


__all__ = [
    "DELETED_FIELD",
    "ConflictItem",
    "close_conflict",
    "count_conflicts",
    "get_conflict",
    "list_conflicts",
    "open_conflict",
    "open_conflicts_for_links",
    "refresh_conflict",
]
