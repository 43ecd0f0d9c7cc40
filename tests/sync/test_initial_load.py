"""The initial load: the first cycle of a map into an empty system creates in batches.

Each page of records is one outbox job (op ``create_batch``), one write, and one transaction
recording links, snapshots and a ``create`` audit event per record; a crash anywhere in it,
a rejected record or a target that is down loses nothing and creates nothing twice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from syncline.connectors.base import TransientError
from syncline.connectors.sql import SqlConnector
from syncline.store import Store
from syncline.store.outbox import OutboxJob, in_doubt
from syncline.store.schema import outbox
from syncline.sync import SyncEngine
from syncline.sync.first_load import BATCH_OP, expand_in_doubt
from tests.sync.harness import FakeClock, Outage, Systems, config, engine

NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta"]


class CrashError(Exception):
    """The process died here."""


def _crm_parties(systems: Systems) -> dict[str, str]:
    """Seven CRM parties; their ids by VAT id."""
    return {
        f"DE{n}": systems.create("crm", name=name, vat_id=f"DE{n}", emails=[f"{name}@x.de"])
        for n, name in enumerate(NAMES)
    }


def _jobs(store: Store) -> list[tuple[str, str]]:
    with store.begin() as conn:
        rows = conn.execute(select(outbox.c.op, outbox.c.state).order_by(outbox.c.id))
        return [(str(op), str(state)) for op, state in rows]


def _assert_converged(systems: Systems, crm_ids: dict[str, str], sync: object) -> None:
    """Every CRM party has exactly one ERP copy, linked, and a quiet cycle writes nothing."""
    erp = systems.by_vat("erp")
    assert sorted(erp) == sorted(crm_ids), "each party once in the ERP"
    assert len(systems.rows("erp")) == len(crm_ids)
    links = {k.id_a: k for k in sync.links("parties")}  # type: ignore[attr-defined]
    for vat, crm_id in crm_ids.items():
        assert links[crm_id].id_b == erp[vat][0] and links[crm_id].state == "active"
    assert sync.run_cycle("parties").planned_writes == 0  # type: ignore[attr-defined]


def test_an_empty_system_is_loaded_in_batches_and_then_synced_as_usual(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    sync = engine(store, systems, clock, page_size=3)
    report = sync.run_cycle("parties")
    assert (report.capture.loaded, report.delivery.delivered) == (7, 7)
    assert _jobs(store) == [(BATCH_OP, "done")] * 3, "one job per page of three"
    erp = systems.by_vat("erp")
    assert erp["DE4"][1].name == "Epsilon" and erp["DE4"][1].emails == ["Epsilon@x.de"]
    links = sync.links("parties")
    assert {k.origin for k in links} == {"created"}
    alpha = next(k for k in links if k.id_a == crm_ids["DE0"])
    events = [(e.reason, e.source_system, e.target_system) for e in sync.audit(link_id=alpha.id)]
    assert events == [("create", "crm", "erp")]
    echo = sync.run_cycle("parties")  # the copies come back through the ERP's cursor
    assert (echo.planned_writes, echo.delivery.delivered) == (0, 0)
    systems.edit("crm", crm_ids["DE0"], name="Alpha GmbH")
    assert sync.run_cycle("parties").delivery.delivered == 1
    assert systems.by_vat("erp")["DE0"][1].name == "Alpha GmbH"
    assert [op for op, _ in _jobs(store)] == [BATCH_OP] * 3 + ["update"]
    _assert_converged(systems, crm_ids, sync)


@pytest.mark.parametrize("step", ["load.write", "load.written", "load.recorded"])
@pytest.mark.parametrize("batch", [1, 2])
def test_a_crash_anywhere_in_a_batch_loses_nothing_and_creates_nothing_twice(
    store: Store, tmp_path: Path, step: str, batch: int
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    seen = {"n": 0}

    def crash(name: str) -> None:
        if name == step:
            seen["n"] += 1
            if seen["n"] == batch:
                raise CrashError(name)

    with pytest.raises(CrashError):
        engine(store, systems, clock, page_size=3, checkpoint=crash).run_cycle("parties")
    clock.advance(600)  # past any lease: what was running is in doubt
    restarted = engine(store, systems, clock, page_size=3)
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    assert restarted.dead_letters() == []
    _assert_converged(systems, crm_ids, restarted)
    assert ("running") not in {state for _, state in _jobs(store)}


def test_a_record_the_target_rejects_waits_as_a_dead_letter_and_the_rest_lands(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    old = systems.create("erp", name="Old Gamma", vat_id="DE2")
    systems.delete("erp", old)  # soft-deleted: the ERP holds no live party, but keeps the VAT id
    sync = engine(store, systems, clock, page_size=3)
    report = sync.run_cycle("parties")
    assert report.capture.loaded == 6
    (dead,) = sync.dead_letters()
    assert dead.op == "create" and "UNIQUE constraint failed: parties.vat_id" in (
        dead.last_error or ""
    )
    assert dead.payload["values"]["name"] == "Gamma", "the rejected record waits, whole"
    assert sorted(systems.by_vat("erp")) == sorted(v for v in crm_ids if v != "DE2")


def test_a_target_down_during_the_load_catches_up_when_it_is_back(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    erp = Outage(systems.conn["erp"])
    erp.write_failures.append(TransientError("connection reset", system="erp"))
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    sync = engine(store, systems, clock, page_size=3, connectors=connectors)
    report = sync.run_cycle("parties")
    assert report.capture.errors and "connection reset" in report.capture.errors[0]
    assert report.capture.loaded == 0, "the batch did not land; its records are in doubt"
    for _ in range(3):
        clock.advance(600)  # the circuit's cool-down and the batch's lease
        sync.run_cycle("parties")
    _assert_converged(systems, crm_ids, sync)


def test_a_system_holding_records_is_matched_by_key_not_loaded(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    erp_beta = systems.create("erp", name="Beta AS", vat_id="DE1")
    sync = engine(store, systems, clock, page_size=3)
    report = sync.run_cycle("parties")
    assert report.capture.loaded == 0 and BATCH_OP not in {op for op, _ in _jobs(store)}
    beta = next(k for k in sync.links("parties") if k.id_a == crm_ids["DE1"])
    assert (beta.origin, beta.id_b) == ("key", erp_beta)
    _assert_converged(systems, crm_ids, sync)


def test_a_dry_run_of_the_first_cycle_writes_nothing(store: Store, tmp_path: Path) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    _crm_parties(systems)
    sync = engine(store, systems, clock, page_size=3)
    plan = sync.plan("parties")
    assert [job.op for job in plan.jobs] == ["create"] * 7
    assert systems.rows("erp") == {} and _jobs(store) == [] and sync.links("parties") == []


def _load_converged(systems: Systems, sync: SyncEngine, source: str, vats: list[str]) -> None:
    """Each of ``vats`` once in both systems, linked once; nothing dead, running or pending."""
    target = "erp" if source == "crm" else "crm"
    assert sorted(systems.by_vat(target)) == sorted(vats) == sorted(systems.by_vat(source))
    assert len(systems.rows(target)) == len(vats), "no party twice"
    links = sync.links("parties", "active")
    pairs = {(k.id_a, k.id_b) for k in links}
    crm, erp = systems.by_vat("crm"), systems.by_vat("erp")
    assert len(links) == len(vats) and pairs == {(crm[v][0], erp[v][0]) for v in vats}
    assert sync.dead_letters() == []
    assert not {"running", "pending"} & {state for _, state in _jobs(store_of(sync))}


def store_of(sync: SyncEngine) -> Store:
    return sync.store


def test_a_batch_the_target_cannot_take_is_delivered_once_it_is_back_without_a_restart(
    store: Store, tmp_path: Path
) -> None:
    """The worker that planned a batch is the one that finds it in doubt (no restart, and no
    periodic scan to plan its records again)."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    erp = Outage(systems.conn["erp"])
    erp.write_failures.append(TransientError("connection reset", system="erp"))
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    sync = engine(store, systems, clock, page_size=3, connectors=connectors,
                  config=config(scan_every=0))  # fmt: skip
    sync.run_cycle("parties")
    for _ in range(3):
        clock.advance(600)
        sync.run_cycle("parties")
    _load_converged(systems, sync, "crm", sorted(crm_ids))


