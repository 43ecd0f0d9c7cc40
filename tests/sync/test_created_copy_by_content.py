"""A create whose outcome a crash hid, for a map without match keys (ARCHITECTURE.md §3.10).

The keys cannot find the copy when a map has none, or when the record has no value in any
key field: recovery then finds it by content, an unlinked record of the target showing every
value the create wrote, and only when exactly one does. Looking up by keys alone, it repeated
the create and the target held the record twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from syncline.connectors.base import (
    Connector,
    Delegating,
)
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.sync import SyncEngine
from syncline.sync.context import Checkpoint
from tests.sync.harness import FakeClock, Systems, config, engine

NO_KEYS = config(match={"keys": []})


class CrashError(Exception):
    """The process died here."""


def _crash_at(*steps: str) -> Checkpoint:
    def checkpoint(step: str) -> None:
        if step in steps:
            raise CrashError(step)

    return checkpoint


def _named(systems: Systems, system: str, name: str) -> list[str]:
    """Ids of the live records of ``system`` called ``name``."""
    return [i for i, p in systems.rows(system).items() if p.name == name]


def _crm_rows(systems: Systems) -> int:
    """Rows in the CRM table, soft-deleted ones included."""
    crm = systems.conn["crm"]
    with crm.engine.connect() as db:
        return int(db.execute(select(func.count()).select_from(crm.table)).scalar_one())


def _restart_after_crash(  # noqa: PLR0917 - a test's scenario, all its parts
    store: Store,
    systems: Systems,
    clock: FakeClock,
    step: str,
    cfg: SynclineConfig = NO_KEYS,
    connectors: dict[str, Connector] | None = None,
) -> SyncEngine:
    """One cycle that dies at ``step``; past any lease, a restarted engine runs one cycle."""
    options: dict[str, Any] = {"config": cfg, "connectors": connectors}
    crashing = engine(store, systems, clock, checkpoint=_crash_at(step), **options)
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    clock.advance(600)  # past any lease: the create is in doubt
    restarted = engine(store, systems, clock, **options)
    restarted.run_cycle("parties")
    return restarted


def _assert_one_linked_copy(
    systems: Systems, sync: SyncEngine, crm_id: str, name: str, website: str
) -> None:
    """``crm_id`` has exactly one ERP copy, actively linked; edits flow; a cycle is quiet."""
    (erp_id,) = _named(systems, "erp", name)
    assert systems.rows("erp")[erp_id].website == website
    (link,) = [k for k in sync.links("parties") if k.id_a == crm_id]
    assert (link.id_b, link.state) == (erp_id, "active")
    systems.edit("crm", crm_id, website="https://edited.example")
    sync.run_cycle("parties")
    assert systems.rows("erp")[erp_id].website == "https://edited.example"
    assert _named(systems, "erp", name) == [erp_id], "created twice"
    assert sync.run_cycle("parties").planned_writes == 0


class WithoutLookup(Delegating):
    """A system that can only be scanned for records, not looked up by a field's value."""


@pytest.mark.parametrize(
    ("keys", "erp_lookup"),
    [([], True), (["vat_id"], True), ([], False)],
    ids=["no keys", "no key value", "no keys, no lookup"],
)
def test_a_create_in_doubt_without_keys_is_found_by_content_not_repeated(
    store: Store, tmp_path: Path, keys: list[str], erp_lookup: bool
) -> None:
    """The per-record path: the ERP holds a synced record, so the create is one outbox job.
    An ERP without lookup is scanned for the copy."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(match={"keys": keys})
    connectors: dict[str, Connector] = dict(systems.conn)
    if not erp_lookup:
        connectors["erp"] = WithoutLookup(systems.conn["erp"])
    systems.create("erp", name="Beta", vat_id="DE2")
    engine(store, systems, clock, config=cfg, connectors=connectors).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")
    sync = _restart_after_crash(store, systems, clock, "deliver.written", cfg, connectors)
    _assert_one_linked_copy(systems, sync, crm_id, "Alpha", "https://alpha.example")
    assert len(systems.rows("erp")) == len(systems.rows("crm")) == 2


def test_an_initial_load_batch_in_doubt_without_keys_is_found_by_content_not_repeated(
    store: Store, tmp_path: Path
) -> None:
    """The batch path: the ERP is empty, the batch is expanded into in-doubt creates."""
    systems, clock = Systems(tmp_path), FakeClock()
    sites = {"Alpha": "https://alpha.example", "Beta": "https://beta.example"}
    crm_ids = {name: systems.create("crm", name=name, website=site) for name, site in sites.items()}
    sync = _restart_after_crash(store, systems, clock, "load.written")
    assert len(systems.rows("erp")) == 2
    for name, site in sites.items():
        _assert_one_linked_copy(systems, sync, crm_ids[name], name, site)
    assert sync.dead_letters() == []


@pytest.mark.parametrize("step", ["deliver.claimed", "deliver.written"])
def test_an_unlinked_record_with_other_values_is_not_taken_for_the_copy(
    store: Store, tmp_path: Path, step: str
) -> None:
    """The ERP has its own "Alpha" (another website) that a one-way map never links. Whether
    the create was lost (crash before the write) or landed (after it), recovery does not take
    that record for the copy: the CRM's Alpha gets a copy of its own, exactly one."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(match={"keys": []}, direction="a_to_b")
    own = systems.create("erp", name="Alpha", website="https://erp-own.example")
    engine(store, systems, clock, config=cfg).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")
    sync = _restart_after_crash(store, systems, clock, step, cfg)
    sync.run_cycle("parties")
    copies = [i for i in _named(systems, "erp", "Alpha") if i != own]
    assert len(copies) == 1, "the copy is in the ERP exactly once"
    (link,) = sync.links("parties")
    assert (link.id_a, link.id_b, link.state) == (crm_id, copies[0], "active")
    assert systems.rows("erp")[own].website == "https://erp-own.example", "left alone"
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_copy_without_keys_deleted_before_the_restart_is_found_as_a_tombstone(
    store: Store, tmp_path: Path
) -> None:
    """As with keys: the deleted copy is linked and the delete policy applied, not re-created."""
    systems, clock = Systems(tmp_path), FakeClock()
    systems.create("erp", name="Delta", website="https://delta.example")
    crashing = engine(store, systems, clock, config=NO_KEYS, checkpoint=_crash_at("load.written"))
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    (crm_id,) = systems.rows("crm")
    systems.delete("crm", crm_id)
    clock.advance(600)
    sync = engine(store, systems, clock, config=NO_KEYS)
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    assert systems.rows("crm") == {} and _crm_rows(systems) == 1, "created twice"
    assert systems.rows("erp") == {}, "the delete policy (propagate) applied"
    (link,) = sync.links("parties")
    assert link.state == "deleted"
    events = [(e.reason, e.source_system, e.old_value) for e in sync.audit(link_id=link.id)]
    assert ("create", "erp", None) in events and ("delete", "crm", crm_id) in events
    assert sync.run_cycle("parties").planned_writes == 0


