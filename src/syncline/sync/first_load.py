"""The initial load: the first cycle of a map whose target system holds none of its records.

Nothing can match in an empty system (ARCHITECTURE.md §3.5), so the new records of a capture
page are created as one batch instead of one outbox job each:

1. the batch is one outbox job (op ``create_batch``, claimed at once), committed with the
   cursor (§3.6);
2. one connector call writes it;
3. one transaction records what landed: a link, a snapshot and a ``create`` audit event per
   record, and the job closed.

A crash between 1 and 3 leaves the batch job running. Recovery turns it into one in-doubt
create per record, which the worker settles like any other create (§3.10): it looks the copy up
by key, or by content for a map without keys. Recovery takes the batch over only while the
crashed claim still holds it (on PostgreSQL its worker may close it meanwhile), and skips
records linked since. The next cycle of the map does so at once, lease or not: it holds the
map's lock, so the batch's worker is gone, and it must see the batch's records linked before it
captures their edits, deletes and copies. Records the target rejects go to the planner, which
plans them as ordinary jobs (retries, dead letters). A batch the target cannot take at all is
at once turned into in-doubt creates that no worker holds, so this very worker settles them
when the target is back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select, update
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
from syncline.store.links import Link, Side, create_links, links_by_native_ids, set_native_ids
from syncline.store.outbox import (
    NewJob,
    OutboxJob,
    add_running,
    claim_as,
    close_claimed,
    enqueue,
    get_job,
)
from syncline.store.schema import links, outbox, review_items
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots, values_hash
from syncline.sync.context import Checkpoint, MapContext
from syncline.sync.digests import Digests
from syncline.sync.fields import other
from syncline.sync.links import batch_item_origin
from syncline.sync.planner import Planner

BATCH_OP = "create_batch"

Landed = tuple[tuple[NativeRecord, dict[str, Any], CanonicalEntity], WriteResult]
"""A record of a batch, its create payload and entity as written, and the write's result."""


def _holds_none(connector: Connector, entity: str) -> bool:
    """Whether ``connector`` shows no live record of ``entity`` (False when it cannot scan).
    A ConnectorError propagates: a system that does not answer now may be the empty one,
    and the cycle waits for it rather than planning the load one job per record."""
    if not connector.capabilities.can_capture(entity, Capture.SCAN):
        return False
    pages = connector.scan(entity)
    first = next(iter(pages), [])
    close = getattr(pages, "close", None)
    if close is not None:
        close()
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


class UnaskedError(Exception):
    """A map without history would have to ask a system whether it is empty, and the
    system's circuit is open: the cycle leaves the map alone until it is due."""

    def __init__(self, system: str) -> None:
        super().__init__(f"{system}: circuit open, not asked whether it is empty")
        self.system = system


