"""Cursor capture's overlap window: late commits inside it are caught, at the schedule's
spacing too; once a read begun an overlap after the cursor moved has read it again, a quiet
cycle reads nothing; updates written in one batch keep their own versions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from syncline.store import Store
from syncline.store.outbox import list_jobs
from tests.sync.harness import FakeClock, Systems, config, engine


def test_a_late_commit_inside_the_window_is_caught_until_the_window_settles(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    sync = engine(store, systems, clock, config=config(overlap_seconds=5))
    systems.create("crm", name="Alpha", vat_id="DE1")
    latest = systems.last
    assert sync.run_cycle("parties").delivery.delivered == 1
    # a transaction that took its change time before the cursor and committed after the read
    late = systems.create("crm", name="Beta", vat_id="DE2")
    systems.execute("crm", f"UPDATE parties SET modified_at = '{latest - timedelta(seconds=2)}' "
                    f"WHERE id = {late}")  # fmt: skip
    clock.advance(1)
    assert sync.run_cycle("parties").delivery.delivered == 1
    assert set(systems.by_vat("erp")) == {"DE1", "DE2"}
    sync.run_cycle("parties")  # the echo of Beta moves the ERP's cursor
    clock.advance(6)
    settling = sync.run_cycle("parties")  # reads both windows once more, plans nothing
    assert settling.capture.read > 0 and settling.planned_writes == 0
    quiet = sync.run_cycle("parties")
    assert quiet.capture.read == 0 and quiet.planned_writes == 0
    alpha = systems.by_vat("crm")["DE1"][0]
    systems.edit("crm", alpha, name="Alpha GmbH")  # a change after the window settled
    assert sync.run_cycle("parties").delivery.delivered == 1
    assert systems.by_vat("erp")["DE1"][1].name == "Alpha GmbH"


def test_a_window_that_has_not_settled_is_read_again_and_plans_nothing(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    clock = FakeClock()
    sync = engine(store, systems, clock, config=config(overlap_seconds=5))
    for i in range(3):
        systems.create("crm", name=f"P{i}", vat_id=f"DE{i}")
    sync.run_cycle("parties")
    again = sync.run_cycle("parties")  # same instant: the overlap is read again, dropped by hash
    assert again.capture.read >= 3 and again.planned_writes == 0


def test_updates_written_in_one_batch_each_get_their_row_version(
    store: Store, tmp_path: Path
) -> None:
    systems = Systems(tmp_path)
    sync = engine(store, systems, FakeClock())
    ids = [systems.create("crm", name=f"P{i}", vat_id=f"DE{i}") for i in range(4)]
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    for i, native_id in enumerate(ids):
        systems.edit("crm", native_id, name=f"Renamed {i}")
    assert sync.run_cycle("parties").delivery.delivered == 4
    erp = systems.conn["erp"]
    by_vat = systems.by_vat("erp")
    current = {r.native_id: r.version for r in erp.read("party", [by_vat[f"DE{i}"][0] for i in
                                                                   range(4)])}  # fmt: skip
    assert len(set(current.values())) == 4
    for i in range(4):
        systems.edit("crm", ids[i], website=f"https://p{i}.de")
    report = sync.run_cycle("parties")  # expected versions from the batch write still hold
    assert report.delivery.delivered == 4 and report.delivery.replanned == 0
    assert {p.website for _, p in systems.by_vat("erp").values()} == {
        f"https://p{i}.de" for i in range(4)
    }
    with store.begin() as conn:
        assert list_jobs(conn, "pending") == []
