"""A record deleted while its create is in doubt, and recovering workers at the same time
(ARCHITECTURE.md §3.8, §3.10).

Capture reads the delete of a record whose create a crash left in doubt: the planner settles
that create (takes the copy it made, if any, and applies the delete policy to it). A recovering
worker may settle the same create, or an identical twin's, at the same time. Settling it
regardless, the planner overwrote the worker's settlement and, finding the copy linked by then,
called the record "deleted before its create was delivered": the copy stayed in the target,
out of the delete policy's reach. Taking a copy without checking that it was still free, it
took the copy a worker had just linked to a twin, and deleted it under the twin.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import syncline.sync.deletes as deletes_module
import syncline.sync.planner as planner_module
from syncline.connectors.base import NativeRecord
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.store.links import Link, get_link
from syncline.store.outbox import OutboxJob, get_job, list_jobs, open_jobs_for_links
from syncline.sync import SyncEngine
from syncline.sync.first_load import release_abandoned
from syncline.sync.links import created_copy
from syncline.sync.recovery import LOOKS
from tests.sync.harness import FakeClock, Outage, Systems, config, engine
from tests.sync.test_created_copy_by_content import CrashError, _crash_at, _named
from tests.sync.test_twin_copies import NO_KEYS, _between, _crash_with_twins_in_doubt

PATHS = {"initial load": "load.written", "per record": "deliver.written"}
POLICIES = ["propagate", "archive", "unlink", "flag"]


def _crash_with_a_create_in_doubt(
    store: Store, systems: Systems, clock: FakeClock, cfg: SynclineConfig, path: str
) -> tuple[str, OutboxJob]:
    """The CRM record ``Alpha`` and its create into the ERP, written there, in doubt: the
    process died right after the write (the initial load's batch, or an outbox job when the
    ERP held a record already), and its lease ran out. Returns the record's id and the job."""
    if path == "per record":
        systems.create("erp", name="Beta", vat_id="DE2")
        engine(store, systems, clock, config=cfg).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    crashing = engine(store, systems, clock, config=cfg, checkpoint=_crash_at(PATHS[path]))
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    assert len(_named(systems, "erp", "Alpha")) == 1, "written, never recorded"
    clock.advance(600)
    restarted = engine(store, systems, clock, config=cfg)
    with store.begin() as conn:  # as a restarted cycle does: a batch becomes its creates
        release_abandoned(conn, "parties", restarted.context, clock())
        (job,) = [j for j in list_jobs(conn, state="running") if j.op == "create"]
    return crm_id, job


def _after_the_planner_read_its_jobs(
    monkeypatch: pytest.MonkeyPatch, run: Callable[[], None]
) -> None:
    """Runs ``run`` once, right after a planner read the open jobs of links one of which is
    a create still running (in doubt), and before it goes on with them: what a recovering
    worker does meanwhile."""
    pending = [run]

    def reading(conn: Any, link_ids: Any) -> dict[int, list[OutboxJob]]:
        jobs = open_jobs_for_links(conn, link_ids)
        running = [j for js in jobs.values() for j in js if j.state == "running"]
        if pending and any(j.op == "create" for j in running):
            pending.pop()()
        return jobs

    monkeypatch.setattr(planner_module, "open_jobs_for_links", reading)


def _link(store: Store, link_id: int | None) -> Link:
    assert link_id is not None
    with store.begin() as conn:
        link = get_link(conn, link_id)
    assert link is not None
    return link


def _job_state(store: Store, job: OutboxJob) -> str:
    with store.begin() as conn:
        found = get_job(conn, job.id)
    assert found is not None
    return found.state


