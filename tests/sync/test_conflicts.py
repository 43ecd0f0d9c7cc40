"""Manual conflicts (ARCHITECTURE.md §3.2): held for a person, one field frozen, resolved once."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.store import Store
from syncline.sync import DecisionError, SyncEngine
from tests.sync.harness import FakeClock, Systems, engine


def _conflicted(store: Store, tmp_path: Path) -> tuple[Systems, SyncEngine, str, str]:
    """A linked party whose name was changed differently in both systems."""
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    sync = engine(store, systems, FakeClock())
    sync.run_cycle("parties")
    erp_id = systems.by_vat("erp")["DE1"][0]
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.edit("erp", erp_id, name="Alpha AG")
    sync.run_cycle("parties")
    return systems, sync, crm_id, erp_id


def test_conflict_item_holds_both_values_versions_times_and_sources(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    (item,) = sync.conflicts("parties")
    assert (item.field, item.base_value) == ("name", "Alpha")
    assert (item.value_a, item.value_b) == ("Alpha GmbH", "Alpha AG")
    crm = systems.conn["crm"].read("party", [crm_id])[0]
    erp = systems.conn["erp"].read("party", [erp_id])[0]
    assert (item.version_a, item.version_b) == (crm.version, erp.version)
    assert (item.changed_at_a, item.changed_at_b) == (crm.modified_at, erp.modified_at)
    assert item.changed_at_a != item.changed_at_b
    link = sync.link(item.link_id)
    assert link is not None and (link.id_a, link.id_b) == (crm_id, erp_id)
    assert systems.rows("crm")[crm_id].name == "Alpha GmbH"
    assert systems.rows("erp")[erp_id].name == "Alpha AG", "neither side was overwritten"


def test_the_conflicted_field_is_frozen_while_other_fields_keep_flowing(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha GmbH & Co", website="https://alpha.de")
    systems.edit("erp", erp_id, emails='["info@alpha.de"]')
    sync.run_cycle("parties")
    crm, erp = systems.rows("crm")[crm_id], systems.rows("erp")[erp_id]
    assert erp.website == "https://alpha.de" and crm.emails == ["info@alpha.de"]
    assert (crm.name, erp.name) == ("Alpha GmbH & Co", "Alpha AG")
    (item,) = sync.conflicts()
    assert item.value_a == "Alpha GmbH & Co", "the item follows the latest value"
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize("take", ["erp", "crm"])
def test_resolving_a_conflict_converges_and_never_reopens_it(
    store: Store, tmp_path: Path, take: str
) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    (item,) = sync.conflicts()
    sync.resolve_conflict(item.id, take=take, actor="alice")
    assert sync.conflicts() == [], "the decision must not open a new conflict"
    sync.run_cycle("parties")
    winner = "Alpha AG" if take == "erp" else "Alpha GmbH"
    assert systems.rows("crm")[crm_id].name == winner
    assert systems.rows("erp")[erp_id].name == winner
    for _ in range(2):
        report = sync.run_cycle("parties")
        assert report.planned_writes == 0 and report.capture.stats.conflicts == 0
    assert sync.conflicts() == []
    (closed,) = sync.conflicts(state="resolved")
    side = "b" if take == "erp" else "a"  # the map's side that won
    assert (closed.resolution, closed.resolved_by) == (side, "alice")
    reasons = [(e.reason, e.actor) for e in sync.audit(field="name")]
    assert ("manual_resolution", "alice") in reasons
    # the field flows normally again
    systems.edit("crm", crm_id, name="Alpha SE")
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Alpha SE" and sync.conflicts() == []


def test_resolving_with_a_new_value_writes_it_to_both_systems(store: Store, tmp_path: Path) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    (item,) = sync.conflicts()
    sync.resolve_conflict(item.id, value="Alpha Holding")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Alpha Holding"
    assert systems.rows("erp")[erp_id].name == "Alpha Holding"
    assert sync.run_cycle("parties").planned_writes == 0 and sync.conflicts() == []
    with pytest.raises(DecisionError, match="already resolved"):
        sync.resolve_conflict(item.id, take="crm")


def test_a_newer_edit_made_after_the_decision_is_not_lost(store: Store, tmp_path: Path) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    (item,) = sync.conflicts()
    sync.resolve_conflict(item.id, take="crm")
    systems.edit("erp", erp_id, name="Alpha AG (new)")  # before the decision is delivered
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    crm, erp = systems.rows("crm")[crm_id], systems.rows("erp")[erp_id]
    assert crm.name == erp.name == "Alpha AG (new)"


def test_a_conflict_closes_itself_when_a_person_makes_both_sides_agree(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha AG")
    sync.run_cycle("parties")
    assert sync.conflicts() == []
    (closed,) = sync.conflicts(state="resolved")
    assert closed.resolution == "agreed"
    systems.edit("erp", erp_id, name="Alpha AG & Co")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Alpha AG & Co", "the field flows again"


@pytest.mark.parametrize("decision", [{"take": "crm"}, {"value": "Alpha Holding"}])
def test_a_decision_survives_other_edits_planned_before_it_lands(
    store: Store, tmp_path: Path, decision: dict[str, str]
) -> None:
    systems, sync, crm_id, erp_id = _conflicted(store, tmp_path)
    (item,) = sync.conflicts()
    sync.resolve_conflict(item.id, **decision)
    # the record is merged again before the decision is delivered: the old value still in
    # the ERP (and the CRM) is not an edit, and must not undo the decision
    systems.edit("crm", crm_id, website="https://alpha.de")
    systems.edit("erp", erp_id, emails='["info@alpha.de"]')
    sync.capture("parties")
    sync.run_cycle("parties")
    chosen = decision.get("value", "Alpha GmbH")
    crm, erp = systems.rows("crm")[crm_id], systems.rows("erp")[erp_id]
    assert crm.name == erp.name == chosen
    assert erp.website == "https://alpha.de" and crm.emails == ["info@alpha.de"]
    assert sync.conflicts() == [] and sync.run_cycle("parties").planned_writes == 0
