"""A copy deleted before the restart that would have told the engine its create landed.

The process dies right after a create reached the CRM; before the engine restarts, a person
deletes that copy there (a soft delete: the row stays, marked deleted). Recovery finds the
deleted copy by its keys, records the link (the create landed) and applies the map's delete
policy as if capture had seen the delete. Looking for live copies only, it repeated the create,
which the CRM refused as a duplicate VAT id: a dead letter, planned again and again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, config, engine


class CrashError(Exception):
    """The process died here."""


def _crash_after_writing(step: str) -> None:
    if step in ("deliver.written", "load.written"):  # right after a create or a batch
        raise CrashError(step)


def _crm_rows(systems: Systems) -> int:
    """Rows in the CRM table, soft-deleted ones included."""
    crm = systems.conn["crm"]
    with crm.engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(crm.table)).scalar_one())


@pytest.mark.parametrize("policy", ["propagate", "archive", "unlink", "flag"])
def test_a_copy_deleted_before_the_restart_is_linked_and_its_delete_policy_applied(
    store: Store, tmp_path: Path, policy: str
) -> None:
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(delete=policy)
    erp_id = systems.create("erp", name="Delta", vat_id="V1")
    with pytest.raises(CrashError):
        engine(store, systems, clock, config=cfg, checkpoint=_crash_after_writing).run_cycle(
            "parties"
        )
    (crm_id,) = systems.rows("crm")  # written, but the store never heard of it
    systems.delete("crm", crm_id)
    clock.advance(600)  # past any lease: the create is in doubt
    restarted = engine(store, systems, clock, config=cfg)
    restarted.run_cycle("parties")
    restarted.run_cycle("parties")
    assert restarted.dead_letters() == [], [j.last_error for j in restarted.dead_letters()]
    assert _crm_rows(systems) == 1 and systems.rows("crm") == {}, "created twice"
    (link,) = restarted.links("parties")
    events = [(e.reason, e.source_system, e.old_value) for e in restarted.audit(link_id=link.id)]
    assert ("create", "erp", None) in events
    assert ("delete", "crm", crm_id) in events, "the deleted copy is audited"
    erp = systems.rows("erp")
    if policy == "propagate":
        assert link.state == "deleted" and erp == {}
    elif policy == "archive":
        assert link.state == "deleted" and erp[erp_id].active is False
    elif policy == "unlink":
        assert link.state == "unlinked" and erp[erp_id].name == "Delta"
    else:
        assert link.state == "flagged" and erp[erp_id].name == "Delta"
        (item,) = restarted.conflicts("parties")
        assert (item.field, item.value_a, item.value_b) == ("_deleted", "deleted", "exists")
    assert restarted.run_cycle("parties").planned_writes == 0
