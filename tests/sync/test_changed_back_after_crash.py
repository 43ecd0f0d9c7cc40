"""A target changed back after an in-doubt update landed keeps that change (A -> B -> A).

The process dies right after an update reached the target; before the engine restarts, a
person there puts the old value back. Versions that are content hashes show nothing changed,
so repeating the write would overwrite that person's edit without a trace; the change time
tells it apart, and the two edits meet as a conflict. A write the crash stopped before it
reached the target is simply repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, engine


class CrashError(Exception):
    """The process died here."""


def _crash_at(step: str) -> Callable[[str], None]:
    def checkpoint(at: str) -> None:
        if at == step:
            raise CrashError(at)

    return checkpoint


def _edit_then_crash(store: Store, systems: Systems, clock: FakeClock, step: str) -> str:
    """A linked party whose CRM name edit is being written to the ERP when the process dies;
    returns the ERP id."""
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    engine(store, systems, clock).run_cycle("parties")
    (erp_id,) = systems.rows("erp")
    systems.edit("crm", crm_id, name="Zeta")
    with pytest.raises(CrashError):
        engine(store, systems, clock, checkpoint=_crash_at(step)).run_cycle("parties")
    clock.advance(600)  # past any lease: the job is in doubt
    return erp_id


def test_a_person_changing_the_target_back_is_not_overwritten_by_the_repeat(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    erp_id = _edit_then_crash(store, systems, clock, "deliver.written")
    assert systems.rows("erp")[erp_id].name == "Zeta", "written, but never recorded"
    systems.edit("erp", erp_id, name="Delta")  # a person there puts the old name back
    restarted = engine(store, systems, clock)
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Delta"
    (item,) = restarted.conflicts("parties")
    assert (item.field, item.value_a, item.value_b) == ("name", "Zeta", "Delta")


def test_a_write_the_crash_stopped_before_the_target_is_repeated(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    erp_id = _edit_then_crash(store, systems, clock, "deliver.claimed")
    assert systems.rows("erp")[erp_id].name == "Delta", "claimed, not written"
    restarted = engine(store, systems, clock)
    restarted.run_cycle("parties")
    assert systems.rows("erp")[erp_id].name == "Zeta"
    assert restarted.conflicts("parties") == []
    assert restarted.run_cycle("parties").planned_writes == 0
