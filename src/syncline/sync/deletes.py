"""Deletes (ARCHITECTURE.md §3.8): a record gone on one side, handled by the map's policy.

``propagate`` deletes the linked record, ``archive`` sets it inactive, ``unlink`` forgets the
link and keeps both records, ``flag`` keeps everything and opens a conflict item
(field ``_deleted``) for a person.

A record deleted while its create is in doubt (§3.10) has that create settled here, guarded as
a recovering worker settles it (:mod:`syncline.sync.recovery`): a worker may be settling the
same create, or an identical twin's, at the same time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from syncline.mapping import DeletePolicy
from syncline.store.conflicts import DELETED_FIELD, open_conflict
from syncline.store.links import (
    Link,
    Side,
    forget_native_id,
    get_link,
    set_native_id,
    set_state,
)
from syncline.store.outbox import NewJob, supersede_pending
from syncline.store.snapshots import Snapshot
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.links import create_origins, created_copy
from syncline.sync.recovery import LOOKS, copy_is_free, still_in_doubt

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


def _created_in_doubt(planner: Planner, link: Link, target: Side) -> Link | None:
    """``link`` once a create in doubt (its worker crashed) on ``target`` is settled: with the
    id of the copy it made, if one is found; the job is closed, so it is never repeated.

    Settled only while still in doubt: a recovering worker that settled it meanwhile decided,
    and the link is returned as that worker left it (None when no longer active: nothing is
    left to do). A copy is taken only while no other link holds it (a twin's create may have
    taken it meanwhile), else looked for again, a few times: a delete cannot wait for the next
    pass as recovery does, so a copy taken on every look counts as none found."""
    jobs = [
        j
        for j in planner._open_jobs_for(link.id)
        if j.op == "create"
        and j.state == "running"
        and j.target_system == planner.ctx.system(target)
    ]
    if not jobs:
        return link
    if not still_in_doubt(planner.conn, jobs[0], planner.now):
        settled = get_link(planner.conn, link.id)  # with the copy it found, if any
        return settled if settled is not None and settled.state == "active" else None
    values = jobs[0].payload.get("values", {})
    found: str | None = None
    for _ in range(LOOKS):  # a copy another create's recovery took meanwhile: look again
        made = created_copy(
            planner.ctx, planner.conn, target, values, origins=create_origins(jobs[0])
        )
        if made is None:
            break
        if copy_is_free(planner.conn, planner.ctx, target, jobs[0], made.native_id):
            found = made.native_id
            break
    planner._close_running(jobs)
    if found is None:
        return link
    set_native_id(planner.conn, link.id, target, found)
    return replace(link, id_a=found) if target == "a" else replace(link, id_b=found)


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
        # a crash may have hidden that the create landed: the policy applies to its copy
        settled = _created_in_doubt(planner, link, target)
        if settled is None:
            return  # a recovering worker settled the create and left the link inactive
        link = settled
    if link.native_id(target) is None:
        set_state(planner.conn, [link.id], "deleted")
        forget_native_id(planner.conn, link.id, side)
        planner._work.audit.append(
            {**audit, "reason": "delete", "detail": "deleted before its create was delivered"}
        )
        return
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
