"""Jobs whose outcome a crash hid (ARCHITECTURE.md §3.10), settled before anything repeats.

A worker that died while writing leaves its jobs running ("in doubt"). :class:`InDoubt`, the
part of :class:`~syncline.sync.worker.Worker` that settles them, asks the target what became
of each (:mod:`syncline.sync.recovery`): a create is looked up by the target's origin of its
records, by the map's keys, or by content; an update is read again. What landed is recorded
and audited, what did not is repeated. It also applies the delete policy to copies that
landed for records deleted meanwhile (orphans).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord, WriteOp, WriteRequest, WriteResult
from syncline.errors import ConnectorError
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.cursors import load_cursor
from syncline.store.links import Link, Side, get_link, get_links
from syncline.store.outbox import OutboxJob, finish, in_doubt, reschedule
from syncline.store.snapshots import load_snapshots, save_snapshots
from syncline.sync.circuit import Circuits
from syncline.sync.context import Checkpoint, MapContext
from syncline.sync.deletes import deleted_copy_event
from syncline.sync.delivered import Delivered
from syncline.sync.fields import other
from syncline.sync.first_load import expand_in_doubt
from syncline.sync.links import resolve_refs
from syncline.sync.lookahead import Lookahead
from syncline.sync.planner import Planner
from syncline.sync.recovery import (
    LOOKS,
    Outcome,
    copy_is_free,
    landed_by_origin,
    still_in_doubt,
    update_outcome,
    written_values,
)
from syncline.sync.report import DeliveryReport


class InDoubt:
    """Settling in-doubt jobs and orphaned copies; the worker's stores, clock, lease and
    circuits are its own."""

    store: Store
    context: Callable[[str], MapContext]
    clock: Callable[[], datetime]
    worker_id: str
    lease: timedelta
    delivered: Delivered
    circuits: Circuits
    checkpoint: Checkpoint

    def recover(self, map_names: Sequence[str] | None = None) -> DeliveryReport:
        """Settle jobs a crashed worker left in doubt (a create is looked up by its keys or
        content, an update read again: see :mod:`syncline.sync.recovery`)."""
        report = DeliveryReport()
        self._recover(report, map_names)
        return report

    def _recover(self, report: DeliveryReport, map_names: Sequence[str] | None) -> None:
        """Jobs left running by a crashed (or hung) worker: find out what happened."""
        now = self.clock()
        with self.store.begin() as conn:
            jobs = in_doubt(conn, now - self.lease, self.worker_id)
            mine = [j for j in jobs if map_names is None or j.map_name in map_names]
            if expand_in_doubt(conn, mine, self.context, now):  # an initial load's batches
                jobs = in_doubt(conn, now - self.lease, self.worker_id)
            # a system whose circuit is open is not asked: its jobs stay in doubt until due
            unasked = set(self.circuits.blocked(conn, now))
        looks = Lookahead(jobs)  # a target whose lookup scans is read once, not once a job
        for job in jobs:
            if map_names is not None and job.map_name not in map_names:
                continue
            if job.target_system in unasked:
                continue
            ctx = self.context(job.map_name)
            target = ctx.side(job.target_system)
            for _ in range(LOOKS):  # a copy another worker took meanwhile: look again
                try:
                    found: NativeRecord | None = None
                    landed: bool | None = None  # what the target's origin tells, if it keeps one
                    if job.op == "create":
                        with self.store.begin() as conn:
                            found = looks.find_created(ctx, conn, target, job)
                    elif job.op == "update" and job.native_id is not None:
                        again = ctx.connectors[target].read(ctx.entity, [job.native_id])
                        found = again[0] if again else None
                        landed = landed_by_origin(ctx.connectors[target], ctx.entity, job)
                except ConnectorError as exc:
                    # the target cannot tell now: the job stays in doubt until it can
                    report.errors.append(str(exc))
                    with self.store.begin() as conn:
                        self.circuits.failed(conn, job.target_system, str(exc), now)
                    unasked.add(job.target_system)  # one failed question a pass, not per job
                    break
                self.checkpoint("recover.looked")
                if self._settle(ctx, target, job, found, now, report, landed):
                    break

    def _settle(  # noqa: PLR0917 - one in-doubt job, all its parts
        self,
        ctx: MapContext,
        target: Side,
        job: OutboxJob,
        found: NativeRecord | None,
        now: datetime,
        report: DeliveryReport,
        landed: bool | None = None,
    ) -> bool:
        """Settle in-doubt ``job`` by ``found``, what its target shows (None: nothing, so it is
        repeated; ``landed``: whether an update landed, where the target's origin tells);
        False when ``found`` is a copy another create's link took meanwhile (look again). A
        job another worker settled meanwhile is left to it."""
        with self.store.begin() as conn:
            if not still_in_doubt(conn, job, now):
                return True
            retry = found is None
            if job.op == "update" and found is not None:
                retry = not self._settle_update(conn, ctx, target, job, found, landed)
            elif found is not None:
                if not copy_is_free(conn, ctx, target, job, found.native_id):
                    return False
                values, _ = resolve_refs(conn, dict(job.payload.get("values", {})))
                result = WriteResult(
                    WriteRequest(WriteOp.CREATE, ctx.entity, job.idempotency_key),
                    native_id=found.native_id,
                    version=found.version,
                )
                self.delivered.record(conn, ctx, target, [(job, values, result)])
                link = get_link(conn, job.link_id) if job.link_id is not None else None
                if link is not None and link.state == "deleted" and not found.deleted:
                    self._remove_orphan(conn, ctx, link, target)
                elif link is not None and link.state == "active":
                    if found.deleted:  # deleted there before the restart: as if captured
                        record_events(conn, [deleted_copy_event(ctx, link, target, job.id)])
                    planner = Planner(ctx, conn, now=now, in_doubt_before=now)
                    planner.replan(link, target, found)
            if retry:
                reschedule(
                    conn,
                    job.id,
                    at=now,
                    now=now,
                    error="outcome unknown after a crash; retried",
                    error_kind="in_doubt",
                    count_attempt=False,
                    depends_on=job.depends_on,
                )
        report.recovered += 1
        return True

    def _orphans(
        self, conn: Connection, ctx: MapContext, target: Side, jobs: list[OutboxJob]
    ) -> None:
        """Creates that landed after a cycle settled them as never delivered (the record was
        deleted while they were being written): the delete policy applies to their copies."""
        created = [j.link_id for j in jobs if j.op == "create" and j.link_id is not None]
        for link in get_links(conn, created).values():
            if link.state == "deleted":
                self._remove_orphan(conn, ctx, link, target)

    def _remove_orphan(self, conn: Connection, ctx: MapContext, link: Link, target: Side) -> None:
        """A create landed for a record deleted meanwhile: the delete policy applies to its
        copy, as if the delete were read now (delete, archive, unlink, or a conflict)."""
        fresh = get_link(conn, link.id)
        if fresh is None:
            return
        source = other(target)
        gone = NativeRecord(ctx.entity, str(fresh.native_id(source)), None, deleted=True)
        now = self.clock()
        Planner(ctx, conn, now=now, in_doubt_before=now).replan(fresh, source, gone)

    def _settle_update(  # noqa: PLR0917 - one in-doubt update, all its parts
        self,
        conn: Connection,
        ctx: MapContext,
        target: Side,
        job: OutboxJob,
        found: NativeRecord,
        landed: bool | None,
    ) -> bool:
        """An in-doubt update's target, read again: record the update if it landed, and where
        the target's origin tells it landed and was changed since, merge that change as a
        later edit; if the target was changed back since (change times tell), merge again with
        its fields counted as edited there (a person's edit, not overwritten by a repeat).
        False: repeat it."""
        values, waiting = resolve_refs(conn, dict(job.payload.get("values", {})))
        written = written_values(ctx, values)
        if waiting or written is None or job.link_id is None:
            return False
        snapshot = load_snapshots(conn, [job.link_id]).get(job.link_id)
        cursor = load_cursor(conn, ctx.name, ctx.system(target), ctx.entity)
        outcome = update_outcome(
            job,
            target,
            written,
            found,
            snapshot=snapshot,
            captured_until=cursor.modified_at,
            landed=landed,
        )
        if outcome in (Outcome.LANDED, Outcome.CHANGED_SINCE):
            # recorded and audited (a policy's losing value too), not re-planned away unaudited
            request = WriteRequest(WriteOp.UPDATE, ctx.entity, job.idempotency_key)
            result = WriteResult(request, native_id=found.native_id, version=found.version)
            self.delivered.record(conn, ctx, target, [(job, values, result)])
            link = get_link(conn, job.link_id)
            if outcome is Outcome.CHANGED_SINCE and link is not None and link.state == "active":
                # a person's edit after the update landed: merged as the later edit it is
                now = self.clock()
                Planner(ctx, conn, now=now, in_doubt_before=now - self.lease).replan(
                    link, target, found
                )
            return True
        link = get_link(conn, job.link_id)
        if outcome is Outcome.UNKNOWN or snapshot is None or link is None:
            return False
        now = self.clock()
        finish(conn, [job.id], "superseded", now)
        if link.state == "active":
            for name in job.fields or []:  # as if it landed: what the target shows is newer
                snapshot.base(target)[name] = written.get(name)
                snapshot.pending.get(target, {}).pop(name, None)
            save_snapshots(conn, [snapshot])
            Planner(ctx, conn, now=now, in_doubt_before=now - self.lease).replan(
                link, target, found
            )
        return True


__all__ = ["InDoubt"]
