"""The overlap window at the schedule's spacing (ARCHITECTURE.md §3.1): a record stamped
inside the window before the cursor but committed after the read that moved the cursor is
caught by the next cycle, however long after it comes; the window is read once more, and
quiet cycles then read nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncline.store import Store
from syncline.store.cursors import CursorState, load_cursor, save_cursor
from syncline.sync import SyncEngine
from tests.sync.harness import FakeClock, Systems, config, engine

EVERY = 60  # the default schedule: a cycle a minute, an overlap of 5 s


def _setup(store: Store, tmp_path: Path) -> tuple[Systems, FakeClock, SyncEngine]:
    systems = Systems(tmp_path)
    clock = FakeClock()
    return systems, clock, engine(store, systems, clock, config=config(overlap_seconds=5))


def _late(systems: Systems, name: str, vat_id: str, before: datetime) -> None:
    """A record whose transaction took its change time 2 s before ``before`` and committed
    only now."""
    late = systems.create("crm", name=name, vat_id=vat_id)
    stamp = before - timedelta(seconds=2)
    systems.execute("crm", f"UPDATE parties SET modified_at = '{stamp}' WHERE id = {late}")


def test_a_late_commit_is_caught_by_the_next_cycle_a_minute_later(
    store: Store, tmp_path: Path
) -> None:
    systems, clock, sync = _setup(store, tmp_path)
    systems.create("crm", name="Alpha", vat_id="DE1")
    assert sync.run_cycle("parties").delivery.delivered == 1
    _late(systems, "Beta", "DE2", systems.last)
    clock.advance(EVERY)
    assert sync.run_cycle("parties").delivery.delivered == 1
    assert set(systems.by_vat("erp")) == {"DE1", "DE2"}
    for _ in range(2):  # the ERP's cursor moves with the echo of Beta, then settles
        clock.advance(EVERY)
        assert sync.run_cycle("parties").planned_writes == 0
    clock.advance(EVERY)
    quiet = sync.run_cycle("parties")
    assert quiet.capture.read == 0 and quiet.planned_writes == 0
    restarted = engine(store, systems, clock, config=config(overlap_seconds=5))
    clock.advance(EVERY)
    assert restarted.run_cycle("parties").capture.read == 0  # settled is kept in the store


def test_a_read_too_soon_after_the_cursor_moved_does_not_settle_it(
    store: Store, tmp_path: Path
) -> None:
    systems, clock, sync = _setup(store, tmp_path)
    systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    clock.advance(3)  # a manual `syncline sync` within the overlap: reads the window, too soon
    assert sync.run_cycle("parties").planned_writes == 0
    _late(systems, "Beta", "DE2", systems.last)
    clock.advance(EVERY)
    assert sync.run_cycle("parties").delivery.delivered == 1
    assert "DE2" in systems.by_vat("erp")


def test_a_cursor_that_moved_again_before_it_settled_gets_a_window_of_its_own(
    store: Store, tmp_path: Path
) -> None:
    systems, clock, sync = _setup(store, tmp_path)
    systems.create("crm", name="Alpha", vat_id="DE1")
    sync.run_cycle("parties")
    clock.advance(2)
    systems.create("crm", name="Gamma", vat_id="DE3")
    sync.run_cycle("parties")  # the cursor moves to Gamma before Alpha's window settled
    _late(systems, "Beta", "DE2", systems.last)
    clock.advance(EVERY)
    sync.run_cycle("parties")
    assert set(systems.by_vat("erp")) == {"DE1", "DE2", "DE3"}


def test_a_cursor_keeps_when_its_window_settled(store: Store) -> None:
    moved = datetime(2030, 1, 1, 12, tzinfo=UTC)
    settled = moved + timedelta(seconds=EVERY)
    state = CursorState(moved, "7", {"7": ["abc", moved.isoformat()]}, moved, settled)
    with store.begin() as conn:
        save_cursor(conn, "parties", "crm", "party", state)
    with store.begin() as conn:
        loaded = load_cursor(conn, "parties", "crm", "party")
    assert loaded == state and loaded.settled_at == settled
