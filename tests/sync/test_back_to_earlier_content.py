"""An edit back to content capture saw before is still a change (A -> B -> A)."""

from __future__ import annotations

from pathlib import Path

from syncline.errors import TransientError
from syncline.store import Store
from syncline.store.outbox import list_jobs
from tests.sync.harness import FakeClock, Outage, Systems, config, engine


def test_an_edit_back_to_the_value_the_leader_overwrote_flows(store: Store, tmp_path: Path) -> None:
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    systems.create("erp", name="Epsilon", vat_id="V1")
    sync = engine(store, systems, FakeClock(), config=config(conflict={"leading": "erp"}))
    sync.run_cycle("parties")  # twins linked by key; the ERP leads: the CRM becomes Epsilon
    assert systems.by_vat("crm")["V1"][1].name == "Epsilon"
    systems.edit("crm", crm_id, name="Delta")  # back to what capture saw at first
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    assert systems.by_vat("erp")["V1"][1].name == "Delta"


def test_an_update_equal_to_one_delivered_before_is_delivered_again(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    sync = engine(store, systems, clock)
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    sync.run_cycle("parties")
    (erp_id,) = systems.rows("erp")
    # the third edit puts both systems back where the first was: its write to the CRM equals
    # the first one (same base version, same values), yet it is new work
    for system, native_id, name in (("erp", erp_id, "Zeta"), ("crm", crm_id, "Delta")) * 2:
        systems.edit(system, native_id, name=name)
        clock.advance(60)
        sync.run_cycle("parties")
        assert systems.rows("crm")[crm_id].name == systems.rows("erp")[erp_id].name == name
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_new_record_edited_away_and_back_while_the_target_refuses_writes_is_created(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    erp = Outage(systems.conn["erp"])
    sync = engine(store, systems, clock, connectors={"crm": systems.conn["crm"], "erp": erp})
    systems.create("crm", name="Seed", vat_id="DE0")
    sync.run_cycle("parties")  # the pair is in use, so no initial load
    erp.write_failures = [TransientError("503", system="erp")] * 1000  # reads still work
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    # the third create equals the first, which the second replaced: new work all the same
    for name in ("Alpha", "Alpha GmbH", "Alpha"):
        systems.edit("crm", crm_id, name=name)
        clock.advance(1)
        sync.run_cycle("parties")
    with store.begin() as conn:
        creates = [j.state for j in list_jobs(conn) if j.op == "create"]
    assert creates.count("pending") == 1, creates
    erp.write_failures = []
    clock.advance(700)
    sync.run_cycle("parties")
    assert systems.by_vat("erp")["DE1"][1].name == "Alpha"
    assert sync.run_cycle("parties").planned_writes == 0
