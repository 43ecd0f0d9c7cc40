"""A manual conflict closes as agreed only when both systems now hold the same value.

Capture reads the CRM before the ERP. When both systems edit a conflicted field in the same
cycle, the CRM's new value may equal the ERP's value recorded in the conflict while the ERP
has already moved on unseen: taking that for agreement closed the conflict, and the ERP's edit
then overwrote the CRM's without a trace (found by hypothesis in tests/sync/test_stateful.py
as a lost update of twins).
"""

from __future__ import annotations

from pathlib import Path

from syncline.store import Store
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Systems, engine


def _twins_in_conflict(store: Store, tmp_path: Path) -> tuple[Systems, SyncEngine, str, str]:
    """Twins entered as Delta (CRM) and Epsilon (ERP), linked by VAT id: a name conflict."""
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    erp_id = systems.create("erp", name="Epsilon", vat_id="V1")
    sync = engine(store, systems, FakeClock())
    sync.run_cycle("parties")
    (item,) = sync.conflicts("parties")
    assert (item.field, item.value_a, item.value_b) == ("name", "Delta", "Epsilon")
    return systems, sync, crm_id, erp_id


def test_a_conflict_stays_open_when_both_systems_swap_their_values_in_one_cycle(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _twins_in_conflict(store, tmp_path)
    systems.edit("erp", erp_id, name="Delta")
    systems.edit("crm", crm_id, name="Epsilon")
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Epsilon", "the CRM's edit was overwritten"
    assert systems.rows("erp")[erp_id].name == "Delta", "the ERP's edit was overwritten"
    (item,) = sync.conflicts("parties")
    assert (item.field, item.value_a, item.value_b) == ("name", "Epsilon", "Delta")
    assert sync.conflicts("parties", state="resolved") == []
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_conflict_closes_once_both_systems_edit_it_to_the_same_value(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _twins_in_conflict(store, tmp_path)
    systems.edit("erp", erp_id, name="Zeta")
    systems.edit("crm", crm_id, name="Zeta")
    report = sync.run_cycle("parties")
    assert report.planned_writes == 0 and report.capture.stats.conflicts == 0
    assert sync.conflicts("parties") == []
    (closed,) = sync.conflicts("parties", state="resolved")
    assert (closed.resolution, closed.resolved_value) == ("agreed", "Zeta")
    systems.edit("crm", crm_id, name="Zeta AG")
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Zeta AG", "the field flows again"
