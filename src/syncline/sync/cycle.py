"""The sync engine: cycles per map (capture, plan, deliver), dry runs and operator decisions."""

from __future__ import annotations

import contextlib
import gc
import random
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from syncline.connectors.base import Capture, Connector, NativeRecord
from syncline.errors import ConnectorError, SynclineError
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.store.audit import AuditEvent, query_events
from syncline.store.conflicts import ConflictItem, list_conflicts
from syncline.store.cursors import CursorState, load_cursor, save_cursor
from syncline.store.inbox import pending_events
from syncline.store.links import (
    Link,
    Side,
    get_link,
    iter_active_native_ids,
    links_by_native_ids,
    list_links,
)
from syncline.store.outbox import NewJob, OutboxJob, get_job, list_jobs, pending_ids
from syncline.store.reviews import decided_reviews
from syncline.store.runs import finish_run, start_run
from syncline.store.unreadable import forget_unseen
from syncline.sync import conflicts as decisions
from syncline.sync.capture import (
    CapturePage,
    capture_modes,
    cursor_pages,
    keep_unreadable,
    push_pages,
    scan_pages,
)
from syncline.sync.circuit import CircuitPolicy, Circuits
from syncline.sync.context import Checkpoint, MapContext, build_context
from syncline.sync.first_load import InitialLoad, UnaskedError, release_abandoned
from syncline.sync.links import LinkSuggester
from syncline.sync.planner import Planner
from syncline.sync.report import CaptureReport, CycleReport, Plan
from syncline.sync.worker import DeliveryReport, RetryPolicy, Worker


class MapBusyError(SynclineError):
    """Another worker is running a cycle of this map right now (PostgreSQL advisory lock)."""


