"""What became of an update a crash left in doubt (ARCHITECTURE.md §3.6, §3.10).

The process died while an update was being written, so the worker cannot tell whether it
landed; it reads the target again before repeating anything. A write that landed is recorded
(and audited, a policy's losing value included) instead of being re-planned away unaudited.
A target that shows what the update was planned against, but changed after capture last read
it, may have taken the write and been changed back by a person (A -> B -> A, invisible to
versions that are content hashes): repeating the write would overwrite that person's edit.
Change times cannot tell that on a table without them; a target that keeps the origin of
each record's last write by syncline tells it exactly, with or without them.

Workers may recover at the same time. Settling a job first takes its row, and gives up when
another worker settled it meanwhile; a create's copy is taken only while no other link holds
it (identical twins' creates look for identical copies), under a lock on that copy.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.engine import Connection

from syncline.connectors.base import Connector, NativeRecord, OriginLookup
from syncline.model import EntityValidationError
from syncline.store.links import Side, links_by_native_ids
from syncline.store.outbox import OutboxJob
from syncline.store.schema import outbox
from syncline.store.snapshots import Snapshot
from syncline.sync.context import MapContext

LOOKS = 3
"""Looks for an in-doubt create's copy in one settling: another worker may take the copy found
(an identical twin's create) before it is recorded, and it is looked for again."""
_COPY_LOCKS = 0x53594E43  # the advisory lock space of copies being taken (two-key form)


class Outcome(Enum):
    """What an in-doubt update's target shows when it is read again."""

    LANDED = "landed"  # every value the update wrote
    CHANGED_BACK = "changed_back"  # what it was planned against, but changed since capture
    CHANGED_SINCE = "changed_since"  # the target's origin says it landed; changed since
    UNKNOWN = "unknown"  # anything else: repeated, and its version check re-plans if needed


def written_values(ctx: MapContext, values: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical values an update's payload writes; None when the target would have
    refused them (so nothing was written)."""
    try:
        return ctx.model.parse(values).canonical_values()
    except EntityValidationError:
        return None


def update_outcome(
    job: OutboxJob,
    target: Side,
    written: dict[str, Any],
    found: NativeRecord,
    *,
    snapshot: Snapshot | None,
    captured_until: datetime | None,
    landed: bool | None = None,
) -> Outcome:
    """Classify ``found``, the target record of the in-doubt update ``job``, read again.

    ``captured_until`` is how far change capture of the target system got (its cursor time).
    ``landed`` is what the target's origin of the record tells (:func:`landed_by_origin`):
    then values and change times are not weighed at all.
    """
    if found.data is None or not job.fields:
        return Outcome.UNKNOWN
    shown = found.data.canonical_values()
    shows_written = all(shown.get(f) == written.get(f) for f in job.fields)
    if landed is not None:
        if not landed:
            return Outcome.UNKNOWN
        return Outcome.LANDED if shows_written else Outcome.CHANGED_SINCE
    if shows_written:
        return Outcome.LANDED
    known = [t for t in (captured_until, snapshot.modified(target) if snapshot else None) if t]
    if (
        found.version == job.base_version
        and found.modified_at is not None
        and known
        and found.modified_at > max(known)
    ):
        return Outcome.CHANGED_BACK
    return Outcome.UNKNOWN


def landed_by_origin(connector: Connector, entity: str, job: OutboxJob) -> bool | None:
    """Whether in-doubt update ``job`` landed, as the origin its target keeps of each record
    (:class:`~syncline.connectors.base.OriginLookup`) tells: the record's last write by
    syncline is this job's. None where the target keeps no origin."""
    if job.native_id is None or not isinstance(connector, OriginLookup):
        return None
    if not connector.marks_origin(entity):
        return None
    return connector.origins(entity, [job.native_id]).get(job.native_id) == job.idempotency_key


def still_in_doubt(conn: Connection, job: OutboxJob, now: datetime) -> bool:
    """Whether ``job`` is still running under the claim it was found in doubt with; holds its
    row (and on SQLite the store's write lock) until the transaction ends, so that two
    recoveries never settle one job twice. False: another worker settled it meanwhile."""
    held = outbox.c.claimed_by
    query = update(outbox).where(
        outbox.c.id == job.id,
        outbox.c.state == "running",
        held.is_(None) if job.claimed_by is None else held == job.claimed_by,
    )
    return bool(conn.execute(query.values(updated_at=now)).rowcount == 1)


def copy_is_free(
    conn: Connection, ctx: MapContext, target: Side, job: OutboxJob, native_id: str
) -> bool:
    """Whether no link but ``job``'s holds ``native_id`` on ``target``, the copy its create is
    found to have made. On PostgreSQL the copy is locked until the transaction ends: another
    worker taking it for another create waits, and then sees it linked (a link is never
    recorded twice for one record)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"{ctx.name}:{target}:{native_id}".encode())
        signed = key - 2**32 if key >= 2**31 else key  # the lock takes two int4 keys
        lock = text("SELECT pg_advisory_xact_lock(:space, :key)")
        conn.execute(lock, {"space": _COPY_LOCKS, "key": signed})
    linked = links_by_native_ids(conn, ctx.name, target, [native_id]).get(native_id, [])
    return all(link.id == job.link_id for link in linked)


__all__ = [
    "LOOKS",
    "Outcome",
    "copy_is_free",
    "landed_by_origin",
    "still_in_doubt",
    "update_outcome",
    "written_values",
]
