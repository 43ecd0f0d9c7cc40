"""Crash safety (ARCHITECTURE.md §3.10): a write whose outcome a crash hid is never repeated."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, config, engine


class CrashError(Exception):
    """The process died here."""


def _crash_after_writing(step: str) -> None:
    if step in ("deliver.written", "load.written"):  # right after a create or a batch
        raise CrashError(step)


@pytest.mark.parametrize("path", ["initial load", "outbox job"])
def test_a_create_whose_outcome_was_lost_is_found_by_key_not_repeated(
    store: Store, tmp_path: Path, path: str
) -> None:
    """A batch of the initial load (into an empty ERP) or a single outbox job (the ERP holds
    a record already): either way the crash comes right after the ERP took the write."""
    systems, clock = Systems(tmp_path), FakeClock()
    if path == "outbox job":
        systems.create("erp", name="Beta", vat_id="DE2")
        engine(store, systems, clock).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    with pytest.raises(CrashError):
        engine(store, systems, clock, checkpoint=_crash_after_writing).run_cycle("parties")
    assert "DE1" in systems.by_vat("erp"), "written, but the store never heard of it"
    clock.advance(600)  # past any lease: the job is in doubt
    restarted = engine(store, systems, clock)
    report = restarted.run_cycle("parties")
    # the copy is found (by capture, or by the worker's recovery) and adopted, not re-created
    assert report.delivery.delivered == 0
    erp_id, _ = systems.by_vat("erp")["DE1"]
    (link,) = [k for k in restarted.links("parties") if k.id_a == crm_id]
    assert (link.id_a, link.id_b, link.state) == (crm_id, erp_id, "active")
    systems.edit("crm", crm_id, name="Alpha GmbH")
    restarted.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Alpha GmbH"
    assert len(systems.rows("erp")) == (1 if path == "initial load" else 2)
    assert restarted.run_cycle("parties").planned_writes == 0


def test_a_record_deleted_while_its_create_was_in_doubt_is_removed_again(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(delete="propagate")
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=cfg, checkpoint=_crash_after_writing).run_cycle(
            "parties"
        )
    systems.delete("crm", crm_id)
    clock.advance(600)
    restarted = engine(store, systems, clock, config=cfg)
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    assert systems.rows("erp") == {} and systems.rows("crm") == {}
    assert [lk.state for lk in restarted.links("parties")] == ["deleted"]
    assert restarted.run_cycle("parties").planned_writes == 0


def test_an_edit_captured_while_its_create_is_in_flight_reaches_the_copy(
    store: Store, tmp_path: Path
) -> None:
    """Another worker holds the create (its lease has not run out) when capture reads an edit
    of the record: the create, delivered later with the values it was planned with, is merged
    again once it lands, so the edit reaches the copy instead of being lost."""
    systems, clock = Systems(tmp_path), FakeClock()
    systems.create("erp", name="Other", vat_id="DE9")  # the ERP is not empty: no batch load
    engine(store, systems, clock, lease_seconds=300).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")

    def crash(step: str) -> None:
        if step == "deliver.claimed":
            raise CrashError(step)

    with pytest.raises(CrashError):
        engine(store, systems, clock, lease_seconds=300, checkpoint=crash).run_cycle("parties")
    systems.edit("crm", crm_id, name="Alpha GmbH")
    restarted = engine(store, systems, clock, lease_seconds=300)
    restarted.run_cycle("parties")  # the create is still the crashed worker's: it waits
    assert "DE1" not in systems.by_vat("erp")
    clock.advance(600)  # its lease ran out: recovered, delivered
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    assert systems.by_vat("erp")["DE1"][1].name == "Alpha GmbH", "the edit was lost"
    assert restarted.run_cycle("parties").planned_writes == 0