class InitialLoad:
    """Batches of creates from side ``source`` of a map into the empty other side."""

    def __init__(self, ctx: MapContext, source: Side, worker_id: str) -> None:
        self.ctx = ctx
        self.source: Side = source
        self.target: Side = other(source)
        self.worker_id = worker_id

    @classmethod
    def find(
        cls, conn: Connection, ctx: MapContext, worker_id: str, blocked: Collection[str] = ()
    ) -> InitialLoad | None:
        """The load this cycle of ``ctx``'s map may make in batches, or None: the map has no
        links, jobs or review items yet, references no other entity, and may create in a
        system that holds none of its records. ConnectorError when a system it asks whether
        it is empty does not answer; :class:`UnaskedError` when that system is ``blocked`` (its
        circuit open): it is not asked."""
        if any(f.ref_entity for f in ctx.fields) or _has_history(conn, ctx.name):
            return None
        for target in ("b", "a"):
            connector = ctx.connectors[target]
            if not (
                ctx.creates_into(target)
                and connector.capabilities.can_write(ctx.entity, WriteOp.CREATE)
            ):
                continue
            if ctx.system(target) in blocked:
                raise UnaskedError(ctx.system(target))
            if _holds_none(connector, ctx.entity):
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
        key = [f"{self.ctx.name}|{BATCH_OP}|{self.ctx.system(self.target)}"]
        for record in records:
            digest = digests.of(record)
            items.append([record.native_id, record.version, digest.hash, digest.values])
            key.append(f"|{record.native_id}:{record.version}:{digest.hash}")
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
        idempotency_key = hashlib.sha256("".join(key).encode()).hexdigest()
        return add_running(conn, job, idempotency_key, self.worker_id, now)

    def deliver(
        self,
        store: Store,
        job: OutboxJob,
        records: Sequence[NativeRecord],
        now: datetime,
        checkpoint: Checkpoint,
        *,
        plan: Callable[[Connection, list[NativeRecord]], None],
    ) -> int:
        """Write the batch and record what landed; ``plan`` plans the records the target
        rejected, in the same transaction. Returns how many records were created. A
        ConnectorError for the whole batch propagates, its records left in doubt for
        recovery."""
        ctx, source = self.ctx, self.source
        requests: list[WriteRequest] = []
        unfit: list[NativeRecord] = []
        planned: list[tuple[NativeRecord, dict[str, Any], CanonicalEntity]] = []
        items = job.payload["records"]
        assert [record.native_id for record in records] == [item[0] for item in items]
        payloads = [
            ctx.create_payload(source, values, version, ctx.transformed)
            for _, version, _, values in items
        ]
        parsed = ctx.model.parse_many([payload["values"] for payload in payloads])
        for index, (record, payload, data) in enumerate(
            zip(records, payloads, parsed, strict=True)
        ):
            if isinstance(data, EntityValidationError):
                unfit.append(record)  # the planner plans it; its delivery dead-letters it
                continue
            planned.append((record, payload, data))
            key = batch_item_origin(job.idempotency_key, index)
            requests.append(WriteRequest(WriteOp.CREATE, ctx.entity, key, data=data))
        checkpoint("load.write")
        try:
            results = ctx.connectors[self.target].write(ctx.entity, requests) if requests else []
        except ConnectorError:
            # the outcome is unknown: in doubt now, for any worker (this one too) to settle
            with store.begin() as conn:
                if _take_over(conn, job, now, self.worker_id):
                    _expand(conn, ctx, job, (None, now))
            raise
        checkpoint("load.written")
        landed: list[Landed] = [(p, r) for p, r in zip(planned, results, strict=True) if r.ok]
        rejected = unfit + [p[0] for p, r in zip(planned, results, strict=True) if not r.ok]
        with store.begin() as conn:
            count = len(job.payload["records"])
            if not close_claimed(
                conn, job.id, self.worker_id, now, payload=self._summary(landed, count)
            ):
                # recovery took the batch over (its lease ran out): it settles every record,
                # but those it already found missing wait to be created again
                return self._adopt(conn, job, landed, now)
            self._record(conn, job, landed, now)
            if rejected:
                plan(conn, rejected)
        checkpoint("load.recorded")
        return len(landed)

    def _summary(self, landed: list[Any], count: int) -> dict[str, Any]:
        return {
            "source_system": self.ctx.system(self.source),
            "records": count,
            "created": len(landed),
        }

    def _record(
        self, conn: Connection, job: OutboxJob, landed: list[Landed], now: datetime
    ) -> None:
        """Links, snapshots and one audit event per created record."""
        ctx, source = self.ctx, self.source
        pairs = [
            (record.native_id, result.native_id)
            if source == "a"
            else (result.native_id, record.native_id)
            for (record, _, _), result in landed
        ]
        link_ids = create_links(conn, ctx.name, ctx.entity, pairs, "created")
        snapshots = [Snapshot(link_id) for link_id in link_ids]
        self._agreed(conn, job, list(zip(snapshots, landed, strict=True)), now, new=True)

    def _adopt(self, conn: Connection, job: OutboxJob, landed: list[Landed], now: datetime) -> int:
        """Copies that landed after recovery took the batch over: recorded on the links it
        made where their creates wait to be tried again (recovery found no copy then), and
        merged once more with the source as recorded since; returns how many."""
        ctx, target = self.ctx, self.target
        native_ids = [record.native_id for (record, _, _), _ in landed]
        found = links_by_native_ids(conn, ctx.name, self.source, native_ids)
        waiting = {
            link.native_id(self.source): link
            for links_ in found.values()
            for link in links_
            if link.state == "active" and link.native_id(target) is None
        }
        adopted: list[tuple[Link, Landed]] = []
        for item in landed:
            link = waiting.get(item[0][0].native_id)
            if link is not None and _supersede_waiting_create(conn, link.id, job, now):
                adopted.append((link, item))
        set_native_ids(conn, target, [(link.id, str(item[1].native_id)) for link, item in adopted])
        snapshots = load_snapshots(conn, [link.id for link, _ in adopted])
        self._agreed(
            conn,
            job,
            [(snapshots.get(link.id) or Snapshot(link.id), item) for link, item in adopted],
            now,
            new=False,
        )
        planner = Planner(ctx, conn, now=now, in_doubt_before=now)
        for link, ((_, _, data), result) in adopted:
            copy = NativeRecord(ctx.entity, str(result.native_id), data, result.version)
            linked = (
                replace(link, id_a=copy.native_id)
                if target == "a"
                else replace(link, id_b=copy.native_id)
            )
            planner.replan(linked, target, copy)
        return len(adopted)

    def _agreed(
        self,
        conn: Connection,
        job: OutboxJob,
        landed: list[tuple[Snapshot, Landed]],
        now: datetime,
        *,
        new: bool,
    ) -> None:
        """Snapshots of landed copies (the values both sides agreed on, each side's version as
        written or read) and one ``create`` audit event each; a snapshot that is not ``new``
        keeps what it saw of the source since."""
        ctx, source, target = self.ctx, self.source, self.target
        events: list[dict[str, Any]] = []
        read = {item[0]: item[1:] for item in job.payload["records"]}
        for snapshot, ((record, payload, data), result) in landed:
            version, hash_, values = read[record.native_id]
            snapshot.has_base = True
            snapshot.base_a.update(payload["agreed"].get("a", {}))
            snapshot.base_b.update(payload["agreed"].get("b", {}))
            if new or snapshot.seen(source) is None:
                snapshot.set_seen(source, values, version, hash_)
            full = data.canonical_values()
            snapshot.set_seen(target, full, result.version, values_hash(full))
            events.append(
                {
                    "link_id": snapshot.link_id,
                    "source_version": version,
                    "new_value": payload["values"],
                }
            )
        save_snapshots(conn, [snapshot for snapshot, _ in landed], new=new)
        shared = {
            "at": now,
            "map_name": ctx.name,
            "entity": ctx.entity,
            "source_system": ctx.system(source),
            "target_system": ctx.system(target),
            "job_id": job.id,
            "reason": "create",
        }
        record_events(conn, events, shared)