@pytest.mark.parametrize("step", ["load.write", "load.written"])
@pytest.mark.parametrize("source", ["crm", "erp"])
def test_a_restart_within_the_lease_neither_fails_nor_creates_twice(
    store: Store, tmp_path: Path, step: str, source: str
) -> None:
    """As on PostgreSQL (a lease of 300 s): the restarted engine syncs on while the crashed
    batch is not in doubt yet; its copies, if written, come back unlinked meanwhile."""
    systems, clock = Systems(tmp_path), FakeClock()
    vats = [f"DE{n}" for n in range(4)]
    for n, vat in enumerate(vats):
        systems.create(source, name=NAMES[n], vat_id=vat)

    def crash(name: str) -> None:
        if name == step:
            raise CrashError(name)

    with pytest.raises(CrashError):
        engine(store, systems, clock, page_size=3, lease_seconds=300, checkpoint=crash).run_cycle(
            "parties"
        )
    clock.advance(10)  # restarted at once: the batch's lease runs on
    restarted = engine(store, systems, clock, page_size=3, lease_seconds=300)
    restarted.run_cycle("parties")
    for _ in range(3):
        clock.advance(600)
        restarted.run_cycle("parties")
    _load_converged(systems, restarted, source, vats)


def test_recovery_leaves_alone_a_batch_closed_after_it_was_read_as_in_doubt(
    store: Store, tmp_path: Path
) -> None:
    """On PostgreSQL two transactions interleave: recovery reads a batch as in doubt, its
    worker closes it, then recovery would expand it. The takeover must still hold the claim."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    seen: list[OutboxJob] = []

    def read_in_doubt(name: str) -> None:
        if name == "load.written" and not seen:
            with store.begin() as conn:
                seen.extend(in_doubt(conn, clock() + timedelta(hours=1), "another-worker"))

    sync = engine(store, systems, clock, page_size=10, checkpoint=read_in_doubt)
    sync.run_cycle("parties")
    assert [j.op for j in seen] == [BATCH_OP]
    with store.begin() as conn:
        assert expand_in_doubt(conn, seen, sync.context, clock()) == 0
    assert _jobs(store) == [(BATCH_OP, "done")]
    _load_converged(systems, sync, "crm", sorted(crm_ids))


@pytest.mark.parametrize("step", ["load.write", "load.written"])
def test_a_batch_whose_worker_overran_its_lease_is_settled_by_recovery_alone(
    store: Store, tmp_path: Path, step: str
) -> None:
    """Another worker recovers a batch whose lease ran out while its worker was still writing.
    The slow worker then finds the claim gone: copies recovery found are recovery's; those it
    found missing (not written yet) the slow worker records on recovery's links, in place of
    the creates waiting to be tried again."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    other = engine(store, systems, clock, lease_seconds=300)

    def overrun(name: str) -> None:
        if name == step:
            clock.advance(600)
            other.worker.recover(["parties"])

    slow = engine(store, systems, clock, page_size=10, lease_seconds=300, checkpoint=overrun)
    slow.run_cycle("parties")
    for _ in range(2):
        clock.advance(600)
        other.run_cycle("parties")
    _load_converged(systems, other, "crm", sorted(crm_ids))