def _no_checkpoint(_step: str) -> None:
    return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """A cycle allocates a great many short-lived, acyclic objects (records, rows, dicts), on
    which Python's cyclic collector would run thousands of times per page for nothing: its
    first threshold is raised for the cycle (reference counting still frees them at once)."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class SyncEngine:
    """Runs the maps of a config between the given connectors over one state store.

    ``clock`` gives the current UTC time (tests pass a fake one); ``lease_seconds`` is how long
    a claimed job may run before another worker treats it as crashed (0 on SQLite, where one
    process writes); ``checkpoint`` is called at every step of a cycle (tests inject crashes).
    """

    def __init__(
        self,
        store: Store,
        config: SynclineConfig,
        connectors: Mapping[str, Connector],
        *,
        clock: Callable[[], datetime] | None = None,
        worker_id: str | None = None,
        lease_seconds: float | None = None,
        retry: RetryPolicy | None = None,
        circuit: CircuitPolicy | None = None,
        suggester: LinkSuggester | None = None,
        checkpoint: Checkpoint | None = None,
        seed: int | None = None,
        page_size: int | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.connectors = dict(connectors)
        self.clock = clock or _utcnow
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        if lease_seconds is None:
            lease_seconds = 0.0 if store.dialect == "sqlite" else 300.0
        self.lease_seconds = lease_seconds
        self.circuits = Circuits(circuit)
        self.suggester = suggester
        self.checkpoint = checkpoint or _no_checkpoint
        self.page_size = page_size
        self._contexts: dict[str, MapContext] = {}
        self._dry: Connection | None = None
        self.worker = Worker(
            store,
            self.context,
            clock=self.clock,
            worker_id=self.worker_id,
            lease_seconds=lease_seconds,
            circuits=self.circuits,
            retry=retry or RetryPolicy(),
            checkpoint=self.checkpoint,
            rng=random.Random(seed),
        )

    def context(self, map_name: str) -> MapContext:
        """The compiled map ``map_name`` (KeyError naming the known maps)."""
        if map_name not in self._contexts:
            self._contexts[map_name] = build_context(
                self.config, map_name, self.connectors, self.clock
            )
        return self._contexts[map_name]

    # -- cycles ---------------------------------------------------------------------------------

    def run_cycle(self, map_name: str) -> CycleReport:
        """Capture both systems of the map, plan, and deliver its outbox; recorded as a run."""
        started = time.perf_counter()
        with _fewer_collections(), self._cycle_lock(map_name) as got:
            if not got:
                raise MapBusyError(f"map {map_name!r} is already being synced by another worker")
            with self.store.begin() as conn:
                run_id = start_run(conn, map_name)
            try:
                with self.store.begin() as conn:  # the map's lock is ours: nobody writes them
                    release_abandoned(conn, map_name, self.context, self.clock())
                # writes a crash left in doubt first: capture then sees their copies as linked
                early = self.worker.recover([map_name])
                capture = self.capture(map_name, initial_load=True)
                delivery = self.deliver(map_name)
                delivery.delivered += capture.loaded  # the initial load's batches
                delivery.recovered += early.recovered
                delivery.errors[:0] = early.errors
            except BaseException as exc:
                with self.store.begin() as conn:
                    finish_run(conn, run_id, "failed", {}, f"{type(exc).__name__}: {exc}")
                raise
            report = CycleReport(map_name, run_id, capture, delivery)
            report.seconds = time.perf_counter() - started
            with self.store.begin() as conn:
                state = "ok" if not capture.errors and not delivery.errors else "degraded"
                finish_run(conn, run_id, state, _stats(report))
        return report

    def run_all(self) -> list[CycleReport]:
        """One cycle of every enabled map, parents (referenced entities) first."""
        maps = [m for m in self.config.maps if m.enabled]
        order = sorted(
            maps, key=lambda m: len(self.context(m.name).parents)
        )  # a map referencing others runs after them
        return [self.run_cycle(m.name) for m in order]

    def capture(self, map_name: str, *, initial_load: bool = False) -> CaptureReport:
        """Capture and plan both sides of a map (no delivery).

        With ``initial_load`` (a cycle), a map whose target holds none of its records is
        loaded in batches as it is captured (:mod:`syncline.sync.first_load`); the empty side
        is captured first, so the load's copies come back in the next cycle."""
        ctx = self.context(map_name)
        report = CaptureReport()
        self._load = None
        if initial_load and self._dry is None:
            try:
                with self.store.begin() as conn:
                    blocked = self.circuits.blocked(conn, self.clock())
                    self._load = InitialLoad.find(conn, ctx, self.worker_id, blocked)
            except UnaskedError:
                # a map without history and a system whose circuit is open: left alone (not
                # even scanned) until it is due; then asked, and loaded in batches if empty
                report.skipped += [ctx.system("a"), ctx.system("b")]
                return report
            except ConnectorError as exc:
                # a map without history and a system that cannot say whether it is empty:
                # nothing is read until it can, so that its load still goes in batches
                report.skipped += [ctx.system("a"), ctx.system("b")]
                report.errors.append(str(exc))
                failing = exc.system if exc.system in (ctx.config.a, ctx.config.b) else None
                if failing is not None:
                    with self.store.begin() as conn:
                        self.circuits.failed(conn, failing, str(exc), self.clock())
                return report
        sides: tuple[Side, Side] = ("a", "b")
        if self._load is not None:
            sides = (self._load.target, self._load.source)
        for side in sides:
            system = ctx.system(side)
            with self.store.begin() as conn:
                blocked, due = self.circuits.standing(conn, self.clock())
            if system in blocked and self._dry is None:
                report.skipped.append(system)
                continue
            if self._load is not None and ctx.system(self._load.target) in report.skipped:
                # the load's target is not answering: the source's records wait, unread, for
                # it, and are then loaded in batches (read now, each would become a job)
                report.skipped.append(system)
                continue
            try:
                self._capture_side(ctx, side, report)
                if system in due and self._dry is None and self._asks(ctx, side):
                    # the system answered once its cool-down was over: the probe went through
                    with self.store.begin() as conn:
                        self.circuits.succeeded(conn, system)
            except ConnectorError as exc:
                report.skipped.append(system)
                report.errors.append(str(exc))
                if self._dry is None:
                    # the system that failed: capturing one side also looks up the other
                    failing = exc.system if exc.system in (ctx.config.a, ctx.config.b) else system
                    with self.store.begin() as conn:
                        self.circuits.failed(conn, failing, str(exc), self.clock())
        return report

    def plan(self, map_name: str) -> Plan:
        """A dry run: what a cycle would plan now. Stores nothing, writes nothing."""
        with self.store.engine.connect() as conn:
            transaction = conn.begin()
            self._dry = conn
            planned: list[tuple[int, NewJob]] = []
            self._planned = planned
            try:
                capture = self.capture(map_name)
                # a later page of the same cycle may replace a job (the other side's record
                # came in): only what would still be queued when the cycle ends
                waiting = pending_ids(conn, [job_id for job_id, _ in planned])
            finally:
                self._dry = None
                self._planned = None
                transaction.rollback()
        jobs = {job_id: job for job_id, job in planned if job_id in waiting}
        return Plan(map_name, list(jobs.values()), capture)

    def deliver(self, map_name: str | None = None) -> DeliveryReport:
        """Deliver due outbox jobs (of one map, or of all maps)."""
        return self.worker.deliver([map_name] if map_name is not None else None)

    # -- capture internals ----------------------------------------------------------------------

    _planned: list[tuple[int, NewJob]] | None = None
    _load: InitialLoad | None = None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        if self._dry is not None:
            yield self._dry
        else:
            with self.store.begin() as conn:
                yield conn

    @contextlib.contextmanager
    def _cycle_lock(self, map_name: str) -> Iterator[bool]:
        """On PostgreSQL, one cycle per map at a time (advisory lock); SQLite has one writer."""
        if self.store.dialect != "postgresql":
            yield True
            return
        key = zlib.crc32(f"syncline-map:{map_name}".encode())
        with self.store.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def _planner(self, ctx: MapContext, conn: Connection, now: datetime) -> Planner:
        return Planner(
            ctx,
            conn,
            now=now,
            in_doubt_before=now - timedelta(seconds=self.lease_seconds),
            suggester=self.suggester,
            planned=self._planned,
        )

    def _plan_page(self, ctx: MapContext, side: Side, page: CapturePage, report: Any) -> None:
        self.checkpoint("capture.page")
        now = self.clock()
        load = self._load if self._load is not None and side == self._load.source else None
        batches: list[tuple[OutboxJob, list[NativeRecord]]] = []
        with self._tx() as conn:
            records = page.records
            if load is not None and records:
                batch, records = load.split(conn, records)
                size = max(1, ctx.connectors[load.target].capabilities.write_batch(ctx.entity))
                for start in range(0, len(batch), size):  # as many as the target takes at once
                    part = batch[start : start + size]
                    batches.append((load.plan(conn, part, page.digests, now), part))
            if records:
                report.stats.add(self._planner(ctx, conn, now).plan(side, records, page.digests))
            # not planned, not a failure of the system: the record waits for a person
            system = ctx.system(side)
            report.unreadable += keep_unreadable(conn, ctx.name, system, ctx.entity, page, now=now)
            page.commit(conn)
            self.checkpoint("capture.commit")
        report.read += page.read
        self.checkpoint("capture.committed")
        if load is None:
            return

        def plan(conn: Connection, rejected: list[NativeRecord]) -> None:
            # one by one, with the batch's close: retried or dead-lettered with the reason
            report.stats.add(self._planner(ctx, conn, now).plan(side, rejected, page.digests))

        for job, part in batches:
            created = load.deliver(self.store, job, part, now, self.checkpoint, plan=plan)
            report.stats.records += created
            report.stats.created_links += created
            report.loaded += created

    def _plan_decided(self, ctx: MapContext, side: Side, report: CaptureReport) -> None:
        """Records whose review a person decided, still without a link: planned again so the
        decision is carried out, whatever the system's capture mode."""
        with self._tx() as conn:
            decided = decided_reviews(conn, ctx.name, ctx.system(side))
            linked = links_by_native_ids(conn, ctx.name, side, list(decided))
        waiting = [i for i in decided if not any(k.state == "active" for k in linked.get(i, []))]
        if waiting:
            records = ctx.connectors[side].read(ctx.entity, waiting)
            page = CapturePage(records, commit=lambda _conn: None, read=len(records))
            self._plan_page(ctx, side, page, report)

    def _capture_side(self, ctx: MapContext, side: Side, report: CaptureReport) -> None:
        self._plan_decided(ctx, side, report)
        connector = ctx.connectors[side]
        limit = self.page_size or connector.capabilities.read_batch_size
        modes = capture_modes(connector, ctx.entity)
        for mode in modes:
            if mode == Capture.CURSOR:
                with self._tx() as conn:
                    state = load_cursor(conn, ctx.name, connector.system, ctx.entity)
                pages: Iterator[CapturePage] = cursor_pages(
                    state,
                    connector,
                    ctx.name,
                    ctx.entity,
                    overlap_seconds=ctx.config.overlap_seconds,
                    limit=limit,
                    clock=self.clock,
                )
            elif mode == Capture.PUSH:
                pages = push_pages(
                    self._events(connector.system, ctx.entity), connector, ctx.entity, limit
                )
            else:
                self._full_scan(ctx, side, report)
                continue
            for page in pages:
                self._plan_page(ctx, side, page, report)
        if Capture.SCAN not in modes and connector.capabilities.can_capture(
            ctx.entity, Capture.SCAN
        ):
            self._periodic_scan(ctx, side, report)

    @staticmethod
    def _asks(ctx: MapContext, side: Side) -> bool:
        """Whether capturing ``side`` always calls its system (a cursor read or a scan; pushed
        changes come from syncline's own inbox)."""
        modes = capture_modes(ctx.connectors[side], ctx.entity)
        return Capture.CURSOR in modes or Capture.SCAN in modes

    def _full_scan(self, ctx: MapContext, side: Side, report: CaptureReport) -> None:
        seen: set[str] = set()
        for page in scan_pages(ctx.connectors[side], ctx.entity, seen):
            self._plan_page(ctx, side, page, report)
        with self._tx() as conn:  # unreadable records deleted since wait no longer
            forget_unseen(conn, ctx.name, ctx.system(side), seen)
        self._scan_deletes(ctx, side, seen, report)

    def _periodic_scan(self, ctx: MapContext, side: Side, report: CaptureReport) -> None:
        """Beside a cursor or webhooks, a full scan every ``scan_every`` seconds: it finds hard
        deletes, lost webhooks and changes a cursor cannot see, so correctness never depends
        on the push channel alone."""
        every = ctx.config.scan_every
        if every <= 0:
            return
        key = f"{ctx.entity}#scan"
        now = self.clock()
        with self._tx() as conn:
            last = load_cursor(conn, ctx.name, ctx.system(side), key).saved_at
            if last is None:  # the first capture read everything: the clock starts now
                save_cursor(conn, ctx.name, ctx.system(side), key, CursorState(saved_at=now))
                return
        if (now - last).total_seconds() < every:
            return
        self._full_scan(ctx, side, report)
        with self._tx() as conn:
            save_cursor(conn, ctx.name, ctx.system(side), key, CursorState(saved_at=now))

    def _events(self, system: str, entity: str) -> Callable[[int], list[Any]]:
        def fetch(limit: int) -> list[Any]:
            with self._tx() as conn:
                return pending_events(conn, system, entity, limit)

        return fetch

    def _scan_deletes(
        self, ctx: MapContext, side: Side, seen: set[str], report: CaptureReport
    ) -> None:
        """Linked records missing from a full scan were hard-deleted."""
        with self._tx() as conn:
            gone = [n for _, n in iter_active_native_ids(conn, ctx.name, side) if n not in seen]
        for start in range(0, len(gone), 500):
            tombstones = [
                NativeRecord(ctx.entity, n, None, deleted=True) for n in gone[start : start + 500]
            ]
            self._plan_page(ctx, side, CapturePage(tombstones, lambda _c: None), report)

    # -- operator decisions ---------------------------------------------------------------------

    def resolve_conflict(
        self,
        conflict_id: int,
        *,
        take: str | None = None,
        value: Any = decisions.UNSET,
        actor: str = "operator",
    ) -> None:
        """Decide a conflict: take a system's value (``take="crm"``) or set ``value``; the
        decision is written to both systems by the next delivery and audited."""
        with self.store.begin() as conn:
            item = decisions.find_conflict(conn, conflict_id)
            ctx = self.context(item.map_name)
            decisions.resolve_conflict(conn, ctx, item, take=take, value=value, actor=actor)

    def retry_dead_letter(self, job_id: int, payload: dict[str, Any] | None = None) -> None:
        """Queue a dead letter again; ``payload`` replaces the values to write (edited)."""
        with self.store.begin() as conn:
            job = get_job(conn, job_id)
            if job is None:
                raise decisions.DecisionError(f"no outbox job with id {job_id}")
            decisions.retry_dead_letter(conn, self.context(job.map_name), job_id, payload)

    def skip_dead_letter(self, job_id: int, actor: str = "operator") -> None:
        """Give up on a dead letter deliberately (kept as ``skipped``, audited)."""
        with self.store.begin() as conn:
            decisions.skip_dead_letter(conn, job_id, actor)

    # -- queries --------------------------------------------------------------------------------

    def audit(
        self,
        *,
        link_id: int | None = None,
        field: str | None = None,
        since: datetime | None = None,
        map_name: str | None = None,
        limit: int = 1000,
        newest: bool = False,
    ) -> list[AuditEvent]:
        """Audit events, oldest first, filtered by link, field, time (UTC) and map: the first
        ``limit`` of them, or with ``newest`` the last ``limit``."""
        with self.store.begin() as conn:
            return query_events(
                conn, link_id=link_id, field=field, since=since, map_name=map_name,
                limit=limit, newest=newest,
            )  # fmt: skip

    def links(
        self, map_name: str | None = None, state: str | None = None, limit: int = 100
    ) -> list[Link]:
        with self.store.begin() as conn:
            return list_links(conn, map_name, state, limit)

    def link(self, link_id: int) -> Link | None:
        with self.store.begin() as conn:
            return get_link(conn, link_id)

    def conflicts(
        self, map_name: str | None = None, state: str | None = "open", limit: int = 100
    ) -> list[ConflictItem]:
        with self.store.begin() as conn:
            return list_conflicts(conn, state, map_name, limit)

    def dead_letters(self, map_name: str | None = None, limit: int = 100) -> list[OutboxJob]:
        with self.store.begin() as conn:
            return list_jobs(conn, "dead", map_name, limit)


def _stats(report: CycleReport) -> dict[str, Any]:
    s = report.capture.stats
    d = report.delivery
    return {
        "read": report.capture.read,
        "records": s.records,
        "jobs": s.jobs,
        "conflicts": s.conflicts,
        "created_links": s.created_links,
        "loaded": report.capture.loaded,
        "linked": s.linked,
        "deletes": s.deletes,
        "delivered": d.delivered,
        "retried": d.retried,
        "dead": d.dead,
        "replanned": d.replanned,
        "skipped_systems": report.capture.skipped,
        "unreadable": len(report.capture.unreadable),
        "seconds": round(report.seconds, 3),
    }


__all__ = ["MapBusyError", "SyncEngine"]
