"""Recovery by origin: a target that keeps each created row's idempotency key (§3.10).

Without it, recovery finds a create's copy by the map's keys or by its values, and two cases
fool it: a record a person made in the target with the same values is taken for a copy that
never landed, and a copy the system changed on write (a trigger) is not recognised, so the
create is repeated. With ``origin_column`` the copy is the row written under the create's
key, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from syncline.store import Store
from syncline.sync import SyncEngine
from tests.support.sqltables import ORIGIN_COLUMN
from tests.sync.harness import FakeClock, Systems, config, engine
from tests.sync.test_created_copy_by_content import CrashError, _crash_at, _named
from tests.sync.test_recovery_lookups import (
    CASES,
    COUNT,
    _assert_one_linked_copy_each,
    _load_crashes,
    _records,
)
from tests.sync.test_recovery_without_lookup import PlainErp

ONE_WAY = config(match={"keys": []}, direction="a_to_b")
UPPER_SITES = """
CREATE TRIGGER upper_site AFTER INSERT ON parties
BEGIN UPDATE parties SET website = upper(NEW.website) WHERE id = NEW.id; END
"""
"""The ERP stores every new record's website in capitals: its copies differ from what was
written."""


def _origins(systems: Systems, system: str) -> dict[str, str | None]:
    """The origin column of every row of ``system``, by native id."""
    c = systems.conn[system]
    with c.engine.connect() as db:
        query = select(c.key, c.table.c[ORIGIN_COLUMN])
        return {str(key): origin for key, origin in db.execute(query)}


def _crash_and_restart(
    store: Store, systems: Systems, clock: FakeClock, step: str, between: str | None = None
) -> SyncEngine:
    """A cycle of ``ONE_WAY`` dies at ``step``; a person may create a record named
    ``between`` in the ERP before the engine restarts, past any lease, for two cycles."""
    crashing = engine(store, systems, clock, config=ONE_WAY, checkpoint=_crash_at(step))
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    if between is not None:
        systems.create("erp", name=between, website="https://alpha.example")
    clock.advance(600)
    restarted = engine(store, systems, clock, config=ONE_WAY)
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    return restarted


@pytest.mark.parametrize(
    ("step", "erp_holds_one"),
    [("deliver.claimed", True), ("load.write", False)],
    ids=["one create", "initial load batch"],
)
def test_a_persons_identical_record_is_not_taken_for_a_copy_that_never_landed(
    store: Store, tmp_path: Path, step: str, erp_holds_one: bool
) -> None:
    """The create dies before its write; a person then enters the same record in the ERP.
    The create is made, and the person's record stays theirs: unlinked, untouched."""
    systems, clock = Systems(tmp_path, origin=True), FakeClock()
    if erp_holds_one:  # a synced ERP: the create is one outbox job, not a load's batch
        systems.create("crm", name="Beta")
        engine(store, systems, clock, config=ONE_WAY).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")

    sync = _crash_and_restart(store, systems, clock, step, between="Alpha")

    alphas = _named(systems, "erp", "Alpha")
    assert len(alphas) == 2, "the person's record and the copy"
    (link,) = [k for k in sync.links("parties") if k.id_a == crm_id]
    origins = _origins(systems, "erp")
    persons = [i for i in alphas if origins[i] is None]
    assert len(persons) == 1 and link.id_b != persons[0], "the person's record was taken"
    assert origins[str(link.id_b)] is not None, "the copy keeps its create's key"
    systems.edit("crm", crm_id, website="https://edited.example")
    sync.run_cycle("parties")
    erp = systems.rows("erp")
    assert erp[str(link.id_b)].website == "https://edited.example"
    assert erp[persons[0]].website == "https://alpha.example", "the person's record was edited"
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize(
    ("step", "erp_holds_one"),
    [("deliver.written", True), ("load.written", False)],
    ids=["one create", "initial load batch"],
)
def test_a_copy_the_system_changed_on_write_is_found_by_its_origin(
    store: Store, tmp_path: Path, step: str, erp_holds_one: bool
) -> None:
    """The create lands and the ERP changes the copy as it stores it; then the process dies.
    No key and no value finds the copy, its origin does: it is linked, not made again, and
    the map's leading CRM puts its value back."""
    systems, clock = Systems(tmp_path, origin=True), FakeClock()
    systems.execute("erp", UPPER_SITES)
    if erp_holds_one:
        systems.create("crm", name="Beta")
        engine(store, systems, clock, config=ONE_WAY).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")

    sync = _crash_and_restart(store, systems, clock, step)

    (copy,) = _named(systems, "erp", "Alpha")
    (link,) = [k for k in sync.links("parties") if k.id_a == crm_id]
    assert (link.id_b, link.state) == (copy, "active")
    assert systems.rows("erp")[copy].website == "https://alpha.example", "the CRM leads"
    assert sync.dead_letters() == []
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_load_create_made_again_and_in_doubt_again_is_found_under_its_own_key(
    store: Store, tmp_path: Path
) -> None:
    """An initial load dies before its write; the restarted engine makes the record as a
    create of its own (its own key), and dies once it is written. The copy holds the second
    key, not the batch's: the next restart finds it by that one."""
    systems, clock = Systems(tmp_path, origin=True), FakeClock()
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=ONE_WAY, checkpoint=_crash_at("load.write")).run_cycle(
            "parties"
        )
    clock.advance(600)
    again = engine(store, systems, clock, config=ONE_WAY, checkpoint=_crash_at("deliver.written"))
    with pytest.raises(CrashError):
        again.run_cycle("parties")
    (copy,) = _named(systems, "erp", "Alpha")
    clock.advance(600)

    sync = engine(store, systems, clock, config=ONE_WAY)
    sync.run_cycle("parties")

    assert _named(systems, "erp", "Alpha") == [copy], "created twice"
    (link,) = sync.links("parties")
    assert (link.id_a, link.id_b, link.state) == (crm_id, copy, "active")
    assert sync.run_cycle("parties").planned_writes == 0