def _assert_policy_applied(
    systems: Systems, sync: SyncEngine, job: OutboxJob, copy: str, policy: str
) -> None:
    """The delete policy applied to the copy, as to any linked record deleted in the CRM."""
    assert job.link_id is not None
    link = sync.link(job.link_id)
    assert link is not None
    erp = systems.rows("erp")
    if policy == "propagate":
        assert link.state == "deleted" and copy not in erp, "the copy was left behind"
    elif policy == "archive":
        assert link.state == "deleted" and erp[copy].active is False, "the copy is not archived"
    elif policy == "unlink":
        assert (link.state, link.id_b) == ("unlinked", copy) and erp[copy].name == "Alpha"
    else:
        assert (link.state, link.id_b) == ("flagged", copy) and erp[copy].name == "Alpha"
        (item,) = sync.conflicts("parties")
        assert (item.field, item.value_a, item.value_b) == ("_deleted", "deleted", "exists")
    assert [r for r in _named(systems, "erp", "Alpha") if r != copy] == [], "created again"
    assert sync.dead_letters() == []


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("path", list(PATHS))
def test_a_create_a_worker_settled_meanwhile_is_not_settled_again_by_the_delete(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, policy: str
) -> None:
    """Capture read the delete and the create still in doubt; before the planner settles it,
    a recovering worker links the copy. The planner leaves the worker's settlement standing
    and applies the delete policy to that copy: none is left behind unreachable."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(delete=policy)
    crm_id, job = _crash_with_a_create_in_doubt(store, systems, clock, cfg, path)
    (copy,) = _named(systems, "erp", "Alpha")
    systems.delete("crm", crm_id)
    worker = engine(store, systems, clock, config=cfg, worker_id="worker-b")
    settled: list[int] = []
    _after_the_planner_read_its_jobs(
        monkeypatch, lambda: settled.append(worker.worker.recover(["parties"]).recovered)
    )
    sync = engine(store, systems, clock, config=cfg)
    sync.capture("parties")  # a cycle's capture, its recovery done before the lease ran out
    assert settled == [1], "the worker settled the create while the planner was at it"
    assert _job_state(store, job) == "done", "the worker's settlement was overwritten"
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    _assert_policy_applied(systems, sync, job, copy, policy)
    reasons = [e.reason for e in sync.audit(link_id=job.link_id)]
    assert "create" in reasons, "the create that landed is audited"
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize("policy", POLICIES)
def test_a_create_the_delete_settled_first_is_left_alone_by_a_worker_that_looked_meanwhile(
    store: Store, tmp_path: Path, policy: str
) -> None:
    """The other order: a recovering worker looked for the copy; before it records it, the
    planner settles the create on that copy and applies the delete policy. The worker then
    leaves the create alone instead of linking the copy again."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(delete=policy)
    crm_id, job = _crash_with_a_create_in_doubt(store, systems, clock, cfg, "per record")
    (copy,) = _named(systems, "erp", "Alpha")
    systems.delete("crm", crm_id)
    sync = engine(store, systems, clock, config=cfg)

    def planner_settles_it() -> None:
        sync.capture("parties")

    checkpoint = _between(planner_settles_it)
    worker = engine(store, systems, clock, config=cfg, worker_id="worker-b", checkpoint=checkpoint)
    assert worker.worker.recover(["parties"]).recovered == 0, "settled by the planner"
    assert _job_state(store, job) == "superseded"
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    _assert_policy_applied(systems, sync, job, copy, policy)
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_delete_never_takes_the_copy_a_worker_just_linked_to_an_identical_twin(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two identical twins' creates in doubt, both copies written; the second twin is deleted
    in the CRM. The planner looked for its copy and saw the lowest free; before it takes it,
    a recovering worker settles the first twin on that very copy. The planner looks again
    and takes the other copy, so the delete removes the second twin's copy, not the first's.

    On PostgreSQL the worker gets in between; SQLite's single writer makes it wait for the
    planner's commit (it then finds its copy taken and takes the other)."""
    systems, clock = Systems(tmp_path), FakeClock()
    twins = _crash_with_twins_in_doubt(store, systems, clock)
    with store.begin() as conn:
        jobs = [j for j in list_jobs(conn, state="running") if j.op == "create"]
    by_twin = {_link(store, j.link_id).id_a: j for j in jobs}
    systems.delete("crm", twins[1])
    settled_first = threading.Event()
    looks: list[str] = []

    def worker_checkpoint(step: str) -> None:
        if step == "recover.looked":
            looks.append(step)
            if len(looks) == 2:  # the first twin settled, the second one looked at
                settled_first.set()

    worker = engine(
        store, systems, clock, config=NO_KEYS, worker_id="worker-b", checkpoint=worker_checkpoint
    )
    recovered: list[int] = []
    recovering = threading.Thread(
        target=lambda: recovered.append(worker.worker.recover(["parties"]).recovered)
    )
    raced: list[bool] = []

    def looking(*args: Any, **kwargs: Any) -> NativeRecord | None:
        found = created_copy(*args, **kwargs)
        if not raced:
            recovering.start()
            wait = 30.0 if store.dialect == "postgresql" else 1.0
            raced.append(settled_first.wait(timeout=wait))
        return found

    def planner_checkpoint(step: str) -> None:
        if step == "capture.committed" and raced:  # the worker is done before the ERP is read
            recovering.join(timeout=60)

    monkeypatch.setattr(deletes_module, "created_copy", looking)
    sync = engine(store, systems, clock, config=NO_KEYS, checkpoint=planner_checkpoint)
    sync.capture("parties")
    assert not recovering.is_alive()
    assert raced == [store.dialect == "postgresql"], "in between on PostgreSQL, after on SQLite"
    assert recovered == [1], "the worker settled the first twin only"
    monkeypatch.undo()
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    first, second = _link(store, by_twin[twins[0]].link_id), _link(store, by_twin[twins[1]].link_id)
    assert _named(systems, "crm", "Alpha") == [twins[0]], "the first twin was deleted too"
    assert (first.state, second.state) == ("active", "deleted")
    assert _named(systems, "erp", "Alpha") == [first.id_b], "a copy deleted under the first twin"
    ids = [k.id_b for k in sync.links("parties") if k.id_b is not None]
    assert len(ids) == len(set(ids)), "a copy linked twice"
    assert sync.dead_letters() == []
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_delete_that_finds_its_copy_taken_on_every_look_stops_looking(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other creates took each copy the planner found before it could take it: it looks a
    few times, then counts the create as never landed (the delete cannot wait for a later
    pass as recovery does)."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(delete="propagate")
    crm_id, job = _crash_with_a_create_in_doubt(store, systems, clock, cfg, "per record")
    (copy,) = _named(systems, "erp", "Alpha")
    systems.delete("crm", crm_id)
    asked: list[str] = []

    def taken(*args: Any) -> bool:
        asked.append(args[-1])
        return False

    monkeypatch.setattr(deletes_module, "copy_is_free", taken)
    engine(store, systems, clock, config=cfg).capture("parties")
    assert asked == [copy] * LOOKS, "looked again, a bounded number of times"
    assert _job_state(store, job) == "superseded", "never repeated"
    link = _link(store, job.link_id)
    assert (link.state, link.id_a, link.id_b) == ("deleted", None, None)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_copy_written_after_the_delete_settled_its_create_gets_the_delete_policy(
    store: Store, tmp_path: Path, policy: str
) -> None:
    """A worker is about to write the create of ``Alpha`` (its link still active when it
    looked); right then the CRM record is deleted and a cycle settles the create as never
    delivered (nothing in the ERP yet). The worker's copy then lands on a deleted link: the
    policy reaches it, as in recovery, instead of the ERP keeping a copy of a record the CRM
    deleted."""
    systems = Systems(tmp_path)
    clock = FakeClock()
    cfg = config(delete=policy)
    systems.create("erp", name="Beta", vat_id="DE2")
    engine(store, systems, clock, config=cfg).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    erp = Outage(systems.conn["erp"])
    cycle = engine(store, systems, clock, config=cfg)
    deleted: list[str] = []

    def meanwhile() -> None:
        systems.delete("crm", crm_id)
        clock.advance(1)
        cycle.capture("parties")
        deleted.append(crm_id)

    erp.before_write = meanwhile
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    writing = engine(store, systems, clock, config=cfg, connectors=connectors)
    assert writing.capture("parties").stats.jobs == 1
    writing.deliver("parties")
    assert deleted == [crm_id], "the delete was captured while the create was being written"
    writing.deliver("parties")
    copies = _named(systems, "erp", "Alpha")
    if policy == "propagate":
        assert copies == [], "the ERP keeps a copy of a record deleted in the CRM"
        return
    (copy,) = copies
    (link,) = [link for link in writing.links("parties") if link.id_b == copy]
    if policy == "archive":
        assert systems.rows("erp")[copy].active is False, "the copy is not archived"
    elif policy == "unlink":
        assert link.state == "unlinked" and systems.rows("erp")[copy].active is True
    else:
        assert link.state == "flagged", "nobody is asked about the copy"
        (item,) = writing.conflicts("parties")
        assert (item.field, item.value_a, item.value_b) == ("_deleted", "deleted", "exists")
    assert writing.dead_letters() == []
