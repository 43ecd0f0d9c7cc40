"""Conflict policies and field ownership (ARCHITECTURE.md §3.2, §3.3), on both state stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncline.store import Store
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Systems, config, engine

FIELDS = ("name", "vat_id", "emails", "website", "active")


def _linked(
    store: Store, tmp_path: Path, **map_options: Any
) -> tuple[Systems, SyncEngine, str, str]:
    """One party created in the CRM and synced: ``(systems, engine, crm id, erp id)``."""
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1", website="https://alpha.de")
    sync = engine(store, systems, FakeClock(), config=config(**map_options))
    sync.run_cycle("parties")
    erp_id = systems.by_vat("erp")["DE1"][0]
    return systems, sync, crm_id, erp_id


@pytest.mark.parametrize(("leader", "loser"), [("erp", "crm"), ("crm", "erp")])
def test_leading_system_wins_a_real_conflict_and_the_losing_value_is_audited(
    store: Store, tmp_path: Path, leader: str, loser: str
) -> None:
    systems, sync, crm_id, erp_id = _linked(store, tmp_path, conflict={"leading": leader})
    ids = {"crm": crm_id, "erp": erp_id}
    systems.edit(leader, ids[leader], name=f"{leader} name")
    systems.edit(loser, ids[loser], name=f"{loser} name", website="https://loser.example")
    report = sync.run_cycle("parties")
    assert report.capture.stats.conflicts == 0 and sync.conflicts() == []
    for system in ("crm", "erp"):
        party = systems.rows(system)[ids[system]]
        assert party.name == f"{leader} name"
        # the loser's edit of another field is not a conflict: it flows
        assert party.website == "https://loser.example"
    (event,) = sync.audit(field="name")
    assert event.reason == "conflict_policy"
    assert event.old_value == f"{loser} name" and event.new_value == f"{leader} name"
    assert event.source_system == leader and event.target_system == loser
    assert sync.run_cycle("parties").planned_writes == 0


def test_leading_policy_per_field_overrides_the_maps_manual_default(
    store: Store, tmp_path: Path
) -> None:
    fields: list[dict[str, Any]] = [{"field": f} for f in FIELDS if f != "website"]
    fields.append({"field": "website", "conflict": {"leading": "crm"}})
    systems, sync, crm_id, erp_id = _linked(store, tmp_path, fields=fields)
    systems.edit("crm", crm_id, name="crm name", website="https://crm.example")
    systems.edit("erp", erp_id, name="erp name", website="https://erp.example")
    sync.run_cycle("parties")
    assert [c.field for c in sync.conflicts()] == ["name"]
    assert systems.rows("erp")[erp_id].website == "https://crm.example"
    assert systems.rows("erp")[erp_id].name == "erp name"
    assert systems.rows("crm")[crm_id].name == "crm name"


def _owned(on_foreign_edit: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"field": f} for f in FIELDS if f != "name"]
    rules.append({"field": "name", "owner": "erp", "on_foreign_edit": on_foreign_edit})
    return rules


def test_owned_field_protect_reverts_the_foreign_edit_and_audits_it(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _linked(store, tmp_path, fields=_owned("protect"))
    systems.edit("crm", crm_id, name="Renamed in CRM", website="https://crm.example")
    sync.run_cycle("parties")
    crm, erp = systems.rows("crm")[crm_id], systems.rows("erp")[erp_id]
    assert crm.name == "Alpha" and erp.name == "Alpha", "the CRM edit was reverted"
    assert erp.website == "https://crm.example", "unowned fields keep flowing"
    (revert,) = sync.audit(field="name")
    assert revert.reason == "ownership_revert" and revert.target_system == "crm"
    assert revert.old_value == "Renamed in CRM" and revert.new_value == "Alpha"
    # the owner's edits flow as usual
    systems.edit("erp", erp_id, name="Alpha AS")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Alpha AS"
    assert sync.run_cycle("parties").planned_writes == 0


def test_owned_field_flag_keeps_the_foreign_edit_and_reports_it_once(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _linked(store, tmp_path, fields=_owned("flag"))
    systems.edit("crm", crm_id, name="Renamed in CRM")
    report = sync.run_cycle("parties")
    assert report.planned_writes == 0
    assert systems.rows("crm")[crm_id].name == "Renamed in CRM"
    assert systems.rows("erp")[erp_id].name == "Alpha", "never propagated to the owner"
    (flag,) = sync.audit(field="name")
    assert flag.reason == "ownership_flag" and flag.source_system == "crm"
    assert flag.old_value == "Alpha" and flag.new_value == "Renamed in CRM"
    # reported once, not on every cycle; and the owner's next edit still wins
    systems.edit("crm", crm_id, website="https://x.example")
    sync.run_cycle("parties")
    assert [e.reason for e in sync.audit(field="name")] == ["ownership_flag"]
    systems.edit("erp", erp_id, name="Alpha AS")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Alpha AS"


def test_one_way_map_makes_the_source_own_every_field(store: Store, tmp_path: Path) -> None:
    systems, sync, crm_id, erp_id = _linked(store, tmp_path, direction="a_to_b")
    systems.edit("erp", erp_id, name="Edited in ERP")
    systems.edit("crm", crm_id, website="https://crm.example")
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Alpha", "b may not change a's data"
    assert systems.rows("erp")[erp_id].website == "https://crm.example"
    assert systems.rows("crm")[crm_id].name == "Alpha"
    assert [e.reason for e in sync.audit(field="name")] == ["ownership_revert"]
