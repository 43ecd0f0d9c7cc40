"""Change capture (ARCHITECTURE.md §3.1): cursor with overlap window, push inbox, scan.

Each yields pages of records to plan plus a ``commit`` callback that the cycle calls inside
the transaction recording the planned work, so the cursor moves with the work it caused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.connectors.base import Capture, Connector, Cursor, NativeRecord
from syncline.store.cursors import CursorState, save_cursor
from syncline.store.inbox import InboxEvent, mark_processed
from syncline.sync.digests import Digests

WINDOW_LIMIT = 5000  # ids kept for de-duplication; beyond it re-reads are merely re-checked


def record_hash(record: NativeRecord, digests: Digests | None = None) -> str:
    """A short content hash of a record as read (``deleted`` for a tombstone); ``digests``
    keeps the canonical values and full hash for the planner."""
    if record.deleted or record.data is None:
        return "deleted"
    return (digests or Digests()).of(record).hash[:24]


@dataclass
class CapturePage:
    """Records to plan and what to store with them (called with the planning transaction)."""

    records: list[NativeRecord]
    commit: Callable[[Connection], None]
    read: int = 0  # records read, before de-duplication
    done_ids: set[str] = field(default_factory=set)
    digests: Digests = field(default_factory=Digests)  # of ``records``, computed once


def _nothing(_conn: Connection) -> None:
    return None


def cursor_pages(
    state: CursorState,
    connector: Connector,
    map_name: str,
    entity: str,
    *,
    overlap_seconds: float,
    limit: int,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[CapturePage]:
    """Pages of changes since the stored cursor ``state`` (see ``load_cursor``), re-reading
    ``overlap_seconds`` back and dropping records whose content was already seen inside the
    window.

    With a ``clock``, the window settles: once ``overlap_seconds`` have passed since the cursor
    last moved, a late commit inside it would have shown up, so only newer records are read
    (a quiet cycle then reads nothing).
    """
    overlap = timedelta(seconds=overlap_seconds)
    settled = (
        clock is not None and state.saved_at is not None and clock() - state.saved_at >= overlap
    )
    if state.modified_at is None:
        since = None
    elif settled:
        since = Cursor(state.modified_at, state.native_id)
    else:
        since = Cursor(state.modified_at - overlap)
    window = dict(state.window)
    latest = state.modified_at
    latest_id = state.native_id
    while True:
        batch = connector.read_changes(entity, since, limit)
        fresh: list[NativeRecord] = []
        digests = Digests()
        for record in batch.records:
            digest = record_hash(record, digests)
            seen = window.get(record.native_id)
            stamp = record.modified_at.isoformat() if record.modified_at is not None else None
            # a re-read inside the window is dropped; a record changed again since is not,
            # even when it went back to content seen before (A -> B -> A)
            if seen is None or seen[0] != digest or (stamp is not None and seen[1] != stamp):
                fresh.append(record)
            if record.modified_at is not None:
                window[record.native_id] = [digest, record.modified_at.isoformat()]
                if latest is None or record.modified_at >= latest:
                    latest, latest_id = record.modified_at, record.native_id
        if latest is not None:
            edge = (latest - overlap).isoformat()
            window = {k: v for k, v in window.items() if v[1] >= edge}
            if len(window) > WINDOW_LIMIT:
                newest = sorted(window.items(), key=lambda kv: kv[1][1])[-WINDOW_LIMIT:]
                window = dict(newest)
        new_state = CursorState(latest, latest_id, dict(window))
        # saved only when it moved (or learnt new content): the time it moved settles the window
        changed = (latest, latest_id, window) != (state.modified_at, state.native_id, state.window)
        state = new_state

        def commit(c: Connection, s: CursorState = new_state, changed: bool = changed) -> None:
            if changed:
                s.saved_at = clock() if clock is not None else None
                save_cursor(c, map_name, connector.system, entity, s)

        yield CapturePage(fresh, commit, read=len(batch.records), digests=digests)
        if not batch.has_more:
            return
        since = batch.next_cursor


def push_pages(
    fetch: Callable[[int], list[InboxEvent]], connector: Connector, entity: str, limit: int
) -> Iterator[CapturePage]:
    """Records named by unprocessed inbox events (``fetch(limit)`` returns them, oldest
    first); an id the system no longer has is a delete."""
    while True:
        events = fetch(limit)
        if not events:
            return
        ids = list(dict.fromkeys(e.native_id for e in events if e.native_id))
        found = {r.native_id: r for r in connector.read(entity, ids)}
        records = [found.get(i) or NativeRecord(entity, i, None, deleted=True) for i in ids]
        event_ids = [e.id for e in events]

        def commit(c: Connection, done: list[int] = event_ids) -> None:
            mark_processed(c, done)

        yield CapturePage(records, commit, read=len(records))
        if len(events) < limit:
            return


def scan_pages(connector: Connector, entity: str, seen_ids: set[str]) -> Iterator[CapturePage]:
    """Every record (the planner drops those equal to their snapshot); fills ``seen_ids``."""
    for page in connector.scan(entity):
        seen_ids.update(r.native_id for r in page)
        yield CapturePage(list(page), _nothing, read=len(page))


def capture_modes(connector: Connector, entity: str) -> list[Capture]:
    """Which modes to use: cursor and push when offered, scan only when neither is."""
    modes = [
        m for m in (Capture.PUSH, Capture.CURSOR) if connector.capabilities.can_capture(entity, m)
    ]
    if not modes and connector.capabilities.can_capture(entity, Capture.SCAN):
        modes.append(Capture.SCAN)
    return modes


__all__ = [
    "CapturePage",
    "capture_modes",
    "cursor_pages",
    "push_pages",
    "record_hash",
    "scan_pages",
]