def _supersede_waiting_create(
    conn: Connection, link_id: int, job: OutboxJob, now: datetime
) -> bool:
    """Close the pending create of ``link_id`` into the batch's target; False when there is
    none (a worker holds it: that create settles itself, by key)."""
    query = update(outbox).where(
        outbox.c.link_id == link_id,
        outbox.c.target_system == job.target_system,
        outbox.c.op == "create",
        outbox.c.state == "pending",
    )
    return bool(conn.execute(query.values(state="superseded", updated_at=now)).rowcount)


def _take_over(conn: Connection, job: OutboxJob, now: datetime, claimed_by: str | None) -> bool:
    """Close batch ``job`` as superseded if ``claimed_by`` still holds it running; False when
    its worker closed it or another recovery took it since (a conditional update: on
    PostgreSQL it waits for, and then sees, whichever of them committed first)."""
    column = outbox.c.claimed_by
    held = column.is_(None) if claimed_by is None else column == claimed_by
    query = update(outbox).where(outbox.c.id == job.id, outbox.c.state == "running", held)
    closed = conn.execute(query.values(state="superseded", claimed_by=None, updated_at=now))
    return bool(closed.rowcount == 1)


def _expand(
    conn: Connection, ctx: MapContext, job: OutboxJob, claim: tuple[str | None, datetime | None]
) -> None:
    """One in-doubt create per record of batch ``job`` not linked since: a link waiting for
    its copy, a snapshot of what was read, and a running job held by ``claim`` (worker, at)."""
    target = ctx.side(job.target_system)
    source = other(target)
    items = list(enumerate(job.payload.get("records", [])))
    linked = links_by_native_ids(conn, ctx.name, source, [str(i[0]) for _, i in items])
    items = [(at, i) for at, i in items if str(i[0]) not in linked]
    pairs = [(str(i[0]), None) if source == "a" else (None, str(i[0])) for _, i in items]
    link_ids = create_links(conn, ctx.name, ctx.entity, pairs, "created")
    snapshots: list[Snapshot] = []
    creates: list[NewJob] = []
    for link_id, (at, (_native_id, version, hash_, values)) in zip(link_ids, items, strict=True):
        payload = ctx.create_payload(source, values, version, ctx.transformed)
        payload["origin"] = batch_item_origin(job.idempotency_key, at)  # as the batch sent it
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
                payload=payload,
                fields=None,
                base_version=None,
            )
        )
    save_snapshots(conn, snapshots, new=True)
    claim_as(conn, enqueue(conn, creates), *claim)


def release_abandoned(
    conn: Connection, map_name: str, context: Callable[[str], MapContext], now: datetime
) -> int:
    """Turn the batches of ``map_name`` still running into in-doubt creates no worker holds,
    whatever their lease: the caller holds the map's cycle lock, and a batch is only written
    inside a cycle, so its worker has died or given it up. The restarted engine then settles
    them before it captures, and so sees their records linked (their copies too, if written)
    instead of syncing on past a batch it cannot see (§3.10); returns how many it released."""
    query = select(outbox.c.id).where(
        outbox.c.map_name == map_name, outbox.c.op == BATCH_OP, outbox.c.state == "running"
    )
    released = 0
    for job in [get_job(conn, int(job_id)) for job_id in conn.execute(query).scalars()]:
        if job is not None and _take_over(conn, job, now, job.claimed_by):
            _expand(conn, context(map_name), job, (None, now))
            released += 1
    return released


def expand_in_doubt(
    conn: Connection,
    jobs: Sequence[OutboxJob],
    context: Callable[[str], MapContext],
    now: datetime,
) -> int:
    """Turn batch jobs a crashed worker left running, and still holds, into one in-doubt
    create per record not linked since (a link waiting for its copy, a snapshot of what was
    read, a running job with the batch's claim), for the worker's recovery to settle; returns
    how many batches it expanded."""
    expanded = 0
    for job in jobs:
        if job.op != BATCH_OP or not _take_over(conn, job, now, job.claimed_by):
            continue
        _expand(conn, context(job.map_name), job, (job.claimed_by, job.claimed_at))
        expanded += 1
    return expanded


__all__ = ["BATCH_OP", "InitialLoad", "UnaskedError", "expand_in_doubt", "release_abandoned"]
