"""Deletes (ARCHITECTURE.md §3.8): a record gone on one side, handled by the map's policy.

``propagate`` deletes the linked record, ``archive`` sets it inactive, ``unlink`` forgets the
link and keeps both records, ``flag`` keeps everything and opens a conflict item
(field ``_deleted``) for a person.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from syncline.mapping import DeletePolicy
from syncline.store.conflicts import DELETED_FIELD, open_conflict
from syncline.store.links import Link, Side, forget_native_id, set_native_id, set_state
from syncline.store.outbox import NewJob, supersede_pending
from syncline.store.snapshots import Snapshot
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.links import created_copy

if TYPE_CHECKING:
    from syncline.sync.planner import Planner


def delete_job(ctx: MapContext, link: Link, target: Side, op: str, source: Side) -> NewJob:
    """A delete or archive job for the linked record on ``target``."""
    return NewJob(
        map_name=ctx.name,
        link_id=link.id,
        target_system=ctx.system(target),
        entity=ctx.entity,
        op=op,
        native_id=link.native_id(target),
        payload={"values": {}, "source_system": ctx.system(source), "reasons": {}},
        fields=None,
        base_version=None,
    )


def deleted_copy_event(ctx: MapContext, link: Link, side: Side, job_id: int) -> dict[str, Any]:
    """The audit event of a copy that an in-doubt create (``job_id``) made on ``side``, found
    deleted there when the engine recovered from the crash: the delete policy applies."""
    return {
        "map_name": ctx.name,
        "link_id": link.id,
        "entity": ctx.entity,
        "source_system": ctx.system(side),
        "target_system": ctx.system(other(side)),
        "old_value": link.native_id(side),
        "reason": "delete",
        "job_id": job_id,
        "detail": f"the copy created in {ctx.system(side)} before a crash was deleted there "
        f"before the restart; delete policy {ctx.config.delete.value} applies",
    }


def _created_in_doubt(planner: Planner, link: Link, target: Side) -> str | None:
    """The id of the copy a create in doubt (its worker crashed) made on ``target``, if any;
    closes that job either way, so it is never repeated."""
    jobs = [
        j
        for j in planner._open_jobs_for(link.id)
        if j.op == "create"
        and j.state == "running"
        and j.target_system == planner.ctx.system(target)
    ]
    if not jobs:
        return None
    planner._close_running(jobs)
    made = created_copy(planner.ctx, planner.conn, target, jobs[0].payload.get("values", {}))
    return made.native_id if made is not None else None


def plan_delete(planner: Planner, link: Link, side: Side, snapshot: Snapshot) -> None:
    """Plan what the map's delete policy says for ``link`` whose ``side`` record is gone."""
    ctx = planner.ctx
    target = other(side)
    planner.stats.deletes += 1
    for s in ("a", "b"):
        supersede_pending(planner.conn, [link.id], ctx.system(s))
    audit = {
        "map_name": ctx.name,
        "link_id": link.id,
        "entity": ctx.entity,
        "source_system": ctx.system(side),
        "target_system": ctx.system(target),
        "old_value": link.native_id(side),
    }
    if link.native_id(target) is None:
        found = _created_in_doubt(planner, link, target)
        if found is None:
            set_state(planner.conn, [link.id], "deleted")
            forget_native_id(planner.conn, link.id, side)
            planner._work.audit.append(
                {**audit, "reason": "delete", "detail": "deleted before its create was delivered"}
            )
            return
        # a crash hid that the create landed: the copy exists, and the policy applies to it
        set_native_id(planner.conn, link.id, target, found)
        link = replace(link, id_a=found) if target == "a" else replace(link, id_b=found)
    policy = ctx.config.delete
    if policy in (DeletePolicy.PROPAGATE, DeletePolicy.ARCHIVE):
        op = "delete" if policy == DeletePolicy.PROPAGATE else "archive"
        planner._add_job(delete_job(ctx, link, target, op, side))
        set_state(planner.conn, [link.id], "deleted")
        forget_native_id(planner.conn, link.id, side)
    elif policy == DeletePolicy.UNLINK:
        set_state(planner.conn, [link.id], "unlinked")
        forget_native_id(planner.conn, link.id, side)
        planner._work.audit.append(
            {**audit, "reason": "unlink", "detail": f"deleted in {ctx.system(side)}; unlinked"}
        )
    else:
        open_conflict(
            planner.conn,
            map_name=ctx.name,
            link_id=link.id,
            entity=ctx.entity,
            field=DELETED_FIELD,
            base_value=None,
            value_a="deleted" if side == "a" else "exists",
            value_b="deleted" if side == "b" else "exists",
            version_a=snapshot.version_a,
            version_b=snapshot.version_b,
        )
        planner.stats.conflicts += 1
        set_state(planner.conn, [link.id], "flagged")


__all__ = ["delete_job", "deleted_copy_event", "plan_delete"]
