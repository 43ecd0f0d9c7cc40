"""An update whose outcome a crash hid is audited once it is found to have landed.

The process dies right after the target took an update and before the store recorded it.
The restarted engine must not let that write pass unaudited: under ``leading`` the losing
value is kept in the audit log (ARCHITECTURE.md §3.2, §3.9), found by hypothesis in
tests/sync/test_stateful.py as a "lost update" of a twin edited before it was linked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.connectors.base import WriteOp
from syncline.store import Store
from tests.sync.harness import FakeClock, Outage, Systems, config, engine


class CrashError(Exception):
    """The process died here."""


def _crash_after_writing(step: str) -> None:
    if step in ("deliver.written", "load.written"):  # right after a create or a batch
        raise CrashError(step)


def test_a_twin_edit_overridden_by_the_leading_system_is_audited_after_a_crash(
    store: Store, tmp_path: Path
) -> None:
    # hypothesis's shrunk example: twins, a CRM edit before linking, a crash right after the
    # ERP's value (leading) was written over it
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(conflict={"leading": "erp"})
    crm_id = systems.create("crm", name="Delta", vat_id="V1")
    erp_id = systems.create("erp", name="Delta", vat_id="V1")
    systems.edit("crm", crm_id, website="https://a.de")
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=cfg, checkpoint=_crash_after_writing).run_cycle(
            "parties"
        )
    assert systems.rows("crm")[crm_id].website is None, "written, but never recorded"
    clock.advance(600)  # past any lease: the job is in doubt
    restarted = engine(store, systems, clock, config=cfg)
    restarted.run_cycle("parties")
    assert restarted.run_cycle("parties").planned_writes == 0
    assert systems.rows("crm")[crm_id].website is systems.rows("erp")[erp_id].website is None
    (link,) = restarted.links("parties")
    overridden = [
        (e.field, e.old_value, e.new_value, e.target_system)
        for e in restarted.audit(link_id=link.id)
        if e.reason == "conflict_policy"
    ]
    assert overridden == [("website", "https://a.de", None, "crm")]


def test_a_landed_update_is_audited_once_and_not_repeated_after_a_crash(
    store: Store, tmp_path: Path
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    outages = {name: Outage(c) for name, c in systems.conn.items()}
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    engine(store, systems, clock, connectors=outages).run_cycle("parties")
    (erp_id,) = systems.rows("erp")
    systems.edit("crm", crm_id, website="https://a.de")
    crashing = engine(store, systems, clock, connectors=outages, checkpoint=_crash_after_writing)
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    assert [r.op for r in outages["erp"].writes] == [WriteOp.CREATE, WriteOp.UPDATE]
    clock.advance(600)
    restarted = engine(store, systems, clock, connectors=outages)
    report = restarted.run_cycle("parties")
    assert report.delivery.recovered == 1
    assert len(outages["erp"].writes) == 2, "the landed update was written again"
    assert systems.rows("erp")[erp_id].website == "https://a.de"
    website = [
        (e.old_value, e.new_value, e.reason, e.target_system)
        for e in restarted.audit()
        if e.field == "website"
    ]
    assert website == [(None, "https://a.de", "sync", "erp")]
    assert restarted.run_cycle("parties").planned_writes == 0
