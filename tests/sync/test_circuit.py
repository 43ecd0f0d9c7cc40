"""The circuit (ARCHITECTURE.md §3.6): once open, a failing system gets one probe per cool-down.

The ERP writes two records per call here, so that a backlog spans several write batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from syncline.connectors.base import WriteRequest, WriteResult
from syncline.connectors.sql import SqlConnector
from syncline.store import Store
from syncline.store.circuits import CircuitState, load_circuits, save_circuit
from syncline.store.outbox import OutboxJob, list_jobs
from syncline.sync import CircuitPolicy, SyncEngine
from tests.sync.harness import FakeClock, Outage, Systems, config, engine
from tests.sync.test_created_copy_by_content import CrashError, _crash_at

BATCH = 2


class CountedOutage(Outage):
    """The ERP, counting every call that reaches it (failing ones too) and each write's size."""

    def __init__(self, inner: SqlConnector) -> None:
        super().__init__(inner)
        self.capabilities = replace(inner.capabilities, write_batch_size=BATCH)
        self.calls = 0
        self.write_sizes: list[int] = []

    def _call(self) -> None:
        self.calls += 1
        super()._call()

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        self.write_sizes.append(len(requests))
        return super().write(entity, requests)


def _backlog(
    store: Store, tmp_path: Path, new: int
) -> tuple[Systems, SyncEngine, FakeClock, CountedOutage]:
    """One synced party, then ``new`` parties created in the CRM and planned (not delivered)
    as creates in the ERP."""
    systems = Systems(tmp_path)
    erp = CountedOutage(systems.conn["erp"])
    clock = FakeClock()
    systems.create("crm", name="Alpha", vat_id="DE1")
    sync = engine(
        store,
        systems,
        clock,
        connectors={"crm": systems.conn["crm"], "erp": erp},
        circuit=CircuitPolicy(threshold=3, cooldown=30),
    )
    sync.run_cycle("parties")
    for n in range(new):
        systems.create("crm", name=f"New {n}", vat_id=f"DE{100 + n}")
    clock.advance(1)
    assert sync.capture("parties").stats.jobs == new
    erp.writes.clear()
    return systems, sync, clock, erp


def _opened(store: Store, tmp_path: Path) -> tuple[Systems, SyncEngine, FakeClock, CountedOutage]:
    """:func:`_backlog` of three write batches, and the ERP down: the delivery's three failed
    writes open its circuit."""
    systems, sync, clock, erp = _backlog(store, tmp_path, new=3 * BATCH)
    erp.down = True
    sync.deliver("parties")
    assert _circuit(store).state == "open"
    return systems, sync, clock, erp


def _erp_creates(store: Store) -> list[OutboxJob]:
    with store.begin() as conn:
        jobs = list_jobs(conn, map_name="parties", limit=1000)
    return [j for j in jobs if j.target_system == "erp" and j.op == "create"]


def _circuit(store: Store) -> CircuitState:
    with store.begin() as conn:
        return load_circuits(conn)["erp"]


def _converged(systems: Systems, erp: CountedOutage, records: int) -> None:
    """Both systems hold the same parties, each created in the ERP exactly once."""
    assert set(systems.by_vat("erp")) == set(systems.by_vat("crm"))
    assert len(systems.by_vat("erp")) == records + 1
    creates = [r.idempotency_key for r in erp.writes if r.op == "create"]
    assert len(creates) == len(set(creates)) == records


