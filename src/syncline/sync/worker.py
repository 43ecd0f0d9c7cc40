"""The outbox worker (ARCHITECTURE.md §3.6, §3.7, §3.10): claim, re-read, write, record.

Before an update it re-reads the target and re-plans instead of writing when the target moved
on. Transient errors retry with exponential backoff and jitter (honouring Retry-After);
permanent errors become dead letters carrying the target's message; a failing system opens
its circuit. A job whose outcome a crash hid ("in doubt") is checked before it is repeated
(:mod:`syncline.sync.in_doubt`), so it never creates twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Connection

from syncline.connectors.base import Connector, NativeRecord, WriteOp, WriteRequest, WriteResult
from syncline.errors import (
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncline.model import EntityValidationError
from syncline.store import Store
from syncline.store.circuits import CircuitState
from syncline.store.links import (
    Side,
    get_link,
    get_links,
)
from syncline.store.outbox import (
    OutboxJob,
    claim,
    finish,
    mark_dead,
    release,
    reschedule,
    waited_creates,
)
from syncline.sync.circuit import Circuits
from syncline.sync.context import Checkpoint, MapContext
from syncline.sync.delivered import Delivered
from syncline.sync.in_doubt import InDoubt
from syncline.sync.links import resolve_refs
from syncline.sync.planner import Planner
from syncline.sync.report import DeliveryReport


@runtime_checkable
class CheckedWrites(Protocol):
    """A connector whose ``write`` checks each update's ``expected_version`` in the write's own
    transaction (a ``version_conflict`` result): a re-read before writing would repeat it."""

    checks_versions_on_write: bool


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff of transient failures: ``base * factor**attempts`` seconds scattered by
    +-``jitter`` (a fraction) so workers do not retry in step, never more than ``max_delay``
    (a job retried for days keeps waiting at most that long)."""

    base: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.5

    def delay(self, attempts: int, rng: random.Random) -> float:
        # Far past any cap by 64 steps; a bounded exponent cannot overflow however long a
        # system stays down.
        raw = min(self.base * self.factor ** min(attempts, 64), self.max_delay)
        return min(raw * rng.uniform(1 - self.jitter, 1 + self.jitter), self.max_delay)


def unreadable_target(system: str, record: NativeRecord) -> str:
    """The dead letter's message for a write whose target record could not be read again:
    what it holds now is unknown, so it is not overwritten blindly."""
    return (
        f"not written: {record.entity} {record.native_id} in {system} cannot be read, so what "
        f"it holds now is unknown ({record.problem}). Fix the record in {system}: the next "
        "cycle reads it and merges it again; retry this job only to write it as planned"
    )


