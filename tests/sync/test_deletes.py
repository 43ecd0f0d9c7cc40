"""Delete policies (ARCHITECTURE.md §3.8): propagate, archive, unlink, flag; tombstone or scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.store import Store
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Systems, config, engine


def _pair(
    store: Store, tmp_path: Path, policy: str, *, soft: bool = True
) -> tuple[Systems, SyncEngine, str, str]:
    systems = Systems(tmp_path, modified=soft, deleted=soft)
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    systems.create("crm", name="Bystander", vat_id="DE2")
    sync = engine(store, systems, FakeClock(), config=config(delete=policy))
    sync.run_cycle("parties")
    return systems, sync, crm_id, systems.by_vat("erp")["DE1"][0]


@pytest.mark.parametrize("soft", [True, False], ids=["tombstone", "scan"])
def test_propagate_deletes_the_linked_record(store: Store, tmp_path: Path, soft: bool) -> None:
    systems, sync, crm_id, erp_id = _pair(store, tmp_path, "propagate", soft=soft)
    systems.delete("crm", crm_id)
    report = sync.run_cycle("parties")
    assert report.capture.stats.deletes == 1
    assert erp_id not in systems.rows("erp")
    assert set(systems.by_vat("erp")) == {"DE2"}, "nothing else was touched"
    # both records are gone: their ids are dropped from the link, as a system may hand them
    # out again; the audit keeps them
    link = sync.links("parties", "deleted")
    assert [(lk.id_a, lk.id_b) for lk in link] == [(None, None)]
    (event,) = [e for e in sync.audit() if e.reason == "delete"]
    assert (event.source_system, event.target_system, event.old_value) == ("crm", "erp", erp_id)
    quiet = sync.run_cycle("parties")
    assert quiet.planned_writes == 0 and quiet.capture.stats.deletes == 0


def test_archive_sets_the_other_record_inactive(store: Store, tmp_path: Path) -> None:
    systems, sync, crm_id, erp_id = _pair(store, tmp_path, "archive")
    systems.delete("erp", erp_id)
    sync.run_cycle("parties")
    crm = systems.rows("crm")[crm_id]
    assert crm.active is False and crm.name == "Alpha", "kept, only set inactive"
    assert [e.reason for e in sync.audit() if e.target_system == "crm"] == ["archive"]
    assert sync.run_cycle("parties").planned_writes == 0


def test_unlink_keeps_both_records_and_forgets_the_link(store: Store, tmp_path: Path) -> None:
    systems, sync, crm_id, erp_id = _pair(store, tmp_path, "unlink")
    systems.delete("crm", crm_id)
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Alpha"
    assert [lk.id_b for lk in sync.links("parties", "unlinked")] == [erp_id]
    assert [e.reason for e in sync.audit()].count("unlink") == 1
    # the surviving record no longer flows anywhere
    systems.edit("erp", erp_id, name="Alpha (orphan)")
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize("take", ["crm", "erp"])
def test_flag_holds_the_delete_for_a_person(store: Store, tmp_path: Path, take: str) -> None:
    systems, sync, crm_id, erp_id = _pair(store, tmp_path, "flag")
    systems.delete("crm", crm_id)
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Alpha", "nothing deleted before a decision"
    (item,) = sync.conflicts()
    assert (item.field, item.value_a, item.value_b) == ("_deleted", "deleted", "exists")
    assert [lk.id for lk in sync.links("parties", "flagged")] == [item.link_id]
    sync.resolve_conflict(item.id, take=take)
    sync.run_cycle("parties")
    if take == "crm":  # the deleting system wins: the delete is propagated
        assert erp_id not in systems.rows("erp")
        assert sync.link(item.link_id).state == "deleted"  # type: ignore[union-attr]
    else:  # the surviving record is kept and unlinked
        assert systems.rows("erp")[erp_id].name == "Alpha"
        assert sync.link(item.link_id).state == "unlinked"  # type: ignore[union-attr]
    assert sync.conflicts() == [] and sync.run_cycle("parties").planned_writes == 0


def test_a_record_deleted_before_its_copy_was_created_is_not_created(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    sync = engine(store, systems, FakeClock(), config=config(delete="propagate"))
    crm_id = systems.create("crm", name="Short-lived", vat_id="DE9")
    sync.capture("parties")  # planned, not delivered
    systems.delete("crm", crm_id)
    sync.run_cycle("parties")
    assert systems.rows("erp") == {}
    assert [lk.state for lk in sync.links("parties")] == ["deleted"]