def test_after_the_cool_down_a_system_still_down_gets_one_probe_and_twice_the_wait(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp = _backlog(store, tmp_path, new=3 * BATCH)
    erp.down = True
    assert sync.deliver("parties").retried == 3 * BATCH  # three failed writes open it
    opened = _circuit(store)
    assert (opened.state, opened.failures) == ("open", 3)
    assert opened.retry_at == clock.now + timedelta(seconds=30)
    before = {j.id: j.attempts for j in _erp_creates(store)}
    assert set(before.values()) == {1}
    clock.advance(31)
    calls, writes = erp.calls, len(erp.write_sizes)
    report = sync.deliver("parties")
    assert erp.calls - calls == 1 and erp.write_sizes[writes:] == [1], "one probe, one record"
    assert (report.retried, report.delivered) == (1, 0)
    reopened = _circuit(store)
    assert (reopened.state, reopened.failures) == ("open", 4)
    assert reopened.retry_at == clock.now + timedelta(seconds=60), "doubled once"
    assert reopened.opened_at == opened.opened_at
    after = {j.id: j.attempts for j in _erp_creates(store)}
    (probe,) = [i for i in after if after[i] != before[i]]
    assert after[probe] == 2 and probe == min(after), "the oldest job was the probe"
    assert all(j.state == "pending" for j in _erp_creates(store))
    # due again and still down: the capture of the ERP fails first, a failed probe as well
    clock.advance(61)
    calls = erp.calls
    report_cycle = sync.run_cycle("parties")
    assert "erp" in report_cycle.capture.skipped and report_cycle.delivery.retried == 0
    assert erp.calls - calls == 1 and len(erp.write_sizes) == writes + 1
    again = _circuit(store)
    assert (again.failures, again.retry_at) == (5, clock.now + timedelta(seconds=120))
    assert {j.id: j.attempts for j in _erp_creates(store)} == after
    assert systems.by_vat("erp").keys() == {"DE1"}


def test_after_the_cool_down_a_system_back_takes_the_probe_and_then_its_whole_backlog(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp = _opened(store, tmp_path)
    erp.down = False
    for n in range(3):  # planned while the circuit is open: they wait with the others
        systems.create("crm", name=f"Later {n}", vat_id=f"DE{200 + n}")
    clock.advance(10)
    report = sync.run_cycle("parties")
    assert report.capture.skipped == ["erp"] and report.delivery.delivered == 0
    assert len(_erp_creates(store)) == 9
    writes = len(erp.write_sizes)
    clock.advance(21)  # delivery alone: a cycle's read of the ERP would be the probe
    assert sync.deliver("parties").delivered == 9
    assert erp.write_sizes[writes:] == [1, 2, 2, 2, 2], "the probe alone, then full batches"
    closed = _circuit(store)
    assert (closed.state, closed.failures, closed.retry_at) == ("closed", 0, None)
    assert {j.state for j in _erp_creates(store)} == {"done"}
    _converged(systems, erp, records=9)
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_circuit_opening_mid_claim_sends_the_claims_other_batches_back_untried(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp = _backlog(store, tmp_path, new=7 * BATCH)
    erp.before_write = lambda: setattr(erp, "down", True)  # after the first batch lands
    writes = len(erp.write_sizes)
    report = sync.deliver("parties")
    assert erp.write_sizes[writes:] == [BATCH] * 4, "one batch landed, three failed, no more"
    assert (report.delivered, report.retried, report.waiting) == (2, 6, 6)
    circuit = _circuit(store)
    assert (circuit.state, circuit.failures) == ("open", 3)
    assert circuit.retry_at == clock.now + timedelta(seconds=30)
    jobs = _erp_creates(store)
    assert sorted(j.attempts for j in jobs if j.state == "pending") == [0] * 6 + [1] * 6
    untried = [j for j in jobs if j.state == "pending" and j.attempts == 0]
    assert {(j.state, j.error_kind, j.next_attempt_at) for j in untried} == {
        ("pending", "circuit_open", circuit.retry_at)
    }
    assert all(j.last_error is not None and "circuit of erp" in j.last_error for j in untried)
    # back after the cool-down: the probe, then everything else, each record once
    erp.down = False
    clock.advance(31)
    report = sync.deliver("parties")
    assert report.delivered == 12 and erp.write_sizes[writes + 4] == 1
    assert _circuit(store).state == "closed"
    _converged(systems, erp, records=14)


def test_a_lookup_into_a_system_with_an_open_circuit_does_not_stretch_its_cool_down(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, clock, erp = _opened(store, tmp_path)
    opened = _circuit(store)
    systems.create("crm", name="Matched by VAT", vat_id="DE300")
    clock.advance(10)
    report = sync.run_cycle("parties")
    # the CRM's new record is looked up in the ERP before anything is planned: that fails
    assert report.capture.skipped == ["crm", "erp"] and report.capture.errors
    still = _circuit(store)
    assert (still.state, still.failures, still.retry_at) == (
        "open",
        opened.failures,
        opened.retry_at,
    )
    erp.down = False
    clock.advance(21)
    sync.run_cycle("parties")
    assert sync.run_cycle("parties").planned_writes == 0
    _converged(systems, erp, records=3 * BATCH + 1)


def test_a_capture_that_reads_a_system_back_after_the_cool_down_closes_its_circuit(
    store: Store, tmp_path: Path
) -> None:
    """The cycle's read of the ERP, once due, is the probe: it closes the circuit, and the
    backlog goes out in full batches without a one-record probe. (Before, only a write closed
    it: with nothing queued for the ERP it showed "open" for as long as nobody wrote there.)"""
    systems, sync, clock, erp = _opened(store, tmp_path)
    erp.down = False
    clock.advance(10)  # not due yet: the cycle leaves the ERP alone, its circuit stays open
    calls = erp.calls
    assert "erp" in sync.run_cycle("parties").capture.skipped and erp.calls == calls
    assert _circuit(store).state == "open"
    clock.advance(21)
    report = sync.run_cycle("parties")
    assert report.capture.skipped == [] and report.delivery.delivered == 3 * BATCH
    closed = _circuit(store)
    assert (closed.state, closed.failures, closed.retry_at) == ("closed", 0, None)
    assert erp.write_sizes[-3:] == [BATCH] * 3, "no probe needed: full batches at once"
    _converged(systems, erp, records=3 * BATCH)


def test_recovery_asks_a_system_down_once_a_pass_and_one_with_an_open_circuit_not_at_all(
    store: Store, tmp_path: Path
) -> None:
    """Creates left in doubt by a crash are looked up in the ERP before they are repeated.
    While the ERP is down, one failed look-up ends the pass (not one timeout per job); while
    its circuit is open, recovery leaves it alone. Once it is back, all is settled once."""
    systems, _, clock, erp = _backlog(store, tmp_path, new=2 * BATCH)
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    crashing = engine(store, systems, clock, connectors=connectors,
                      checkpoint=_crash_at("deliver.written"))  # fmt: skip
    with pytest.raises(CrashError):
        crashing.deliver("parties")  # one batch of its claim written, then the process died
    clock.advance(600)  # past any lease: those creates are in doubt
    sync = engine(store, systems, clock, connectors=connectors,
                  circuit=CircuitPolicy(threshold=3, cooldown=30))  # fmt: skip
    erp.down = True
    for failures in (1, 2, 3):
        calls = erp.calls
        report = sync.worker.recover(["parties"])
        assert erp.calls - calls == 1 and len(report.errors) == 1
        assert _circuit(store).failures == failures
    assert _circuit(store).state == "open"
    calls = erp.calls
    assert sync.worker.recover(["parties"]).errors == [] and erp.calls == calls
    states = [j.state for j in _erp_creates(store)]
    assert states == ["running"] * 2 * BATCH, "all four claimed by the crashed worker, in doubt"
    erp.down = False
    clock.advance(31)
    sync.run_cycle("parties")
    _converged(systems, erp, records=2 * BATCH)
    assert {j.state for j in _erp_creates(store)} == {"done"}


def test_an_initial_load_into_a_system_with_an_open_circuit_waits_for_it_then_batches(
    store: Store, tmp_path: Path
) -> None:
    """The ERP is empty but its circuit is open: the load neither asks it whether it is empty
    nor writes into it, and the CRM is not read either (its records would each become a job);
    once the circuit is due, the cycle loads them in batches."""
    systems = Systems(tmp_path)
    erp = CountedOutage(systems.conn["erp"])
    clock = FakeClock()
    for n in range(5):
        systems.create("crm", name=f"Party {n}", vat_id=f"DE{n}")
    with store.begin() as conn:
        save_circuit(
            conn, CircuitState("erp", "open", 3, clock.now, clock.now + timedelta(seconds=30))
        )
    sync = engine(store, systems, clock, connectors={"crm": systems.conn["crm"], "erp": erp})
    report = sync.run_cycle("parties")
    assert sorted(report.capture.skipped) == ["crm", "erp"] and report.capture.errors == []
    assert (erp.calls, report.capture.loaded, _erp_creates(store)) == (0, 0, [])
    assert report.capture.stats.records == 0 and _circuit(store).failures == 3
    clock.advance(31)
    report = sync.run_cycle("parties")
    assert report.capture.loaded == 5 and erp.write_sizes == [BATCH, BATCH, 1]
    assert _circuit(store).state == "closed"
    assert set(systems.by_vat("erp")) == {f"DE{n}" for n in range(5)}


def test_an_initial_load_into_a_system_that_is_down_waits_for_it_then_batches(
    store: Store, tmp_path: Path
) -> None:
    """The first cycle cannot ask the ERP whether it is empty: nothing is read, the failure
    counts against the ERP's circuit, and the load goes in batches once the ERP answers.
    Before, a map without keys (no look-up into the ERP to fail) planned each CRM record as
    a job of its own."""
    systems = Systems(tmp_path)
    erp = CountedOutage(systems.conn["erp"])
    clock = FakeClock()
    for n in range(5):
        systems.create("crm", name=f"Party {n}", vat_id=f"DE{n}")
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    sync = engine(store, systems, clock, connectors=connectors, config=config(match={"keys": []}))
    erp.down = True
    report = sync.run_cycle("parties")
    assert sorted(report.capture.skipped) == ["crm", "erp"] and report.capture.errors
    assert (report.capture.stats.records, _erp_creates(store)) == (0, [])
    assert _circuit(store).failures == 1
    erp.down = False
    clock.advance(60)
    report = sync.run_cycle("parties")
    assert report.capture.loaded == 5 and erp.write_sizes == [BATCH, BATCH, 1]
    assert _circuit(store).state == "closed"
    assert set(systems.by_vat("erp")) == {f"DE{n}" for n in range(5)}
