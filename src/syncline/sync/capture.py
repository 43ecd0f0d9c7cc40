"""Change capture (ARCHITECTURE.md §3.1): cursor with overlap window, push inbox, scan.

Each yields pages of records to plan plus a ``commit`` callback that the cycle calls inside
the transaction recording the planned work, so the cursor moves with the work it caused.
A record the connector could not read (``NativeRecord.problem``) is not planned, nor taken for
a delete: the cursor moves past it, and it waits in the state store's unreadable records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.connectors.base import Capture, Connector, Cursor, NativeRecord
from syncline.store.cursors import CursorState, save_cursor
from syncline.store.inbox import InboxEvent, mark_processed
from syncline.store.unreadable import clear_unreadable, note_unreadable
from syncline.sync.digests import Digests

WINDOW_LIMIT = 5000  # ids kept for de-duplication; beyond it re-reads are merely re-checked


def record_hash(record: NativeRecord, digests: Digests | None = None) -> str:
    """A short content hash of a record as read (``deleted`` for a tombstone, the reason's
    for an unreadable record); ``digests`` keeps the canonical values and full hash for the
    planner."""
    if record.problem is not None:
        return "unreadable:" + hashlib.sha256(record.problem.encode()).hexdigest()[:12]
    if record.deleted or record.data is None:
        return "deleted"
    return (digests or Digests()).of(record).hash[:24]


@dataclass
class CapturePage:
    """Records to plan and what to store with them (called with the planning transaction).

    Records given that could not be read are taken out of ``records`` into ``unreadable``."""

    records: list[NativeRecord]
    commit: Callable[[Connection], None]
    read: int = 0  # records read, before de-duplication
    done_ids: set[str] = field(default_factory=set)
    digests: Digests = field(default_factory=Digests)  # of ``records``, computed once
    unreadable: list[NativeRecord] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.unreadable = [r for r in self.records if r.problem is not None]
        if self.unreadable:
            self.records = [r for r in self.records if r.problem is None]


@dataclass(frozen=True)
class Unreadable:
    """A record capture read but could not plan: which, and why (the connector's words)."""

    system: str
    native_id: str
    reason: str


def keep_unreadable(
    conn: Connection,
    map_name: str,
    system: str,
    entity: str,
    page: CapturePage,
    *,
    now: datetime,
) -> list[Unreadable]:
    """Store ``page``'s unreadable records (seen at ``now``) and forget those among its
    records, which read fine now; the unreadable records that are news (not known before, or
    known for another reason)."""
    found = [(r.native_id, r.problem or "") for r in page.unreadable]
    news = note_unreadable(conn, map_name, system, entity, found, now=now)
    if page.records:
        clear_unreadable(conn, map_name, system, [r.native_id for r in page.records])
    return [Unreadable(system, i, reason) for i, reason in found if i in news]


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
    """Pages of changes since the stored cursor ``state`` (see ``load_cursor``), dropping
    records whose content was already seen inside the overlap window.

    Transactions commit out of timestamp order: a record stamped up to ``overlap_seconds``
    before the cursor may commit after the read that moved the cursor there. So each read
    goes back over the window before the cursor until one begun at least ``overlap_seconds``
    (on ``clock``) after the cursor moved there has done so: whatever commits after that read
    began is stamped after the cursor. The cursor has then settled, and reads take only what
    is newer (a quiet cycle reads nothing) until it moves again. Without a ``clock`` the
    window never settles.
    """
    overlap = timedelta(seconds=overlap_seconds)
    started = clock() if clock is not None else None
    settles = (
        started is not None
        and state.saved_at is not None
        and state.settled_at is None
        and started >= state.saved_at + overlap
    )
    if state.modified_at is None:
        since = None
    elif state.settled_at is not None:
        since = Cursor(state.modified_at, state.native_id)
    else:
        since = Cursor(state.modified_at - overlap)
    origin = (state.modified_at, state.native_id)
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
        if (latest, latest_id) != origin:
            # a new position: its time is taken when it is stored, its window is not settled
            new_state = CursorState(latest, latest_id, dict(window))
        else:
            settled = state.settled_at
            if settled is None and settles and not batch.has_more:
                settled = started  # this read went over the whole window
            new_state = CursorState(latest, latest_id, dict(window), state.saved_at, settled)
        changed = (latest, latest_id, window, new_state.settled_at) != (
            state.modified_at,
            state.native_id,
            state.window,
            state.settled_at,
        )
        state = new_state

        def commit(c: Connection, s: CursorState = new_state, changed: bool = changed) -> None:
            if changed:
                if s.saved_at is None and clock is not None:
                    s.saved_at = clock()
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
    "Unreadable",
    "capture_modes",
    "cursor_pages",
    "keep_unreadable",
    "push_pages",
    "record_hash",
    "scan_pages",
]
