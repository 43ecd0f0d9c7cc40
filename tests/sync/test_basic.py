"""Example tests of the engine's sync semantics, on SQLite and PostgreSQL state stores."""

from __future__ import annotations

from pathlib import Path

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, engine


def test_create_flows_both_ways_and_a_quiet_cycle_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    crm_id = systems.create("crm", name="Alpha GmbH", vat_id="DE1")
    erp_id = systems.create("erp", name="Beta AS", vat_id="NO2")
    sync = engine(store, systems, clock)
    report = sync.run_cycle("parties")
    assert report.delivery.delivered == 2
    erp = {p.vat_id: p for p in systems.rows("erp").values()}
    crm = {p.vat_id: p for p in systems.rows("crm").values()}
    assert erp["DE1"].name == "Alpha GmbH" and crm["NO2"].name == "Beta AS"
    assert len(sync.links("parties")) == 2
    again = sync.run_cycle("parties")
    assert again.planned_writes == 0 and again.delivery.delivered == 0
    quiet = sync.run_cycle("parties")
    assert quiet.planned_writes == 0
    assert crm_id and erp_id


def test_field_changes_on_both_sides_merge_per_field(store: Store, tmp_path: Path) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    sync = engine(store, systems, clock)
    sync.run_cycle("parties")
    erp_id = next(iter(systems.rows("erp")))
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.edit("erp", erp_id, website="https://alpha.de")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].website == "https://alpha.de"
    assert systems.rows("erp")[erp_id].name == "Alpha GmbH"
    assert sync.run_cycle("parties").planned_writes == 0
    events = sync.audit(field="name")
    assert [e.new_value for e in events] == ["Alpha GmbH"]
    assert events[0].source_system == "crm" and events[0].target_system == "erp"
