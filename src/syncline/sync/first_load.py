"""The initial load: the first cycle of a map whose target system holds none of its records.

Nothing can match in an empty system (ARCHITECTURE.md §3.5), so the new records of a capture
page are created as one batch instead of one outbox job each:

1. the batch is one outbox job (op ``create_batch``, claimed at once), committed with the
   cursor (§3.6);
2. one connector call writes it;
3. one transaction records what landed: a link, a snapshot and a ``create`` audit event per
   record, and the job closed.

A crash between 1 and 3 leaves the batch job running. Recovery turns it into one in-doubt
create per record, which the worker settles by key lookups like any other create (§3.10).
Records the target rejects go to the planner, which plans them as ordinary jobs (retries,
dead letters). A batch the target cannot take at all stays in doubt, to be recovered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.engine import Connection

from syncline.connectors.base import (
    Capture,
    Connector,
    NativeRecord,
    WriteOp,
    WriteRequest,
    WriteResult,
)
from syncline.errors import ConnectorError
from syncline.model import CanonicalEntity, EntityValidationError
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.links import Side, create_links, links_by_native_ids
from syncline.store.outbox import (
    NewJob,
    OutboxJob,
    add_running,
    claim_as,
    close_claimed,
    enqueue,
    finish,
)
from syncline.store.schema import links, outbox, review_items
from syncline.store.snapshots import Snapshot, save_snapshots, values_hash
from syncline.sync.context import Checkpoint, MapContext
from syncline.sync.digests import Digests
from syncline.sync.fields import other

BATCH_OP = "create_batch"


@dataclass
class Loaded:
    """What one batch did: records created, and records handed back to the planner."""

    created: int = 0
    rejected: list[NativeRecord] | None = None


def _holds_none(connector: Connector, entity: str) -> bool:
    """Whether ``connector`` shows no live record of ``entity`` (False when it cannot tell)."""
    if not connector.capabilities.can_capture(entity, Capture.SCAN):
        return False
    try:
        pages = connector.scan(entity)
        first = next(iter(pages), [])
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    except ConnectorError:
        return False
    return not first


def _has_history(conn: Connection, map_name: str) -> bool:
    """Whether the map ever linked, planned or suggested anything."""
    query = select(
        or_(
            exists().where(links.c.map_name == map_name),
            exists().where(outbox.c.map_name == map_name),
            exists().where(review_items.c.map_name == map_name),
        )
    )
    return bool(conn.execute(query).scalar())


class InitialLoad:
    """Batches of creates from side ``source`` of a map into the empty other side."""

    def __init__(self, ctx: MapContext, source: Side, worker_id: str) -> None:
        self.ctx = ctx
        self.source: Side = source
        self.target: Side = other(source)
        self.worker_id = worker_id

    @classmethod
    def find(cls, conn: Connection, ctx: MapContext, worker_id: str) -> InitialLoad | None:
        """The load this cycle of ``ctx``'s map may make in batches, or None: the map has no
        links, jobs or review items yet, references no other entity, and may create in a
        system that holds none of its records."""
        if any(f.ref_entity for f in ctx.fields) or _has_history(conn, ctx.name):
            return None
        for target in ("b", "a"):
            connector = ctx.connectors[target]
            if (
                ctx.creates_into(target)
                and connector.capabilities.can_write(ctx.entity, WriteOp.CREATE)
                and _holds_none(connector, ctx.entity)
            ):
                return cls(ctx, other(target), worker_id)
        return None

    def split(
        self, conn: Connection, records: Sequence[NativeRecord]
    ) -> tuple[list[NativeRecord], list[NativeRecord]]:
        """(records for the batch, records for the planner): tombstones and records linked
        already (changed again while the load ran) take the ordinary way."""
        live = [r for r in records if not r.deleted and r.data is not None]
        linked = links_by_native_ids(conn, self.ctx.name, self.source, [r.native_id for r in live])
        batch = [r for r in live if r.native_id not in linked]
        chosen = {id(r) for r in batch}
        return batch, [r for r in records if id(r) not in chosen]

    def plan(
        self, conn: Connection, records: Sequence[NativeRecord], digests: Digests, now: datetime
    ) -> OutboxJob:
        """Record the batch as one outbox job, claimed by this worker (committed with the
        cursor by the caller)."""
        items = []
        key = hashlib.sha256(f"{self.ctx.name}|{BATCH_OP}|{self.ctx.system(self.target)}".encode())
        for record in records:
            digest = digests.of(record)
            items.append([record.native_id, record.version, digest.hash, digest.values])
            key.update(f"|{record.native_id}:{record.version}:{digest.hash}".encode())
        job = NewJob(
            map_name=self.ctx.name,
            link_id=None,
            target_system=self.ctx.system(self.target),
            entity=self.ctx.entity,
            op=BATCH_OP,
            native_id=None,
            payload={"source_system": self.ctx.system(self.source), "records": items},
            fields=None,
            base_version=None,
        )
        job_id = add_running(conn, job, key.hexdigest(), self.worker_id, now)
        return OutboxJob(
            id=job_id,
            map_name=job.map_name,
            link_id=None,
            target_system=job.target_system,
            entity=job.entity,
            op=BATCH_OP,
            native_id=None,
            payload=job.payload,
            fields=None,
            base_version=None,
            idempotency_key=key.hexdigest(),
            state="running",
            attempts=1,
            next_attempt_at=now,
            depends_on=None,
            last_error=None,
            error_kind=None,
            claimed_by=self.worker_id,
            claimed_at=now,
            created_at=now,
            updated_at=now,
        )

    def deliver(
        self,
        store: Store,
        job: OutboxJob,
        records: Sequence[NativeRecord],
        now: datetime,
        checkpoint: Checkpoint,
    ) -> Loaded:
        """Write the batch and record what landed. A ConnectorError for the whole batch
        propagates: the job stays running, in doubt, for recovery."""
        ctx, source = self.ctx, self.source
        requests: list[WriteRequest] = []
        unfit: list[NativeRecord] = []
        planned: list[tuple[NativeRecord, dict[str, Any], CanonicalEntity]] = []
        for index, (native_id, version, _hash, values) in enumerate(job.payload["records"]):
            payload = ctx.create_payload(source, values, version, ctx.transformed)
            record = records[index]
            assert record.native_id == native_id
            try:
                data = ctx.model.parse(payload["values"])
            except EntityValidationError:
                unfit.append(record)  # the planner plans it; its delivery dead-letters it
                continue
            planned.append((record, payload, data))
            requests.append(
                WriteRequest(
                    WriteOp.CREATE, ctx.entity, f"{job.idempotency_key}:{index}", data=data
                )
            )
        checkpoint("load.write")
        results = ctx.connectors[self.target].write(ctx.entity, requests) if requests else []
        checkpoint("load.written")
        landed = [(p, r) for p, r in zip(planned, results, strict=True) if r.ok]
        rejected = unfit + [p[0] for p, r in zip(planned, results, strict=True) if not r.ok]
        with store.begin() as conn:
            count = len(job.payload["records"])
            if not close_claimed(
                conn, job.id, self.worker_id, now, payload=self._summary(landed, count)
            ):
                return Loaded()  # recovery took the batch over: it settles every record
            self._record(conn, job, landed, now)
        checkpoint("load.recorded")
        return Loaded(created=len(landed), rejected=rejected)

    def _summary(self, landed: list[Any], count: int) -> dict[str, Any]:
        return {
            "source_system": self.ctx.system(self.source),
            "records": count,
            "created": len(landed),
        }

    def _record(
        self,
        conn: Connection,
        job: OutboxJob,
        landed: list[tuple[tuple[NativeRecord, dict[str, Any], CanonicalEntity], WriteResult]],
        now: datetime,
    ) -> None:
        """Links, snapshots and one audit event per created record."""
        ctx, source, target = self.ctx, self.source, self.target
        pairs = [
            (record.native_id, result.native_id)
            if source == "a"
            else (result.native_id, record.native_id)
            for (record, _, _), result in landed
        ]
        link_ids = create_links(conn, ctx.name, ctx.entity, pairs, "created")
        snapshots: list[Snapshot] = []
        events: list[dict[str, Any]] = []
        read = {item[0]: item[1:] for item in job.payload["records"]}
        for link_id, ((record, payload, data), result) in zip(link_ids, landed, strict=True):
            version, hash_, values = read[record.native_id]
            snapshot = Snapshot(link_id, has_base=True)
            snapshot.base_a.update(payload["agreed"].get("a", {}))
            snapshot.base_b.update(payload["agreed"].get("b", {}))
            snapshot.set_seen(source, values, version, hash_)
            full = data.canonical_values()
            snapshot.set_seen(target, full, result.version, values_hash(full))
            snapshots.append(snapshot)
            events.append(
                {
                    "at": now,
                    "map_name": ctx.name,
                    "link_id": link_id,
                    "entity": ctx.entity,
                    "source_system": payload["source_system"],
                    "source_version": version,
                    "target_system": ctx.system(target),
                    "job_id": job.id,
                    "reason": "create",
                    "new_value": payload["values"],
                }
            )
        save_snapshots(conn, snapshots, new=True)
        record_events(conn, events)


def expand_in_doubt(
    conn: Connection,
    jobs: Sequence[OutboxJob],
    context: Callable[[str], MapContext],
    now: datetime,
) -> int:
    """Turn batch jobs a crashed worker left running into one in-doubt create per record
    (a link waiting for its copy, a snapshot of what was read, a running job with the batch's
    claim), for the worker's recovery to settle; returns how many batches it expanded."""
    expanded = 0
    for job in jobs:
        if job.op != BATCH_OP:
            continue
        ctx = context(job.map_name)
        target = ctx.side(job.target_system)
        source = other(target)
        items = job.payload.get("records", [])
        pairs = [(str(i[0]), None) if source == "a" else (None, str(i[0])) for i in items]
        link_ids = create_links(conn, ctx.name, ctx.entity, pairs, "created")
        snapshots: list[Snapshot] = []
        creates: list[NewJob] = []
        for link_id, (_native_id, version, hash_, values) in zip(link_ids, items, strict=True):
            snapshot = Snapshot(link_id)
            snapshot.set_seen(source, values, version, hash_)
            snapshot.set_seen(target, None, None, None)
            snapshots.append(snapshot)
            creates.append(
                NewJob(
                    map_name=ctx.name,
                    link_id=link_id,
                    target_system=job.target_system,
                    entity=ctx.entity,
                    op="create",
                    native_id=None,
                    payload=ctx.create_payload(source, values, version, ctx.transformed),
                    fields=None,
                    base_version=None,
                )
            )
        save_snapshots(conn, snapshots, new=True)
        claim_as(conn, enqueue(conn, creates), job.claimed_by, job.claimed_at)
        finish(conn, [job.id], "superseded", now)
        expanded += 1
    return expanded


__all__ = ["BATCH_OP", "InitialLoad", "Loaded", "expand_in_doubt"]
