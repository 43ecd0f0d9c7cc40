"""After a crash: creates whose outcome is unknown are found in the target, not repeated.

A create job left ``running`` by a crashed process may or may not have reached the target.
Before anything else a load looks, among the target's records that no link claims yet, for the
one holding exactly the values the job wrote. Found: the job is closed as done and the link gets
that record's id (an *adoption*). Not found: the write never happened, and the worker repeats it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord
from syncline.model import EntityValidationError
from syncline.store.audit import record_events
from syncline.store.links import Side, get_link, set_native_id
from syncline.store.outbox import OutboxJob, finish, in_doubt
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots
from syncline.sync.context import REF_KEY, MapContext
from syncline.sync.links import resolve_refs
from syncline.sync.planner import Planner


def _shared(ctx: MapContext, values: Mapping[str, Any], side: Side) -> dict[str, Any]:
    """The shared fields of a record of ``side``, without still unresolved references."""
    shared = ctx.shared_values(values, side)
    return {k: v for k, v in shared.items() if not (isinstance(v, dict) and REF_KEY in v)}


def _key(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def _index(
    ctx: MapContext, records: Mapping[str, NativeRecord], side: Side
) -> dict[str, list[NativeRecord]]:
    """Records by their shared values, so that each in-doubt create is one look-up."""
    index: dict[str, list[NativeRecord]] = {}
    for record in records.values():
        if record.data is not None:
            shared = _shared(ctx, record.data.canonical_values(), side)
            index.setdefault(_key(shared), []).append(record)
    return index


def _written(ctx: MapContext, conn: Connection, job: OutboxJob, target: Side) -> dict[str, Any]:
    values, _ = resolve_refs(conn, dict(job.payload.get("values", {})))
    try:
        parsed = ctx.model.parse(
            {k: v for k, v in values.items() if not (isinstance(v, dict) and REF_KEY in v)}
        )
    except EntityValidationError:
        return {}
    return _shared(ctx, parsed.canonical_values(), target)


def adopt_in_doubt(
    conn: Connection,
    ctx: MapContext,
    unclaimed: dict[Side, dict[str, NativeRecord]],
    *,
    now: datetime,
    claimed_before: datetime,
    worker_id: str,
) -> int:
    """Adopt target records that in-doubt creates of this map made; returns how many.

    ``unclaimed`` holds, per side, the live records no link claims; adopted ones are removed.
    """
    jobs = [
        j
        for j in in_doubt(conn, claimed_before, worker_id)
        if j.map_name == ctx.name and j.op == "create" and j.link_id is not None
    ]
    adopted = 0
    by_values: dict[Side, dict[str, list[NativeRecord]]] = {}
    for job in jobs:
        target = ctx.side(job.target_system)
        link = get_link(conn, int(job.link_id or 0))
        if link is None or link.native_id(target) is not None:
            continue
        wanted = _written(ctx, conn, job, target)
        if not wanted:
            continue
        if target not in by_values:
            by_values[target] = _index(ctx, unclaimed[target], target)
        found = [
            r for r in by_values[target].get(_key(wanted), []) if r.native_id in unclaimed[target]
        ]
        if len(found) != 1:
            continue
        record = found[0]
        assert record.data is not None
        set_native_id(conn, link.id, target, record.native_id)
        finish(conn, [job.id], "done", now)
        snapshot = load_snapshots(conn, [link.id]).get(link.id) or Snapshot(link.id)
        agreed = job.payload.get("agreed", {})
        snapshot.base_a.update(agreed.get("a", {}))
        snapshot.base_b.update(agreed.get("b", {}))
        snapshot.set_seen(
            target, record.data.canonical_values(), record.version, record.data.content_hash()
        )
        snapshot.has_base = True
        save_snapshots(conn, [snapshot])
        record_events(
            conn,
            [
                {
                    "map_name": ctx.name,
                    "link_id": link.id,
                    "entity": ctx.entity,
                    "reason": "create",
                    "source_system": job.payload.get("source_system"),
                    "target_system": job.target_system,
                    "job_id": job.id,
                    "actor": "load",
                    "new_value": job.payload.get("values"),
                    "detail": f"created {record.native_id} before a crash; found and linked",
                }
            ],
        )
        adopted_link = get_link(conn, link.id)
        assert adopted_link is not None
        Planner(ctx, conn, now=now, in_doubt_before=claimed_before).replan(
            adopted_link, target, record
        )
        del unclaimed[target][record.native_id]
        adopted += 1
    return adopted


__all__ = ["adopt_in_doubt"]
