"""``syncline load``: the initial load of one map, resumable after a crash.

Steps, each committed as it goes so that a rerun continues where a crash stopped:

1. read both systems completely (:mod:`.inventory`); adopt records that creates interrupted by
   a crash made (:mod:`.recovery`);
2. plan (:mod:`.plan`): people's decisions, deterministic keys, fuzzy matching;
3. store the grey zone as review items;
4. link matched pairs in batches (link, snapshot of both sides, audit event, and the merge of
   their fields through the engine's planner, so differing values follow the map's policies);
5. plan the creates through the engine's planner (a link waiting for its target id plus an
   outbox job with an idempotency key, per record) and deliver them with the engine's worker.

A record that has a link is never planned again, so a rerun never links or creates twice; a
link made by a person is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.connectors.base import Connector, NativeRecord
from syncline.load.inventory import Inventory, load_links, take_inventory
from syncline.load.plan import LoadPlan, PlannedLink, build_plan
from syncline.load.recovery import adopt_in_doubt
from syncline.load.report import LoadReport, NoProgress, Progress, Rejection
from syncline.mapping import SynclineConfig
from syncline.matching import Matcher
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.links import Side, create_links, get_links, links_by_native_ids
from syncline.store.outbox import count_jobs, list_jobs
from syncline.store.reviews import add_reviews
from syncline.store.runs import finish_run, start_run
from syncline.store.snapshots import Snapshot, save_snapshots
from syncline.sync import SyncEngine
from syncline.sync.context import Checkpoint, MapContext
from syncline.sync.fields import other
from syncline.sync.planner import Planner

BATCH = 200  # records per transaction while linking and planning creates
SIDES: tuple[Side, Side] = ("a", "b")


def _no_checkpoint(_step: str) -> None:
    return None


class InitialLoad:
    """Loads maps of ``config`` between ``connectors`` over ``store``.

    ``checkpoint`` is called with a step name after every committed batch (``load.linked``,
    ``load.planned``) and at every step of delivery (tests raise from it to simulate a crash);
    ``actor`` names who made the links in the audit trail.
    """

    def __init__(
        self,
        store: Store,
        config: SynclineConfig,
        connectors: Mapping[str, Connector],
        *,
        progress: Progress | None = None,
        checkpoint: Checkpoint | None = None,
        clock: Callable[[], datetime] | None = None,
        matcher: Matcher | None = None,
        actor: str = "load",
    ) -> None:
        self.store = store
        self.progress = progress or NoProgress()
        self.checkpoint = checkpoint or _no_checkpoint
        self.clock = clock or (lambda: datetime.now(UTC))
        self.matcher = matcher
        self.actor = actor
        self.engine = SyncEngine(
            store, config, connectors, clock=self.clock, checkpoint=self.checkpoint
        )

    @property
    def _in_doubt_before(self) -> datetime:
        return self.clock() - timedelta(seconds=self.engine.lease_seconds)

    def run(self, map_name: str, *, dry_run: bool = False) -> LoadReport:
        """Load map ``map_name``; with ``dry_run`` only plan and report, writing nothing."""
        started = time.perf_counter()
        ctx = self.engine.context(map_name)
        report = LoadReport(map_name, dry_run=dry_run)
        with self.store.begin() as conn:
            inventory = take_inventory(conn, ctx, self.progress)
        for side_records in inventory.sides.values():
            report.read[side_records.system] = len(side_records.records)
            report.rejected.extend(side_records.rejected)
        if dry_run:
            self.progress.phase("matching", None)
            plan = build_plan(ctx, inventory, self.matcher)
            self._count_plan(inventory, plan, report)
            for side in SIDES:
                report.created[ctx.system(other(side))] = len(plan.creates[side])
            report.seconds = time.perf_counter() - started
            return report
        with self.store.begin() as conn:
            run_id = start_run(conn, map_name, kind="load")
        try:
            self._load(ctx, inventory, report)
        except BaseException as exc:
            with self.store.begin() as conn:
                finish_run(conn, run_id, "failed", report.stats(), f"{type(exc).__name__}: {exc}")
            raise
        report.seconds = time.perf_counter() - started
        with self.store.begin() as conn:
            finish_run(conn, run_id, "ok", report.stats())
        return report

    # -- the steps ------------------------------------------------------------------------------

    def _load(self, ctx: MapContext, inventory: Inventory, report: LoadReport) -> None:
        unclaimed = {side: inventory.unlinked(side) for side in SIDES}
        with self.store.begin() as conn:
            report.adopted = adopt_in_doubt(
                conn,
                ctx,
                unclaimed,
                now=self.clock(),
                claimed_before=self._in_doubt_before,
                worker_id=self.engine.worker_id,
            )
            if report.adopted:
                inventory.links = load_links(conn, ctx.name)
        waiting = [
            (link.id, side)
            for link in inventory.links
            if link.state == "active"
            for side in SIDES
            if link.native_id(side) is None
        ]
        self.progress.phase("matching", None)
        plan = build_plan(ctx, inventory, self.matcher)
        self._count_plan(inventory, plan, report)
        with self.store.begin() as conn:
            report.review_items_added = add_reviews(conn, plan.reviews)
        self._link(ctx, inventory, plan.links, report)
        self._plan_creates(ctx, inventory, plan, report)
        self._deliver(ctx)
        self._tally(ctx, plan, waiting, report)

    @staticmethod
    def _count_plan(inventory: Inventory, plan: LoadPlan, report: LoadReport) -> None:
        report.already_linked = sum(
            1
            for link in inventory.links
            if link.state == "active" and link.id_a is not None and link.id_b is not None
        )
        report.linked_by_key = plan.count("key")
        report.linked_fuzzy = plan.count("fuzzy")
        report.linked_manual = plan.count("manual")
        report.for_review = len(plan.held["a"]) + len(plan.held["b"])
        report.skipped = len(plan.skipped["a"]) + len(plan.skipped["b"])
        report.one_way = plan.one_way

    def _link(
        self,
        ctx: MapContext,
        inventory: Inventory,
        planned: list[PlannedLink],
        report: LoadReport,
    ) -> None:
        self.progress.phase("linking", len(planned))
        records = {side: inventory.sides[side].records for side in SIDES}
        for start in range(0, len(planned), BATCH):
            batch = planned[start : start + BATCH]
            with self.store.begin() as conn:
                report.conflicts += self._link_batch(conn, ctx, records, batch)
            self.checkpoint("load.linked")
            self.progress.advance(len(batch))

    def _link_batch(
        self,
        conn: Connection,
        ctx: MapContext,
        records: dict[Side, dict[str, NativeRecord]],
        batch: list[PlannedLink],
    ) -> int:
        """Link one batch in the caller's transaction; returns the conflicts the merge found."""
        now = self.clock()
        taken_a = links_by_native_ids(conn, ctx.name, "a", [p.a_id for p in batch])
        taken_b = links_by_native_ids(conn, ctx.name, "b", [p.b_id for p in batch])
        fresh = [
            p
            for p in batch
            if p.a_id not in taken_a and (p.b_id not in taken_b or ctx.config.many_to_one)
        ]
        planner = Planner(ctx, conn, now=now, in_doubt_before=self._in_doubt_before)
        conflicts = 0
        for origin in ("manual", "key", "fuzzy"):
            group = [p for p in fresh if p.origin == origin]
            # a person's decision is pinned: no automatic match ever undoes it
            ids = create_links(
                conn, ctx.name, ctx.entity, [(p.a_id, p.b_id) for p in group], origin,
                pinned=origin == "manual",
            )  # fmt: skip
            snapshots = []
            for link_id, pair in zip(ids, group, strict=True):
                snapshot = Snapshot(link_id)
                ends: tuple[tuple[Side, str], ...] = (("a", pair.a_id), ("b", pair.b_id))
                for side, native_id in ends:
                    data = records[side][native_id].data
                    assert data is not None
                    snapshot.set_seen(
                        side,
                        data.canonical_values(),
                        records[side][native_id].version,
                        data.content_hash(),
                    )
                snapshots.append(snapshot)
            agreed = {s.link_id for s in snapshots if _settle(ctx, s)}
            save_snapshots(conn, snapshots)
            record_events(
                conn,
                [
                    {
                        "map_name": ctx.name,
                        "link_id": link_id,
                        "entity": ctx.entity,
                        "reason": "link",
                        "actor": self.actor,
                        "source_system": ctx.system("a"),
                        "target_system": ctx.system("b"),
                        "detail": f"initial load linked {pair.a_id} to {pair.b_id} "
                        f"({origin}: {pair.why})",
                    }
                    for link_id, pair in zip(ids, group, strict=True)
                ],
            )
            differing = [
                records["a"][pair.a_id]
                for link_id, pair in zip(ids, group, strict=True)
                if link_id not in agreed
            ]
            if differing:
                # one planning pass merges every new link whose two records differ
                conflicts += planner.plan("a", differing).conflicts
        return conflicts

    def _plan_creates(
        self, ctx: MapContext, inventory: Inventory, plan: LoadPlan, report: LoadReport
    ) -> None:
        total = len(plan.creates["a"]) + len(plan.creates["b"])
        self.progress.phase("planning creates", total)
        for side in SIDES:
            records = inventory.sides[side].records
            ids = plan.creates[side]
            for start in range(0, len(ids), BATCH):
                batch = [records[i] for i in ids[start : start + BATCH]]
                with self.store.begin() as conn:
                    planner = Planner(
                        ctx, conn, now=self.clock(), in_doubt_before=self._in_doubt_before
                    )
                    stats = planner.plan(side, batch)
                report.linked_by_key += stats.linked
                self.checkpoint("load.planned")
                self.progress.advance(len(batch))

    def _deliver(self, ctx: MapContext) -> None:
        with self.store.begin() as conn:
            total = count_jobs(conn, ["pending", "running"], ctx.name)
        self.progress.phase(f"writing to {ctx.system('a')} and {ctx.system('b')}", total)
        for _ in range(total + 1):
            done = self.engine.worker.deliver([ctx.name], max_rounds=1)
            self.progress.advance(done.delivered + done.dead + done.replanned)
            if not (done.delivered or done.dead or done.replanned or done.recovered):
                return

    def _tally(
        self,
        ctx: MapContext,
        plan: LoadPlan,
        waiting: list[tuple[int, Side]],
        report: LoadReport,
    ) -> None:
        """Count what was created, what still waits for delivery, and what the target refused."""
        with self.store.begin() as conn:
            targets: dict[int, Side] = dict(waiting)
            for side in SIDES:
                found = links_by_native_ids(conn, ctx.name, side, plan.creates[side])
                for links in found.values():
                    for link in links:
                        targets[link.id] = other(side)
            current = get_links(conn, list(targets))
            dead = {
                job.link_id: job
                for job in list_jobs(conn, "dead", ctx.name, limit=1_000_000)
                if job.op == "create" and job.link_id in targets
            }
        for link_id, target in targets.items():
            found_link = current.get(link_id)
            if found_link is None:
                continue
            link = found_link
            system = ctx.system(target)
            if link.native_id(target) is not None:
                report.created[system] = report.created.get(system, 0) + 1
            elif link_id in dead:
                source = link.native_id(other(target)) or "?"
                reason = dead[link_id].last_error or "rejected"
                report.rejected.append(
                    Rejection(ctx.system(other(target)), source, f"{system} refused it: {reason}")
                )
            else:
                report.pending += 1


def _settle(ctx: MapContext, snapshot: Snapshot) -> bool:
    """When both sides already agree on every shared field, make that the base and return
    True (nothing to write); else False and the engine's merge decides."""
    seen_a, seen_b = snapshot.seen_a or {}, snapshot.seen_b or {}
    for shared in ctx.fields:
        if shared.ref_entity is not None:
            return False
        value_a = seen_a.get(shared.field_a)
        if ctx.transformed(shared, value_a, "b") != seen_b.get(shared.field_b):
            return False
    snapshot.base_a = ctx.shared_values(seen_a, "a")
    snapshot.base_b = ctx.shared_values(seen_b, "b")
    snapshot.has_base = True
    return True


def load_map(
    store: Store,
    config: SynclineConfig,
    connectors: Mapping[str, Connector],
    map_name: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Run the initial load of ``map_name`` once (see :class:`InitialLoad`)."""
    return InitialLoad(store, config, connectors, progress=progress).run(map_name, dry_run=dry_run)


__all__ = ["BATCH", "SIDES", "InitialLoad", "load_map"]