@pytest.mark.parametrize("landing", [None, 0, 5], ids=["all landed", "none landed", "5 landed"])
@pytest.mark.parametrize("case", ["keys", "no keys, twins", "keys, twins without key values"])
def test_a_crashed_load_is_settled_by_origin_without_a_scan(
    store: Store, tmp_path: Path, case: str, landing: int | None
) -> None:
    """A load into a table with an origin column and no lookup at all dies with all, none
    or some of its batch written: recovery asks the origins of the batch's records, never
    scans, and makes again only the copies that never landed, identical twins included."""
    key, twins, twin_key = CASES[case]
    cfg = config(match={"keys": [key] if key else []})
    systems, clock = Systems(tmp_path, origin=True), FakeClock()
    crm_ids = _records(systems, key, twins, twin_key)
    sync, erp = _load_crashes(store, systems, clock, cfg, landing, PlainErp)
    landed = len(systems.rows("erp"))
    assert landed == (COUNT if landing is None else landing)

    report = sync.worker.recover(["parties"])

    assert report.recovered == COUNT and report.errors == []
    assert erp.scans == 0, f"{erp.scans} scans of the ERP"
    sync.run_cycle("parties")
    _assert_one_linked_copy_each(systems, sync, crm_ids)
    assert len(erp.writes) == COUNT - landed, "only the copies that never landed are created"


TABLES = pytest.mark.parametrize(
    "change_columns", [False, True], ids=["scan-only tables", "cursor tables"]
)
"""Tables without change columns (capture by scan, hard deletes) cannot tell an update that
landed and was undone from one that never landed; with them, the change time tells."""


def _update_in_doubt(
    store: Store, tmp_path: Path, clock: FakeClock, step: str, change_columns: bool
) -> tuple[Systems, str, str]:
    """A linked party whose CRM rename Delta -> Zeta dies at ``step`` of its delivery to the
    ERP; returns the systems, the CRM and the ERP id, past any lease."""
    kinds = {"modified": change_columns, "deleted": change_columns}
    systems = Systems(tmp_path, **kinds, origin=True)
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    engine(store, systems, clock).run_cycle("parties")
    (erp_id,) = systems.rows("erp")
    systems.edit("crm", crm_id, name="Zeta")
    with pytest.raises(CrashError):
        engine(store, systems, clock, checkpoint=_crash_at(step)).run_cycle("parties")
    clock.advance(600)
    return systems, crm_id, erp_id


@TABLES
def test_an_update_that_landed_and_was_put_back_is_not_overwritten(
    store: Store, tmp_path: Path, change_columns: bool
) -> None:
    """A person puts the old name back before the restart (A -> B -> A): the row's origin
    says the update landed, so the person's edit is the later one and reaches the CRM, as it
    would have without the crash."""
    clock = FakeClock()
    systems, crm_id, erp_id = _update_in_doubt(
        store, tmp_path, clock, "deliver.written", change_columns
    )
    assert systems.rows("erp")[erp_id].name == "Zeta", "written, never recorded"
    systems.edit("erp", erp_id, name="Delta")

    sync = engine(store, systems, clock)
    sync.run_cycle("parties")
    sync.run_cycle("parties")

    assert systems.rows("erp")[erp_id].name == "Delta", "the person's edit was overwritten"
    assert sync.conflicts("parties") == []
    assert systems.rows("crm")[crm_id].name == "Delta"
    assert sync.run_cycle("parties").planned_writes == 0


@TABLES
def test_an_edit_after_an_update_landed_is_a_later_edit_not_a_conflict(
    store: Store, tmp_path: Path, change_columns: bool
) -> None:
    """A person renames the row again after the update landed: that is the newer value,
    and it reaches the CRM."""
    clock = FakeClock()
    systems, crm_id, erp_id = _update_in_doubt(
        store, tmp_path, clock, "deliver.written", change_columns
    )
    systems.edit("erp", erp_id, name="Omega")

    sync = engine(store, systems, clock)
    sync.run_cycle("parties")
    sync.run_cycle("parties")

    assert sync.conflicts("parties") == []
    assert systems.rows("crm")[crm_id].name == systems.rows("erp")[erp_id].name == "Omega"
    assert sync.run_cycle("parties").planned_writes == 0


@TABLES
def test_an_update_the_crash_stopped_before_the_target_is_repeated(
    store: Store, tmp_path: Path, change_columns: bool
) -> None:
    """The row's origin is still the create's: the update never landed, and is written."""
    clock = FakeClock()
    systems, _, erp_id = _update_in_doubt(store, tmp_path, clock, "deliver.claimed", change_columns)
    assert systems.rows("erp")[erp_id].name == "Delta"

    sync = engine(store, systems, clock)
    sync.run_cycle("parties")

    assert systems.rows("erp")[erp_id].name == "Zeta"
    assert sync.conflicts("parties") == []
    assert sync.run_cycle("parties").planned_writes == 0
