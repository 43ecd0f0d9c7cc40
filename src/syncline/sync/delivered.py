"""What a delivered write leaves behind (ARCHITECTURE.md §3.4, §3.9): the job closed, the link's
new id, the snapshot both sides now agree on with the target's version, and the audit events.

Two cases merge again after recording: an operator's edited dead letter (the edit must reach
the source system too), and a create whose source capture read a newer version of while the
create was in flight (another worker held it): that version is merged now, or its edit would
never reach the copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord, WriteResult
from syncline.store.audit import record_events
from syncline.store.links import Side, forget_native_id, get_link, set_native_ids
from syncline.store.outbox import OutboxJob, finish
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots, values_hash
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.planner import Planner


class Delivered:
    """Records delivered jobs; ``clock`` and ``lease`` are the worker's."""

    def __init__(self, clock: Callable[[], datetime], lease: timedelta) -> None:
        self.clock = clock
        self.lease = lease

    def record(
        self,
        conn: Connection,
        ctx: MapContext,
        target: Side,
        done: list[tuple[OutboxJob, dict[str, Any], WriteResult]],
    ) -> None:
        """Close delivered jobs: links get their new ids, snapshots the agreed values and
        the target's version, and the audit one event per changed field (one per create)."""
        if not done:
            return
        now = self.clock()
        finish(conn, [job.id for job, _, _ in done], "done", now)
        link_ids = [job.link_id for job, _, _ in done if job.link_id is not None]
        snapshots = load_snapshots(conn, link_ids)
        set_native_ids(
            conn,
            target,
            [
                (job.link_id, result.native_id)
                for job, _, result in done
                if job.op == "create" and job.link_id is not None and result.native_id
            ],
        )
        events: list[dict[str, Any]] = []
        changed: list[Snapshot] = []
        moved: list[tuple[OutboxJob, Snapshot]] = []
        for job, values, result in done:
            audit = {
                "map_name": ctx.name,
                "link_id": job.link_id,
                "entity": ctx.entity,
                "source_system": job.payload.get("source_system"),
                "source_version": job.payload.get("source_version"),
                "target_system": job.target_system,
                "job_id": job.id,
            }
            if job.op in ("delete", "archive"):
                events.append({**audit, "reason": job.op, "old_value": job.native_id})
                if job.op == "delete" and job.link_id is not None:
                    forget_native_id(conn, job.link_id, target)  # the id may be handed out again
                continue
            if job.link_id is None:
                continue
            snapshot = snapshots.get(job.link_id) or Snapshot(job.link_id)
            snapshots[job.link_id] = snapshot
            old = dict(snapshot.seen(target) or {})
            agreed = job.payload.get("agreed", {})
            snapshot.base_a.update(agreed.get("a", {}))
            snapshot.base_b.update(agreed.get("b", {}))
            # the entity parsed for the write, when there was one (parsing costs more than I/O)
            data = result.request.data
            if data is None:
                data = ctx.model.parse(values)
            full = data.canonical_values()
            snapshot.set_seen(target, full, result.version, values_hash(full))
            for name in job.fields or list(full):
                snapshot.pending.get(target, {}).pop(name, None)  # a decision landed
            if job.op == "create":
                snapshot.has_base = True
                events.append({**audit, "reason": "create", "new_value": values})
                if snapshot.version(other(target)) != job.payload.get("source_version"):
                    moved.append((job, snapshot))  # edited while the create was in flight
            else:
                reasons = job.payload.get("reasons", {})
                events.extend(
                    {
                        **audit,
                        "field": name,
                        "old_value": old.get(name),
                        "new_value": full.get(name),
                        "reason": reasons.get(name, "sync"),
                    }
                    for name in job.fields or []
                )
            changed.append(snapshot)
        save_snapshots(conn, list({s.link_id: s for s in changed}.values()))
        record_events(conn, events)
        for job, snapshot in moved:
            self._merge_moved_source(conn, ctx, other(target), job, snapshot)
        for job, values, result in done:
            if job.payload.get("edited") and job.link_id is not None and job.op != "delete":
                self._pass_on_edit(conn, ctx, target, job, values, result)

    def _merge_moved_source(
        self, conn: Connection, ctx: MapContext, source: Side, job: OutboxJob, snapshot: Snapshot
    ) -> None:
        """A create landed with the values it was planned with, but capture read a newer
        version of its source meanwhile (another worker held the create): merge that version
        now, or the edit would never reach the copy."""
        link = get_link(conn, job.link_id) if job.link_id is not None else None
        seen = snapshot.seen(source)
        if link is None or link.state != "active" or seen is None:
            return
        native_id = link.native_id(source)
        record = NativeRecord(
            ctx.entity,
            str(native_id),
            ctx.model.parse(seen),
            snapshot.version(source),
            snapshot.modified(source),
        )
        now = self.clock()
        Planner(ctx, conn, now=now, in_doubt_before=now - self.lease).replan(link, source, record)

    def _pass_on_edit(  # noqa: PLR0917 - one outcome, all its parts
        self,
        conn: Connection,
        ctx: MapContext,
        target: Side,
        job: OutboxJob,
        values: dict[str, Any],
        result: WriteResult,
    ) -> None:
        """An operator's edited dead letter landed: merge again so the edit reaches the
        source system too (the systems converge on the operator's value)."""
        link = get_link(conn, job.link_id) if job.link_id is not None else None
        if link is None or link.state != "active":
            return
        native_id = result.native_id or link.native_id(target)
        record = NativeRecord(ctx.entity, str(native_id), ctx.model.parse(values), result.version)
        now = self.clock()
        Planner(ctx, conn, now=now, in_doubt_before=now - self.lease).replan(link, target, record)


__all__ = ["Delivered"]