class Worker(InDoubt):
    """Delivers outbox jobs of the maps it is given contexts for."""

    def __init__(
        self,
        store: Store,
        context: Callable[[str], MapContext],
        *,
        clock: Callable[[], datetime],
        worker_id: str,
        lease_seconds: float,
        circuits: Circuits,
        retry: RetryPolicy,
        checkpoint: Checkpoint,
        rng: random.Random,
    ) -> None:
        self.store = store
        self.context = context
        self.clock = clock
        self.worker_id = worker_id
        self.lease = timedelta(seconds=lease_seconds)
        self.delivered = Delivered(clock, self.lease)
        self.circuits = circuits
        self.retry = retry
        self.checkpoint = checkpoint
        self.rng = rng

    def deliver(
        self, map_names: Sequence[str] | None = None, max_rounds: int = 100
    ) -> DeliveryReport:
        """Deliver due jobs until none is left, in claims of up to 500 jobs; gives up after
        ``max_rounds`` claims in a row that closed no job (every one waited or will retry).

        A system whose circuit is open is left out of the claims. Once its cool-down is over
        its oldest due job goes alone, as the probe (half open): delivered, it closes the
        circuit and the rest follows in the next claim; failed, it opens the circuit again
        and the rest waits on, untried. A circuit that opens during a claim sends the claim's
        remaining jobs for that system back to wait, untried and not counted as attempts."""
        report = DeliveryReport()
        self._recover(report, map_names)
        idle = 0
        while idle < max_rounds:
            closed = report.delivered + report.dead + report.replanned
            now = self.clock()
            with self.store.begin() as conn:
                blocked, due = self.circuits.standing(conn, now)
                probing = [s for s in due if self.circuits.take_probe(conn, s, now, self.lease)]
                jobs = claim(
                    conn,
                    self.worker_id,
                    now,
                    map_names=map_names,
                    blocked_systems=[*blocked, *due],
                    probe_systems=probing,
                )
                for system in set(probing) - {j.target_system for j in jobs}:
                    self.circuits.release_probe(conn, system, now)  # nothing due of ours
            self.checkpoint("deliver.claimed")
            if not jobs:
                break
            self._deliver_claimed(jobs, report)
            if probing:
                with self.store.begin() as conn:
                    for system in probing:
                        self.circuits.release_probe(conn, system, self.clock())
            progressed = report.delivered + report.dead + report.replanned > closed
            idle = 0 if progressed else idle + 1
        return report

    def _deliver_claimed(self, jobs: list[OutboxJob], report: DeliveryReport) -> None:
        """One claim, in write batches per map and target; once a system's circuit opens, its
        batches still to come go back to wait until the circuit is due."""
        groups: dict[tuple[str, str], list[OutboxJob]] = {}
        for job in jobs:
            groups.setdefault((job.map_name, job.target_system), []).append(job)
        opened: dict[str, CircuitState] = {}
        held: dict[str, list[OutboxJob]] = {}
        for (map_name, system), group in groups.items():
            ctx = self.context(map_name)
            side = ctx.side(system)
            size = ctx.connectors[side].capabilities.write_batch(ctx.entity)
            for start in range(0, len(group), size):
                batch = group[start : start + size]
                if system in opened:
                    held.setdefault(system, []).extend(batch)
                    continue
                circuit = self._deliver(ctx, side, batch, report)
                if circuit is not None and circuit.state == "open":
                    opened[system] = circuit
        if not held:
            return
        now = self.clock()
        with self.store.begin() as conn:
            for system, waiting in held.items():
                circuit = opened[system]
                release(
                    conn,
                    [j.id for j in waiting],
                    at=circuit.retry_at or now,
                    now=now,
                    error=f"not tried: the circuit of {system} is open ({circuit.last_error})",
                    error_kind="circuit_open",
                )
                report.waiting += len(waiting)

    # -- one batch ------------------------------------------------------------------------------

    def _deliver(
        self, ctx: MapContext, target: Side, jobs: list[OutboxJob], report: DeliveryReport
    ) -> CircuitState | None:
        """Write one batch; returns the target's circuit when the call failed (None when the
        system answered, or was not called)."""
        connector = ctx.connectors[target]
        now = self.clock()
        ready: list[tuple[OutboxJob, dict[str, Any]]] = []
        with self.store.begin() as conn:
            links = get_links(conn, [j.link_id for j in jobs if j.link_id is not None])
            gone = [
                j
                for j in jobs
                if j.op in ("create", "update")
                and j.link_id is not None
                and links.get(j.link_id) is not None
                and links[j.link_id].state != "active"
            ]
            # a create for a link that has its record in the target already (a newer create
            # landed, or the record was linked since): sending it would make a duplicate
            made = [
                j
                for j in jobs
                if j.op == "create"
                and j.link_id is not None
                and links.get(j.link_id) is not None
                and links[j.link_id].native_id(target) is not None
            ]
            gone.extend(j for j in made if j not in gone)
            finish(conn, [j.id for j in gone], "superseded", now)  # deleted or unlinked since
            for job in jobs:
                if job in gone:
                    continue
                values, waiting = resolve_refs(conn, dict(job.payload.get("values", {})))
                if waiting:
                    self._wait_for_parent(conn, job, waiting, now)
                    report.waiting += 1
                else:
                    ready.append((job, values))
        if not ready:
            return None
        try:
            current = self._current(ctx, target, [j for j, _ in ready])
            requests, stale, invalid = self._requests(ctx, ready, current)
            results = connector.write(ctx.entity, requests) if requests else []
        except TransientError as exc:
            return self._transient(ctx, target, [j for j, _ in ready], exc, report)
        except ConnectorError as exc:  # AuthError and the like: wait, and open the circuit
            return self._transient(ctx, target, [j for j, _ in ready], exc, report)
        self.checkpoint("deliver.written")
        by_key = {j.idempotency_key: (j, v) for j, v in ready}
        stale_writes = [r for r in results if r.version_conflict]
        changed, reread_error = _read_changed(connector, ctx.entity, stale_writes)
        with self.store.begin() as conn:
            if results:
                self.circuits.succeeded(conn, ctx.system(target))
            for job, message in invalid:
                mark_dead(conn, job.id, message, now)
                report.dead += 1
            for job, fresh in stale:
                self._replan(conn, ctx, target, job, fresh)
                report.replanned += 1
            delivered = []
            for result in results:
                job, values = by_key[result.request.idempotency_key]
                if result.ok:
                    delivered.append((job, values, result))
                    report.delivered += 1
                elif result.version_conflict and reread_error is not None:
                    self._retry_later(conn, job, reread_error, now)  # merged once it reads
                    report.retried += 1
                elif result.version_conflict:
                    fresh = changed.get(str(job.native_id))
                    if fresh is not None and fresh.problem is not None:
                        mark_dead(conn, job.id, unreadable_target(connector.system, fresh), now)
                        report.dead += 1
                        continue
                    self._replan(conn, ctx, target, job, fresh)
                    report.replanned += 1
                elif isinstance(result.error, PermanentError):
                    mark_dead(conn, job.id, result.error.remote_message, now)
                    report.dead += 1
                else:
                    error = result.error or TransientError("no result", system=connector.system)
                    self._retry_later(conn, job, error, now)
                    report.retried += 1
            self.delivered.record(conn, ctx, target, delivered)
            self._orphans(conn, ctx, target, [job for job, _, _ in delivered])
        self.checkpoint("deliver.recorded")
        return None

    def _current(
        self, ctx: MapContext, target: Side, jobs: list[OutboxJob]
    ) -> dict[str, NativeRecord] | None:
        """The optimistic re-read: current state of every record an update will touch (None
        when the connector checks versions itself as it writes)."""
        connector = ctx.connectors[target]
        if isinstance(connector, CheckedWrites) and connector.checks_versions_on_write:
            return None
        ids = [str(j.native_id) for j in jobs if j.op == "update" and j.base_version is not None]
        if not ids:
            return {}
        return {r.native_id: r for r in connector.read(ctx.entity, ids)}

    def _requests(
        self,
        ctx: MapContext,
        ready: list[tuple[OutboxJob, dict[str, Any]]],
        current: dict[str, NativeRecord] | None,
    ) -> tuple[
        list[WriteRequest],
        list[tuple[OutboxJob, NativeRecord | None]],
        list[tuple[OutboxJob, str]],
    ]:
        requests: list[WriteRequest] = []
        stale: list[tuple[OutboxJob, NativeRecord | None]] = []
        invalid: list[tuple[OutboxJob, str]] = []
        for job, values in ready:
            op = WriteOp(job.op)
            if current is not None and op == WriteOp.UPDATE and job.base_version is not None:
                now_there = current.get(str(job.native_id))
                if now_there is not None and now_there.problem is not None:
                    invalid.append((job, unreadable_target(job.target_system, now_there)))
                    continue
                if now_there is None or now_there.version != job.base_version:
                    stale.append((job, now_there))
                    continue
            data = None
            if op in (WriteOp.CREATE, WriteOp.UPDATE):
                try:
                    data = ctx.model.parse(values)
                except EntityValidationError as exc:
                    invalid.append((job, f"not a valid {ctx.entity}: {exc}"))
                    continue
            requests.append(
                WriteRequest(
                    op=op,
                    entity=ctx.entity,
                    idempotency_key=job.idempotency_key,
                    native_id=job.native_id,
                    data=data,
                    expected_version=job.base_version,
                    fields=frozenset(job.fields) if job.fields is not None else None,
                )
            )
        return requests, stale, invalid

    # -- outcomes -------------------------------------------------------------------------------

    def _replan(
        self,
        conn: Connection,
        ctx: MapContext,
        target: Side,
        job: OutboxJob,
        fresh: NativeRecord | None,
    ) -> None:
        """The target changed since the job was planned: merge again with what it holds now."""
        now = self.clock()
        finish(conn, [job.id], "superseded", now)
        link = get_link(conn, job.link_id) if job.link_id is not None else None
        if link is None or link.state != "active":
            return
        record = fresh or NativeRecord(ctx.entity, str(job.native_id), None, deleted=True)
        planner = Planner(ctx, conn, now=now, in_doubt_before=now - self.lease)
        planner.replan(link, target, record)

    def _retry_later(
        self, conn: Connection, job: OutboxJob, error: ConnectorError, now: datetime
    ) -> None:
        delay = self.retry.delay(job.attempts, self.rng)
        kind = "transient"
        if isinstance(error, RateLimitedError):
            delay, kind = max(delay, error.retry_after), "rate_limited"
        elif not isinstance(error, TransientError):
            kind = type(error).__name__.lower()
        reschedule(
            conn,
            job.id,
            at=now + timedelta(seconds=delay),
            now=now,
            error=str(error),
            error_kind=kind,
        )

    def _transient(
        self,
        ctx: MapContext,
        target: Side,
        jobs: list[OutboxJob],
        error: ConnectorError,
        report: DeliveryReport,
    ) -> CircuitState:
        """The batch's call failed: its jobs retry later, and the circuit counts it."""
        now = self.clock()
        with self.store.begin() as conn:
            for job in jobs:
                self._retry_later(conn, job, error, now)
            circuit = self.circuits.failed(conn, ctx.system(target), str(error), now)
        report.retried += len(jobs)
        report.errors.append(str(error))
        return circuit

    def _wait_for_parent(
        self, conn: Connection, job: OutboxJob, parent_links: list[int], now: datetime
    ) -> None:
        """A reference is not linked yet: wait for the parent's create (the newest one, which
        may be a dead letter an operator can still retry), or a while when there is none."""
        creates = waited_creates(conn, parent_links)
        depends_on = creates[0].id if creates else None
        reschedule(
            conn,
            job.id,
            at=now if depends_on is not None else now + timedelta(seconds=self.retry.base),
            now=now,
            error="waiting for a parent record to be linked",
            error_kind="waiting",
            count_attempt=False,
            depends_on=depends_on,
        )


def _read_changed(
    connector: Connector, entity: str, results: list[WriteResult]
) -> tuple[dict[str, NativeRecord], ConnectorError | None]:
    """The records a target changed under writes it refused as stale, read again before the
    results are recorded (so a failing read cannot undo that record): by native id, or the
    read's error (those writes then wait and retry)."""
    if not results:
        return {}, None
    ids = [str(r.request.native_id) for r in results]
    try:
        return {r.native_id: r for r in connector.read(entity, ids)}, None
    except ConnectorError as exc:
        return {}, exc


__all__ = ["CheckedWrites", "DeliveryReport", "RetryPolicy", "Worker"]
