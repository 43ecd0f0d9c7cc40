"""The initial load: the first cycle of a map into an empty system creates in batches.

Each page of records is one outbox job (op ``create_batch``), one write, and one transaction
recording links, snapshots and a ``create`` audit event per record; a crash anywhere in it,
a rejected record or a target that is down loses nothing and creates nothing twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from syncline.connectors.base import TransientError
from syncline.store import Store
from syncline.store.schema import outbox
from syncline.sync.first_load import BATCH_OP
from tests.sync.harness import FakeClock, Outage, Systems, engine

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
    assert systems.rows("erp") == {}
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
