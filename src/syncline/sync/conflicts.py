"""Operator decisions: resolving conflict items and handling dead letters."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord
from syncline.errors import SynclineError
from syncline.model import EntityValidationError
from syncline.store.audit import record_events
from syncline.store.conflicts import DELETED_FIELD, ConflictItem, close_conflict, get_conflict
from syncline.store.links import Link, Side, forget_native_id, get_link, set_state
from syncline.store.outbox import enqueue, finish, get_job, revive
from syncline.store.snapshots import load_snapshots
from syncline.store.types import utcnow
from syncline.sync.context import MapContext
from syncline.sync.deletes import delete_job
from syncline.sync.fields import other
from syncline.sync.merge import MergeResult
from syncline.sync.planner import Planner

UNSET: Any = object()


class DecisionError(SynclineError):
    """An operator decision cannot be applied (unknown id, already decided, bad choice)."""


def resolve_conflict(
    conn: Connection,
    ctx: MapContext,
    item: ConflictItem,
    *,
    take: str | None,
    value: Any,
    actor: str,
) -> None:
    """Apply a decision: ``take`` a system's value (its name, or ``a``/``b``) or set ``value``
    (in side a's form). Writes go to each side that does not hold the chosen value yet."""
    if item.state != "open":
        raise DecisionError(f"conflict {item.id} is already {item.state}")
    link = get_link(conn, item.link_id)
    if link is None:
        raise DecisionError(f"conflict {item.id}: its link {item.link_id} no longer exists")
    side = _side(ctx, take) if take is not None else None
    if (side is None) == (value is UNSET):
        raise DecisionError("give exactly one of --take SYSTEM or --value VALUE")
    now = utcnow()
    if item.field == DELETED_FIELD:
        _resolve_delete(conn, ctx, item, link, side, actor)
        close_conflict(conn, item.id, resolution=side or "value", value=None, actor=actor)
        return
    shared = next((f for f in ctx.fields if f.field_a == item.field), None)
    if shared is None:
        raise DecisionError(f"field {item.field!r} is no longer shared by map {ctx.name!r}")
    planner = Planner(ctx, conn, now=now, in_doubt_before=now)
    chosen: dict[Side, Any] = {}
    if side is not None:
        chosen[side] = item.value_a if side == "a" else item.value_b
        chosen[other(side)] = planner.translate(shared, chosen[side], other(side))
    else:
        value = _valid_value(ctx, item, snapshot_values(conn, link.id), value)
        chosen = {"a": value, "b": planner.translate(shared, value, "b")}
    close_conflict(conn, item.id, resolution=side or "value", value=chosen["a"], actor=actor)
    snapshot = load_snapshots(conn, [link.id])[link.id]

    def decide(result: MergeResult) -> None:
        # the decision replaces the merge's verdict on this field: without this, the field
        # (still changed on both sides against the old base) would open a new conflict
        result.conflicts[:] = [c for c in result.conflicts if c.shared != shared]
        for s in ("a", "b"):
            seen = snapshot.seen(s) or {}
            if seen.get(shared.name(s)) != chosen[s]:
                result.write(shared, s, chosen[s], chosen[other(s)], "manual_resolution")
                # until the decision lands, the old value there is not an edit of its own
                result.pending[s][shared.name(s)] = seen.get(shared.name(s))
        result.settle(shared, chosen["a"], chosen["b"])

    current = snapshot.seen(side or "a")
    record_events(
        conn,
        [
            {
                "map_name": ctx.name,
                "link_id": link.id,
                "entity": ctx.entity,
                "field": item.field,
                "old_value": item.value_b if side == "a" else item.value_a,
                "new_value": chosen["a"],
                "source_system": ctx.system(side) if side else None,
                "reason": "manual_resolution",
                "actor": actor,
                "detail": f"conflict {item.id} decided",
            }
        ],
    )
    record = NativeRecord(
        ctx.entity,
        str(link.native_id(side or "a")),
        ctx.model.parse(current or {}),
        snapshot.version(side or "a"),
    )
    planner.replan(link, side or "a", record, extra=decide)


def snapshot_values(conn: Connection, link_id: int) -> dict[str, Any]:
    """The canonical values side a last agreed on for a link (empty when it has none)."""
    snapshot = load_snapshots(conn, [link_id]).get(link_id)
    return dict((snapshot.seen("a") if snapshot else None) or {})


def _valid_value(ctx: MapContext, item: ConflictItem, current: dict[str, Any], value: Any) -> Any:
    """``value`` as the field's canonical form, checked by the entity's own validation, so a
    decision never writes what both systems would refuse. A bare number or true/false typed
    for a text field (a postcode, a code) is taken as its text."""
    candidates = [value]
    if isinstance(value, bool | int | float):
        candidates.append(json.dumps(value))
    problem: EntityValidationError | None = None
    for candidate in candidates:
        try:
            parsed = ctx.model.parse({**current, item.field: candidate})
        except EntityValidationError as exc:
            if not any(f.split(".")[0] == item.field for f, _, _ in exc.problems):
                return candidate  # the other agreed values are what fails: not this one
            problem = problem or exc
            continue
        return parsed.canonical_values().get(item.field)
    raise DecisionError(f"conflict {item.id}: {value!r} is not a valid {item.field}: {problem}")


def _side(ctx: MapContext, take: str) -> Side:
    if take in ("a", ctx.config.a):
        return "a"
    if take in ("b", ctx.config.b):
        return "b"
    raise DecisionError(f"--take must be {ctx.config.a} or {ctx.config.b}, not {take!r}")


def _resolve_delete(  # noqa: PLR0917 - one decision, all its parts
    conn: Connection,
    ctx: MapContext,
    item: ConflictItem,
    link: Link,
    side: Side | None,
    actor: str,
) -> None:
    """A flagged delete: taking the deleting side deletes the other record; taking the
    surviving side keeps it and forgets the link."""
    deleted: Side = "a" if item.value_a == "deleted" else "b"
    if side is None:
        raise DecisionError("a deleted record is decided with --take SYSTEM, not --value")
    if side == deleted:
        enqueue(conn, [delete_job(ctx, link, other(deleted), "delete", deleted)])
        set_state(conn, [link.id], "deleted")
    else:
        set_state(conn, [link.id], "unlinked")
    forget_native_id(conn, link.id, deleted)
    record_events(
        conn,
        [
            {
                "map_name": ctx.name,
                "link_id": link.id,
                "entity": ctx.entity,
                "field": DELETED_FIELD,
                "reason": "manual_resolution",
                "actor": actor,
                "detail": "delete propagated" if side == deleted else "kept; unlinked",
            }
        ],
    )


def retry_dead_letter(
    conn: Connection, ctx: MapContext, job_id: int, values: dict[str, Any] | None
) -> None:
    """Put a dead job back in the queue; ``values`` (field: value, in the target's form)
    replace those of the payload that the operator edited.

    The edit is the operator's decision: once delivered it flows on to the source system too
    (the target's agreed base keeps the rejected value, so the edit reads as a change there).
    """
    job = get_job(conn, job_id)
    if job is None or job.state != "dead":
        raise DecisionError(f"job {job_id} is not a dead letter")
    if values is None:
        revive(conn, job_id, utcnow())
        return
    if job.op not in ("create", "update"):
        raise DecisionError(f"job {job_id} is a {job.op}: it has no values to edit")
    old = dict(job.payload.get("values", {}))
    shared = {f.name(ctx.side(job.target_system)) for f in ctx.fields}
    unknown = sorted(set(values) - shared)
    if unknown:
        raise DecisionError(
            f"map {ctx.name!r} does not share field(s) {', '.join(unknown)}; "
            f"shared: {', '.join(sorted(shared))}"
        )
    edited = sorted(k for k, v in values.items() if old.get(k) != v)
    payload = dict(job.payload)
    payload["values"] = {**old, **values}
    payload["edited"] = edited
    payload["reasons"] = {
        **payload.get("reasons", {}),
        **dict.fromkeys(edited, "manual_resolution"),
    }
    fields = None
    if job.fields is not None:
        fields = sorted({*job.fields, *edited})
    revive(conn, job_id, utcnow(), payload, fields)


def skip_dead_letter(conn: Connection, job_id: int, actor: str) -> None:
    """Give up on a dead job deliberately (kept, state ``skipped``, audited)."""
    job = get_job(conn, job_id)
    if job is None or job.state != "dead":
        raise DecisionError(f"job {job_id} is not a dead letter")
    finish(conn, [job_id], "skipped", utcnow())
    record_events(
        conn,
        [
            {
                "map_name": job.map_name,
                "link_id": job.link_id,
                "entity": job.entity,
                "target_system": job.target_system,
                "reason": "skip",
                "actor": actor,
                "job_id": job_id,
                "detail": f"dead letter skipped: {job.last_error}",
            }
        ],
    )


def find_conflict(conn: Connection, conflict_id: int) -> ConflictItem:
    item = get_conflict(conn, conflict_id)
    if item is None:
        raise DecisionError(f"no conflict with id {conflict_id}")
    return item


__all__ = [
    "UNSET",
    "DecisionError",
    "delete_job",
    "find_conflict",
    "resolve_conflict",
    "retry_dead_letter",
    "skip_dead_letter",
]
