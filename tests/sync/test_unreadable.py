"""A record its system holds in a form that is not a valid canonical record (an e-mail typed
``info(at)typo.de``): capture passes over it and everything else keeps flowing, in both
directions; it waits in the state store, named with the reason, until a person fixes it;
it is never taken for a deleted record, and no write overwrites it blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.store import Store, map_status
from syncline.store.circuits import load_circuits
from syncline.store.outbox import list_jobs
from syncline.store.unreadable import UnreadableRecord, list_unreadable
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Outage, Systems, engine

BAD_EMAIL = '["info(at)typo.de"]'


def _waiting(store: Store) -> list[UnreadableRecord]:
    with store.begin() as conn:
        return list_unreadable(conn, "parties")


def _circuits_closed(store: Store) -> bool:
    with store.begin() as conn:
        return all(c.state == "closed" and c.failures == 0 for c in load_circuits(conn).values())


@pytest.mark.parametrize(("source", "target"), [("crm", "erp"), ("erp", "crm")])
def test_one_bad_record_waits_and_the_others_flow(
    store: Store, tmp_path: Path, source: str, target: str
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    sync = engine(store, systems, clock)
    alpha = systems.create(source, name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    bad = systems.create(source, name="Typo", vat_id="DE9", emails=["info(at)typo.de"])
    systems.edit(source, alpha, name="Alpha GmbH")
    systems.create(source, name="Beta", vat_id="DE2")
    report = sync.run_cycle("parties")
    assert report.capture.errors == [] and report.capture.skipped == []
    assert [(u.system, u.native_id) for u in report.capture.unreadable] == [(source, bad)]
    copies = systems.by_vat(target)
    assert copies["DE1"][1].name == "Alpha GmbH" and "DE2" in copies and "DE9" not in copies
    (waiting,) = _waiting(store)
    assert (waiting.system, waiting.native_id, waiting.entity) == (source, bad, "party")
    assert f"row {bad} of parties is not a valid party" in waiting.reason
    assert "emails" in waiting.reason and "info(at)typo.de" in waiting.reason
    assert _circuits_closed(store)
    with store.begin() as conn:
        (status,) = map_status(conn, ["parties"])
    assert status.unreadable == 1


def test_the_circuit_stays_closed_and_the_other_direction_keeps_flowing(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    sync = engine(store, systems, clock)
    alpha = systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    systems.create("crm", name="Typo", vat_id="DE9", emails=["info(at)typo.de"])
    for _ in range(3):
        clock.advance(10)
        assert sync.run_cycle("parties").capture.errors == []
    systems.edit("erp", systems.by_vat("erp")["DE1"][0], website="https://alpha.de")
    clock.advance(10)
    sync.run_cycle("parties")
    assert systems.row("crm", alpha)["website"] == "https://alpha.de"
    assert _circuits_closed(store)
    assert len(_waiting(store)) == 1


def test_a_record_seen_again_keeps_its_entry_and_once_fixed_it_syncs_and_leaves(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    sync = engine(store, systems, clock)
    systems.create("crm", name="Seed", vat_id="DE0")
    sync.run_cycle("parties")
    bad = systems.create("crm", name="Typo", vat_id="DE9", emails=["info(at)typo.de"])
    sync.run_cycle("parties")
    (first,) = _waiting(store)
    clock.advance(60)
    systems.edit("crm", bad, emails='["info(at)typo.de", "no at all"]')  # edited, still bad
    again = sync.run_cycle("parties")
    (second,) = _waiting(store)
    assert [u.native_id for u in again.capture.unreadable] == [bad]  # news: another reason
    assert second.first_seen == first.first_seen and second.last_seen > first.last_seen
    assert "no at all" in second.reason
    clock.advance(60)
    quiet = sync.run_cycle("parties")
    assert quiet.capture.unreadable == [] and len(_waiting(store)) == 1
    systems.edit("crm", bad, emails='["info@typo.de"]')  # a person fixes the row
    clock.advance(60)
    sync.run_cycle("parties")
    assert systems.by_vat("erp")["DE9"][1].emails == ["info@typo.de"]
    assert _waiting(store) == []


def test_a_linked_record_that_turns_unreadable_is_not_taken_for_a_delete(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    sync = engine(store, systems, FakeClock())  # delete policy: propagate
    alpha = systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    systems.edit("crm", alpha, emails=BAD_EMAIL)
    for _ in range(2):
        sync.run_cycle("parties")
    assert "DE1" in systems.by_vat("erp") and [u.native_id for u in _waiting(store)] == [alpha]
    systems.edit("crm", alpha, emails='["info@alpha.de"]', name="Alpha GmbH")
    sync.run_cycle("parties")
    assert systems.by_vat("erp")["DE1"][1].name == "Alpha GmbH"
    assert _waiting(store) == []


def test_scan_capture_does_not_take_an_unreadable_row_for_a_hard_delete(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path, modified=False, deleted=False)
    sync = engine(store, systems, FakeClock())
    alpha = systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    systems.edit("crm", alpha, emails=BAD_EMAIL)
    gone = systems.create("crm", name="Typo", vat_id="DE9", emails=["info(at)typo.de"])
    for _ in range(2):
        report = sync.run_cycle("parties")
        assert report.capture.stats.deletes == 0
    assert "DE1" in systems.by_vat("erp")
    assert sorted(u.native_id for u in _waiting(store)) == sorted([alpha, gone])
    systems.delete("crm", gone)  # hard-deleted: it waits no longer
    systems.edit("crm", alpha, emails='["info@alpha.de"]')
    sync.run_cycle("parties")
    assert systems.by_vat("erp")["DE1"][1].emails == ["info@alpha.de"]
    assert _waiting(store) == []


@pytest.mark.parametrize("checks_versions", [True, False], ids=["on_write", "re_read"])
def test_an_update_into_an_unreadable_record_is_a_dead_letter_naming_it(
    store: Store, tmp_path: Path, checks_versions: bool
) -> None:
    systems = Systems(tmp_path)
    connectors = dict(systems.conn)
    if not checks_versions:  # a connector the worker re-reads the target for before writing
        connectors["erp"] = Outage(systems.conn["erp"])  # type: ignore[assignment]
    sync: SyncEngine = engine(store, systems, FakeClock(), connectors=connectors)
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    erp_id = systems.by_vat("erp")["DE1"][0]
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.edit("erp", erp_id, emails=BAD_EMAIL)  # broken in the ERP meanwhile
    report = sync.capture("parties")
    assert report.stats.jobs == 1
    delivery = sync.deliver("parties")
    assert delivery.dead == 1 and delivery.delivered == 0
    (dead,) = sync.dead_letters()
    assert dead.native_id == erp_id and dead.target_system == "erp"
    assert f"party {erp_id} in erp cannot be read" in (dead.last_error or "")
    assert "info(at)typo.de" in (dead.last_error or "")
    row = systems.row("erp", erp_id)
    assert (row["name"], row["emails"]) == ("Alpha", BAD_EMAIL)  # not overwritten
    assert _circuits_closed(store)
    systems.edit("erp", erp_id, emails='["info@alpha.de"]')  # fixed: merged again
    sync.run_cycle("parties")
    assert systems.row("erp", erp_id)["name"] == "Alpha GmbH"
    with store.begin() as conn:
        assert list_jobs(conn, "pending") == []
