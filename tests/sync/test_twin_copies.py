"""Identical twins whose creates a crash left in doubt (ARCHITECTURE.md §3.10).

Without keys that can tell them apart, recovery finds a create's copy by content. Two source
records with the same values have copies with the same values: each in-doubt create settles on
a copy of its own (the lowest free id first), and only a copy that never landed is created
again. Taking "several records qualify" for "none landed", recovery repeated every create and
the target held each twin twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from syncline.connectors.base import Connector, WriteRequest, WriteResult
from syncline.store import Store
from syncline.store.links import set_native_ids
from syncline.store.outbox import OutboxJob, list_jobs
from syncline.store.schema import outbox
from syncline.sync import SyncEngine
from syncline.sync.context import Checkpoint
from syncline.sync.first_load import release_abandoned
from syncline.sync.recovery import copy_is_free, still_in_doubt
from tests.sync.harness import FakeClock, Outage, Systems, config, engine
from tests.sync.test_created_copy_by_content import (
    CrashError,
    WithoutLookup,
    _crash_at,
    _named,
)

NO_KEYS = config(match={"keys": []})
SITE = "https://alpha.example"
PATHS = {"initial load": "load.written", "per record": "deliver.written"}


def _twins(systems: Systems, count: int) -> list[str]:
    """``count`` CRM records with the same values (no key value)."""
    return [systems.create("crm", name="Alpha", website=SITE) for _ in range(count)]


def _before_the_twins(store: Store, systems: Systems, clock: FakeClock, path: str) -> None:
    """On the per-record path the ERP holds a synced record: the creates are outbox jobs;
    on the initial load's path the ERP is empty: the twins go in a batch."""
    if path == "per record":
        systems.create("erp", name="Beta", vat_id="DE2")
        engine(store, systems, clock, config=NO_KEYS).run_cycle("parties")


def _assert_each_twin_has_its_own_copy(
    systems: Systems, sync: SyncEngine, twins: list[str]
) -> None:
    """As many ERP copies as twins, each linked to exactly one twin; edits flow to the right
    copy; nothing is copied back, nothing is left to do."""
    copies = _named(systems, "erp", "Alpha")
    assert len(copies) == len(twins), f"{len(copies)} copies of {len(twins)} twins"
    linked = {k.id_a: k for k in sync.links("parties") if k.id_a in twins}
    assert sorted(linked) == sorted(twins)
    assert {k.state for k in linked.values()} == {"active"}
    assert sorted(str(k.id_b) for k in linked.values()) == sorted(copies), "a copy taken twice"
    systems.edit("crm", twins[0], website="https://edited.example")
    sync.run_cycle("parties")
    erp = systems.rows("erp")
    sites = {erp[str(k.id_b)].website for k in linked.values()}
    assert erp[str(linked[twins[0]].id_b)].website == "https://edited.example"
    assert sites == ({"https://edited.example", SITE} if len(twins) > 1 else {SITE})
    assert sorted(_named(systems, "erp", "Alpha")) == sorted(copies), "created twice"
    assert sorted(_named(systems, "crm", "Alpha")) == sorted(twins), "copied back"
    assert sync.dead_letters() == []
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("path", list(PATHS))
def test_twins_in_doubt_settle_on_copies_of_their_own(
    store: Store, tmp_path: Path, path: str, count: int
) -> None:
    """Every twin's copy landed before the crash: none is created again."""
    systems, clock = Systems(tmp_path), FakeClock()
    _before_the_twins(store, systems, clock, path)
    twins = _twins(systems, count)
    crashing = engine(store, systems, clock, config=NO_KEYS, checkpoint=_crash_at(PATHS[path]))
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    assert len(_named(systems, "erp", "Alpha")) == count, "written, never recorded"
    clock.advance(600)  # past any lease: the creates are in doubt
    sync = engine(store, systems, clock, config=NO_KEYS)
    sync.run_cycle("parties")
    _assert_each_twin_has_its_own_copy(systems, sync, twins)


