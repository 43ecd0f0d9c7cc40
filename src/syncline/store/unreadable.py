"""Unreadable records: records of a system that capture could not read as canonical
entities (a row whose e-mail is ``info(at)example.de``), one entry per map, system and record.

Capture passes over such a record and keeps everything else flowing; the entry says which
record and why until a person fixes it there, and goes once the record reads fine (or is
deleted). ``first_seen`` and ``last_seen`` are engine times (UTC).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from syncline.store.schema import unreadable_records


@dataclass(frozen=True)
class UnreadableRecord:
    """One record capture could not read, and why."""

    id: int
    map_name: str
    system: str
    entity: str
    native_id: str
    reason: str
    first_seen: datetime
    last_seen: datetime


def note_unreadable(
    conn: Connection,
    map_name: str,
    system: str,
    entity: str,
    found: Sequence[tuple[str, str]],
    *,
    now: datetime,
) -> set[str]:
    """Record each ``(native_id, reason)`` of ``found`` as unreadable, seen at ``now``: a new
    entry, or the known one with its reason and ``last_seen`` brought up to date. Returns the
    native ids that are news: not known before, or known for another reason."""
    reasons = dict(found)
    if not reasons:
        return set()
    where = (unreadable_records.c.map_name == map_name, unreadable_records.c.system == system)
    query = select(
        unreadable_records.c.id, unreadable_records.c.native_id, unreadable_records.c.reason
    ).where(*where, unreadable_records.c.native_id.in_(list(reasons)))
    known = {native_id: (row_id, reason) for row_id, native_id, reason in conn.execute(query)}
    for native_id, (row_id, _) in known.items():
        conn.execute(
            update(unreadable_records)
            .where(unreadable_records.c.id == row_id)
            .values(reason=reasons[native_id], last_seen=now)
        )
    new = [
        {"map_name": map_name, "system": system, "entity": entity, "native_id": native_id,
         "reason": reason, "first_seen": now, "last_seen": now}
        for native_id, reason in reasons.items()
        if native_id not in known
    ]  # fmt: skip
    if new:
        conn.execute(insert(unreadable_records), new)
    return {i for i, reason in reasons.items() if i not in known or known[i][1] != reason}


def clear_unreadable(
    conn: Connection, map_name: str, system: str, native_ids: Collection[str]
) -> int:
    """Forget the entries of ``native_ids`` (read fine, or deleted, since); how many went.
    Costs one indexed query while the system has no entry."""
    where = (unreadable_records.c.map_name == map_name, unreadable_records.c.system == system)
    waiting = set(conn.execute(select(unreadable_records.c.native_id).where(*where)).scalars())
    gone = [native_id for native_id in native_ids if native_id in waiting]
    if gone:
        conn.execute(
            delete(unreadable_records).where(*where, unreadable_records.c.native_id.in_(gone))
        )
    return len(gone)


def forget_unseen(conn: Connection, map_name: str, system: str, present: Collection[str]) -> int:
    """After a full scan that showed ``present``: forget the entries of records it did not
    show (deleted since); how many went."""
    where = (unreadable_records.c.map_name == map_name, unreadable_records.c.system == system)
    waiting = set(conn.execute(select(unreadable_records.c.native_id).where(*where)).scalars())
    gone = sorted(waiting.difference(present))
    for start in range(0, len(gone), 500):
        chunk = gone[start : start + 500]
        conn.execute(
            delete(unreadable_records).where(*where, unreadable_records.c.native_id.in_(chunk))
        )
    return len(gone)


def list_unreadable(
    conn: Connection, map_name: str | None = None, limit: int = 100
) -> list[UnreadableRecord]:
    """Entries, the longest waiting first, of one map or of all; at most ``limit``."""
    query = select(unreadable_records).order_by(
        unreadable_records.c.first_seen, unreadable_records.c.id
    )
    if map_name is not None:
        query = query.where(unreadable_records.c.map_name == map_name)
    rows = conn.execute(query.limit(limit)).mappings()
    return [UnreadableRecord(**dict(row)) for row in rows]


def count_unreadable(conn: Connection) -> dict[str, int]:
    """The number of entries per map."""
    column = unreadable_records.c.map_name
    query = select(column, func.count()).group_by(column)
    return {str(name): int(count) for name, count in conn.execute(query)}


__all__ = [
    "UnreadableRecord",
    "clear_unreadable",
    "count_unreadable",
    "forget_unseen",
    "list_unreadable",
    "note_unreadable",
]
