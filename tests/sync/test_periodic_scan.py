"""Beside a cursor (or webhooks) a periodic full scan finds what they cannot see."""

from __future__ import annotations

from pathlib import Path

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, config, engine


def test_a_hard_delete_behind_a_cursor_is_found_by_the_next_periodic_scan(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path, modified=True, deleted=False)  # cursor capture, hard deletes
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    clock = FakeClock()
    sync = engine(store, systems, clock, config=config(scan_every=600))
    sync.run_cycle("parties")
    assert "DE1" in systems.by_vat("erp")
    systems.delete("crm", crm_id)
    clock.advance(60)
    sync.run_cycle("parties")
    assert "DE1" in systems.by_vat("erp")  # the cursor cannot see a row that is gone
    clock.advance(600)
    sync.run_cycle("parties")
    assert "DE1" not in systems.by_vat("erp")  # the scan did


def test_scan_every_zero_never_scans(store: Store, tmp_path: Path) -> None:
    systems = Systems(tmp_path, modified=True, deleted=False)
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    clock = FakeClock()
    sync = engine(store, systems, clock, config=config(scan_every=0))
    sync.run_cycle("parties")
    systems.delete("crm", crm_id)
    clock.advance(3600)
    sync.run_cycle("parties")
    assert "DE1" in systems.by_vat("erp")