@pytest.mark.parametrize(
    ("keys", "erp_lookup"),
    [(["vat_id"], True), ([], False)],
    ids=["no key value", "no keys, no lookup"],
)
def test_twins_without_key_values_or_lookup_settle_on_copies_of_their_own(
    store: Store, tmp_path: Path, keys: list[str], erp_lookup: bool
) -> None:
    """As without keys: keys without values cannot tell; an ERP without lookup is scanned."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(match={"keys": keys})
    connectors: dict[str, Connector] = dict(systems.conn)
    if not erp_lookup:
        connectors["erp"] = WithoutLookup(systems.conn["erp"])
    twins = _twins(systems, 2)
    options: dict[str, Any] = {"config": cfg, "connectors": connectors}
    crashing = engine(store, systems, clock, checkpoint=_crash_at("load.written"), **options)
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    clock.advance(600)
    sync = engine(store, systems, clock, **options)
    sync.run_cycle("parties")
    _assert_each_twin_has_its_own_copy(systems, sync, twins)


class DiesWriting(Outage):
    """Once armed with ``landing``, the next write reaches the system for its first
    ``landing`` requests only, and the process dies in the middle of it."""

    landing: int | None = None

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        if self.landing is None:
            return super().write(entity, requests)
        landing, self.landing = self.landing, None
        if landing:
            self.inner.write(entity, requests[:landing])
        raise CrashError("write")


@pytest.mark.parametrize(("count", "landed"), [(2, 1), (3, 1), (3, 2), (2, 0)])
@pytest.mark.parametrize("path", list(PATHS))
def test_twins_of_which_only_some_landed_get_the_missing_copies_created(
    store: Store, tmp_path: Path, path: str, count: int, landed: int
) -> None:
    """The landed copies are taken, one per twin; the copies that never landed are created
    again, exactly once each."""
    systems, clock = Systems(tmp_path), FakeClock()
    _before_the_twins(store, systems, clock, path)
    twins = _twins(systems, count)
    erp = DiesWriting(systems.conn["erp"])
    erp.landing = landed
    connectors: dict[str, Connector] = {**systems.conn, "erp": erp}
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=NO_KEYS, connectors=connectors).run_cycle("parties")
    assert len(_named(systems, "erp", "Alpha")) == landed
    clock.advance(600)
    sync = engine(store, systems, clock, config=NO_KEYS)
    sync.run_cycle("parties")
    _assert_each_twin_has_its_own_copy(systems, sync, twins)


def _between(run: Callable[[], None]) -> Checkpoint:
    """A checkpoint that runs ``run`` once, after a recovering worker looked at the target
    and before it settles what it saw: what another worker does in between."""
    pending = [run]

    def checkpoint(step: str) -> None:
        if step == "recover.looked" and pending:
            pending.pop()()

    return checkpoint


def _crash_with_twins_in_doubt(store: Store, systems: Systems, clock: FakeClock) -> list[str]:
    """Two twins loaded in a batch, both copies written, the process dead; past the lease."""
    twins = _twins(systems, 2)
    crashing = engine(store, systems, clock, config=NO_KEYS, checkpoint=_crash_at("load.written"))
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    clock.advance(600)
    restarted = engine(store, systems, clock, config=NO_KEYS)
    with store.begin() as conn:  # as a restarted cycle does: one in-doubt create per twin
        release_abandoned(conn, "parties", restarted.context, clock())
    return twins


def _in_doubt_creates(store: Store) -> list[OutboxJob]:
    with store.begin() as conn:
        jobs = list_jobs(conn, state="running", map_name="parties")
    return [j for j in jobs if j.op == "create"]


def _set_claimed_by(store: Store, job: OutboxJob, worker: str | None) -> None:
    with store.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id == job.id).values(claimed_by=worker))


def _a_recovers_while(
    store: Store, systems: Systems, clock: FakeClock, meanwhile: Callable[[], None]
) -> int:
    """Worker A's recovery, ``meanwhile`` run after A looked for a copy and before it settles;
    returns how many creates A settled."""
    checkpoint = _between(meanwhile)
    first = engine(store, systems, clock, config=NO_KEYS, worker_id="a", checkpoint=checkpoint)
    return first.worker.recover(["parties"]).recovered


def _settled(store: Store, systems: Systems, clock: FakeClock, twins: list[str]) -> None:
    """After one more cycle no create is in doubt and each twin has its own copy."""
    sync = engine(store, systems, clock, config=NO_KEYS)
    sync.run_cycle("parties")
    assert _in_doubt_creates(store) == []
    _assert_each_twin_has_its_own_copy(systems, sync, twins)


def test_a_twin_settled_by_another_worker_meanwhile_is_not_settled_again(
    store: Store, tmp_path: Path
) -> None:
    """Worker A looked for the first twin's copy and saw both copies free; before it records
    one, worker B settles both twins. A then neither links a copy a second time nor repeats
    a create B has settled."""
    systems, clock = Systems(tmp_path), FakeClock()
    twins = _crash_with_twins_in_doubt(store, systems, clock)
    other = engine(store, systems, clock, config=NO_KEYS, worker_id="worker-b")
    ran: list[int] = []

    def b_settles_both_twins() -> None:
        ran.append(other.worker.recover(["parties"]).recovered)

    assert _a_recovers_while(store, systems, clock, b_settles_both_twins) == 0, "not again"
    assert ran == [2] and _in_doubt_creates(store) == []
    _settled(store, systems, clock, twins)


def test_two_workers_settling_two_twins_at_once_never_take_the_same_copy(
    store: Store, tmp_path: Path
) -> None:
    """Worker A looked for the first twin's copy and saw both copies free; before it records
    the lowest, worker B settles the second twin on that very copy. A sees it taken, looks
    again and takes the other: a copy is never linked to two twins, none left orphaned."""
    systems, clock = Systems(tmp_path), FakeClock()
    twins = _crash_with_twins_in_doubt(store, systems, clock)
    first_job, _ = _in_doubt_creates(store)
    other = engine(store, systems, clock, config=NO_KEYS, worker_id="worker-b")

    ran: list[int] = []

    def b_settles_the_second_twin() -> None:
        _set_claimed_by(store, first_job, "worker-b")  # B leaves the first twin to A
        ran.append(other.worker.recover(["parties"]).recovered)
        _set_claimed_by(store, first_job, first_job.claimed_by)

    assert _a_recovers_while(store, systems, clock, b_settles_the_second_twin) == 1
    assert ran == [1] and _in_doubt_creates(store) == []
    _settled(store, systems, clock, twins)


def test_an_identical_record_a_person_made_is_taken_rather_than_a_twin_created_twice(
    store: Store, tmp_path: Path
) -> None:
    """One twin's copy landed; meanwhile a person made an identical record in the ERP. Either
    may be the missing copy (the documented limit): it is linked, nothing is created."""
    systems, clock = Systems(tmp_path), FakeClock()
    twins = _twins(systems, 2)
    erp = DiesWriting(systems.conn["erp"])
    erp.landing = 1
    connectors: dict[str, Connector] = {**systems.conn, "erp": erp}
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=NO_KEYS, connectors=connectors).run_cycle("parties")
    systems.create("erp", name="Alpha", website=SITE)  # a person's, identical
    clock.advance(600)
    _settled(store, systems, clock, twins)


def test_a_copy_being_taken_is_seen_taken_by_a_worker_that_waited_for_it(
    store: Store, tmp_path: Path
) -> None:
    """Two workers settle the two twins at the very same time and both found the same copy:
    the second waits for the first to commit (PostgreSQL: a lock on the copy; SQLite: its
    single writer) and then sees the copy taken."""
    systems, clock = Systems(tmp_path), FakeClock()
    _crash_with_twins_in_doubt(store, systems, clock)
    first_job, second_job = _in_doubt_creates(store)
    ctx = engine(store, systems, clock, config=NO_KEYS).context("parties")
    copy = min(_named(systems, "erp", "Alpha"), key=int)
    answers: list[bool] = []

    def second_worker() -> None:
        with store.begin() as conn:
            assert still_in_doubt(conn, second_job, clock())
            answers.append(copy_is_free(conn, ctx, "b", second_job, copy))

    with store.begin() as conn:
        assert still_in_doubt(conn, first_job, clock())
        assert copy_is_free(conn, ctx, "b", first_job, copy)
        assert first_job.link_id is not None
        set_native_ids(conn, "b", [(first_job.link_id, copy)])
        waiting = threading.Thread(target=second_worker)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the second worker did not wait for the first"
    waiting.join(timeout=30)
    assert answers == [False], "the copy was taken twice"