@pytest.mark.parametrize("step", ["load.write", "load.written"])
@pytest.mark.parametrize("edit", ["delete", "new_vat"])
def test_an_edit_before_a_restart_within_the_lease_reaches_the_target_once(
    store: Store, tmp_path: Path, step: str, edit: str
) -> None:
    """A user deletes a record of the crashed batch, or changes its VAT id, before a restart
    within the lease (PostgreSQL): no copy of a deleted record, no second copy of a changed one
    (no periodic scan to catch up later)."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)

    def crash(name: str) -> None:
        if name == step:
            raise CrashError(name)

    cfg = config(scan_every=0)
    with pytest.raises(CrashError):
        engine(store, systems, clock, page_size=10, lease_seconds=300, checkpoint=crash,
               config=cfg).run_cycle("parties")  # fmt: skip
    vats = sorted(crm_ids)
    if edit == "delete":
        systems.delete("crm", crm_ids["DE0"])
        vats.remove("DE0")
    else:
        systems.edit("crm", crm_ids["DE0"], vat_id="DE99")
        vats = sorted([*vats[1:], "DE99"])
    clock.advance(10)  # restarted at once: the batch's lease runs on
    restarted = engine(store, systems, clock, page_size=10, lease_seconds=300, config=cfg)
    for _ in range(3):
        restarted.run_cycle("parties")
        clock.advance(600)
    _load_converged(systems, restarted, "crm", vats)


def test_a_record_the_target_rejects_is_not_lost_to_a_crash_right_after_its_batch(
    store: Store, tmp_path: Path
) -> None:
    """The batch's close and the plan for its rejected records are one transaction: a crash
    between them would leave the record behind the cursor, planned nowhere."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    systems.delete("erp", systems.create("erp", name="Old Gamma", vat_id="DE2"))

    def crash(name: str) -> None:
        if name == "load.recorded":
            raise CrashError(name)

    cfg = config(scan_every=0)
    with pytest.raises(CrashError):
        engine(store, systems, clock, page_size=3, checkpoint=crash, config=cfg).run_cycle(
            "parties"
        )
    clock.advance(600)
    restarted = engine(store, systems, clock, page_size=3, config=cfg)
    restarted.run_cycle("parties")
    (dead,) = restarted.dead_letters()
    assert dead.payload["values"]["name"] == "Gamma" and "UNIQUE" in (dead.last_error or "")
    assert sorted(systems.by_vat("erp")) == sorted(v for v in crm_ids if v != "DE2")


def test_a_page_larger_than_the_target_takes_at_once_is_split_into_batches(
    store: Store, tmp_path: Path
) -> None:
    """A batch is never larger than the target's write batch size (an API taking 100 records
    per call gets 100)."""
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _crm_parties(systems)
    erp = systems.conn["erp"]
    small = SqlConnector("erp", erp.settings.model_copy(update={"write_batch_size": 2}))
    sync = engine(store, systems, clock, connectors={"crm": systems.conn["crm"], "erp": small})
    assert sync.run_cycle("parties").capture.loaded == 7
    assert _jobs(store) == [(BATCH_OP, "done")] * 4, "one page of seven, batches of two"
    _assert_converged(systems, crm_ids, sync)