def _alpha_written_then_crashed(
    store: Store, tmp_path: Path, keys: list[str]
) -> tuple[Systems, FakeClock, SynclineConfig, str]:
    """``Alpha`` created in the CRM (no VAT id), its ERP copy written and the worker dead
    before recording it (lease 300 s); returns the systems, clock, config and its CRM id."""
    systems, clock = Systems(tmp_path), FakeClock()
    cfg = config(match={"keys": keys})
    systems.create("erp", name="Beta", vat_id="DE2")
    engine(store, systems, clock, config=cfg, lease_seconds=300).run_cycle("parties")
    crm_id = systems.create("crm", name="Alpha", website="https://alpha.example")
    crashing = engine(store, systems, clock, config=cfg, lease_seconds=300,
                      checkpoint=_crash_at("deliver.written"))  # fmt: skip
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    return systems, clock, cfg, crm_id


@pytest.mark.parametrize("keys", [[], ["vat_id"]], ids=["no keys", "no key value"])
def test_a_copy_seen_while_its_create_is_still_leased_is_not_copied_back(
    store: Store, tmp_path: Path, keys: list[str]
) -> None:
    """A worker wrote the ERP copy and died before recording it. Within its lease (a live
    worker might still record it) a cycle captures the ERP and sees the copy unlinked. It is
    left alone, not planned as a new ERP record (a second Alpha in the CRM); past the lease,
    recovery finds it by content and links it."""
    systems, clock, cfg, crm_id = _alpha_written_then_crashed(store, tmp_path, keys)
    clock.advance(10)  # within the lease
    sync = engine(store, systems, clock, config=cfg, lease_seconds=300)
    report = sync.run_cycle("parties")
    assert report.planned_writes == 0, "the copy was planned as a new record"
    assert _named(systems, "crm", "Alpha") == [crm_id]
    clock.advance(600)  # past the lease: the create is in doubt, recovery settles it
    sync.run_cycle("parties")
    _assert_one_linked_copy(systems, sync, crm_id, "Alpha", "https://alpha.example")
    assert _named(systems, "crm", "Alpha") == [crm_id], "copied back"
    assert len(sync.links("parties")) == 2 and sync.dead_letters() == []


@pytest.mark.parametrize("keys", [[], ["vat_id"]], ids=["no keys", "no key value"])
def test_a_copy_seen_before_its_create_in_doubt_is_settled_is_not_copied_back(
    store: Store, tmp_path: Path, keys: list[str]
) -> None:
    """As above, but past the lease, and the ERP is captured before any recovery settled the
    create (a capture on its own, or recovery failing for it just then): the copy is still
    left alone, and linked once recovery runs."""
    systems, clock, cfg, crm_id = _alpha_written_then_crashed(store, tmp_path, keys)
    clock.advance(600)  # past the lease: in doubt, not settled yet
    sync = engine(store, systems, clock, config=cfg, lease_seconds=300)
    assert sync.capture("parties").stats.jobs == 0, "the copy was planned as a new record"
    sync.run_cycle("parties")
    _assert_one_linked_copy(systems, sync, crm_id, "Alpha", "https://alpha.example")
    assert _named(systems, "crm", "Alpha") == [crm_id], "copied back"
    assert len(sync.links("parties")) == 2 and sync.dead_letters() == []
