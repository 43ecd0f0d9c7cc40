"""Optimistic re-reads, echo suppression, dry runs and parent-before-child ordering."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.store.cursors import load_cursor
from syncline.store.outbox import list_jobs
from syncline.sync import SyncEngine
from tests.support.sqltables import contact_system
from tests.sync.harness import FakeClock, Outage, Systems, Tables, config, engine


def _linked(
    store: Store, tmp_path: Path, **map_options: Any
) -> tuple[Systems, SyncEngine, Outage, str, str]:
    systems = Systems(tmp_path)
    erp = Outage(systems.conn["erp"])
    crm_id = systems.create("crm", name="Alpha", vat_id="DE1")
    sync = engine(store, systems, FakeClock(), config=config(**map_options),
                  connectors={"crm": systems.conn["crm"], "erp": erp})  # fmt: skip
    sync.run_cycle("parties")
    erp.writes.clear()
    return systems, sync, erp, crm_id, systems.by_vat("erp")["DE1"][0]


def test_a_target_changed_after_planning_is_re_read_and_re_planned(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha GmbH")
    assert sync.capture("parties").stats.jobs == 1  # planned against the ERP's old version
    systems.edit("erp", erp_id, website="https://alpha.no")  # an ERP user, before delivery
    report = sync.deliver("parties")
    # re-planned: the name goes to the ERP, the ERP's new website to the CRM
    assert (report.replanned, report.delivered) == (1, 2)
    erp = systems.rows("erp")[erp_id]
    assert (erp.name, erp.website) == ("Alpha GmbH", "https://alpha.no"), "newer value kept"
    assert systems.rows("crm")[crm_id].website == "https://alpha.no"
    assert sync.run_cycle("parties").planned_writes == 0


def test_a_newer_value_of_the_same_field_is_never_overwritten(store: Store, tmp_path: Path) -> None:
    systems, sync, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha GmbH")
    sync.capture("parties")
    systems.edit("erp", erp_id, name="Alpha AS")
    report = sync.deliver("parties")
    assert (report.replanned, report.delivered) == (1, 0)
    assert systems.rows("erp")[erp_id].name == "Alpha AS"
    (item,) = sync.conflicts()
    assert (item.value_a, item.value_b) == ("Alpha GmbH", "Alpha AS")


def test_a_change_racing_the_write_itself_is_caught_by_the_version_check(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, erp, crm_id, erp_id = _linked(store, tmp_path, conflict={"leading": "crm"})
    systems.edit("crm", crm_id, website="https://alpha.de")
    erp.before_write = lambda: systems.edit("erp", erp_id, name="Alpha AS")
    report = sync.run_cycle("parties")
    assert report.delivery.replanned == 1
    erp_party = systems.rows("erp")[erp_id]
    assert (erp_party.name, erp_party.website) == ("Alpha AS", "https://alpha.de")
    sync.run_cycle("parties")
    assert systems.rows("crm")[crm_id].name == "Alpha AS"


def test_no_echo_a_written_record_read_back_plans_nothing(store: Store, tmp_path: Path) -> None:
    systems, sync, erp, crm_id, _ = _linked(store, tmp_path, overlap_seconds=5)
    systems.edit("crm", crm_id, name="Alpha GmbH")
    assert sync.run_cycle("parties").delivery.delivered == 1
    writes = len(erp.writes)
    for _ in range(3):
        report = sync.run_cycle("parties")
        assert report.planned_writes == 0 and report.delivery.delivered == 0
    echo = sync.run_cycle("parties")
    assert echo.capture.stats.jobs == 0 and len(erp.writes) == writes


def test_plan_lists_only_the_writes_the_cycle_would_leave_queued(
    store: Store, tmp_path: Path
) -> None:
    systems, sync, _, crm_id, erp_id = _linked(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha GmbH")
    # the ERP's page turns the name into a conflict: the CRM page's write of it is replaced
    systems.edit("erp", erp_id, name="Alpha AS", website="https://alpha.no")
    planned = [(j.op, j.target_system, j.fields) for j in sync.plan("parties").jobs]
    assert planned == [("update", "crm", ["website"])]
    sync.capture("parties")
    with store.begin() as conn:
        queued = [(j.op, j.target_system, j.fields) for j in list_jobs(conn, "pending")]
    assert queued == planned


def test_plan_is_a_dry_run_that_stores_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    systems, sync, erp, crm_id, erp_id = _linked(store, tmp_path)
    systems.edit("crm", crm_id, name="Alpha GmbH")
    systems.create("crm", name="Beta", vat_id="DE2")
    with store.begin() as conn:
        jobs_before = list_jobs(conn)
        cursor_before = load_cursor(conn, "parties", "crm", "party")
    links_before = sync.links()
    for _ in range(2):  # repeatable: nothing moved
        plan = sync.plan("parties")
        assert sorted((j.op, j.target_system) for j in plan.jobs) == [
            ("create", "erp"),
            ("update", "erp"),
        ]
        update_job = next(j for j in plan.jobs if j.op == "update")
        assert update_job.fields == ["name"] and update_job.native_id == erp_id
    with store.begin() as conn:
        assert list_jobs(conn) == jobs_before
        assert load_cursor(conn, "parties", "crm", "party") == cursor_before
    assert sync.links() == links_before and erp.writes == []
    assert set(systems.by_vat("erp")) == {"DE1"}
    assert systems.rows("erp")[erp_id].name == "Alpha"
    report = sync.run_cycle("parties")
    assert report.delivery.delivered == 2
    assert systems.by_vat("erp")["DE2"][1].name == "Beta"


def _two_maps(tmp_path: Path) -> tuple[SynclineConfig, dict[str, Tables], dict[str, Any]]:
    systems = Systems(tmp_path)
    contacts = {s: contact_system(s, f"sqlite:///{tmp_path / f'{s}-contacts.db'}") for s in
                ("crm", "erp")}  # fmt: skip
    tables = {s: Tables(s, {"party": systems.conn[s], "contact": contacts[s]}) for s in contacts}
    maps = config().model_dump(mode="json")
    maps["maps"].insert(
        0,
        {
            "name": "contacts",
            "entity": "contact",
            "a": "crm",
            "b": "erp",
            "only_listed_fields": True,
            "fields": [{"field": f} for f in ("first_name", "last_name", "party_id", "email")],
            "match": {"keys": ["email"]},
            "overlap_seconds": 0,
        },
    )
    return SynclineConfig.model_validate(maps), tables, {"systems": systems, **contacts}


def _add_contact(tables: dict[str, Tables], system: str, party_id: str, email: str) -> None:
    table = tables[system].tables["contact"]
    with table.engine.begin() as db:
        db.execute(
            insert(table.table),
            {
                "first_name": "Eva",
                "last_name": "Berg",
                "party_id": party_id,
                "email": email,
                "active": True,
                "deleted": False,
                "modified_at": _now(),
            },
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the tables store naive UTC


def _erp_contacts(tables: dict[str, Tables]) -> dict[str, str | None]:
    table = tables["erp"].tables["contact"]
    with table.engine.connect() as db:
        rows = db.execute(select(table.table.c.email, table.table.c.party_id)).all()
    return {str(email): party for email, party in rows}


def test_a_child_waits_for_its_parent_and_never_writes_a_dangling_reference(
    store: Store, tmp_path: Path
) -> None:
    cfg, tables, extra = _two_maps(tmp_path)
    systems: Systems = extra["systems"]
    clock = FakeClock()
    sync = SyncEngine(store, cfg, tables, clock=clock, seed=1)
    party = systems.create("crm", name="Alpha", vat_id="DE1")
    _add_contact(tables, "crm", party, "eva@alpha.de")
    # the contact's map runs first: its parent is not linked yet, so its create waits
    report = sync.run_cycle("contacts")
    assert (report.delivery.waiting, report.delivery.delivered) == (1, 0)
    assert _erp_contacts(tables) == {}
    sync.capture("parties")  # the parent is planned, not yet delivered
    clock.advance(2)
    assert sync.deliver("contacts").delivered == 0 and _erp_contacts(tables) == {}
    sync.deliver("parties")
    erp_party = systems.by_vat("erp")["DE1"][0]
    clock.advance(2)
    assert sync.deliver("contacts").delivered == 1
    assert _erp_contacts(tables) == {"eva@alpha.de": erp_party}


def test_a_child_follows_its_parent_when_the_parents_create_is_replaced_or_dead(
    store: Store, tmp_path: Path
) -> None:
    cfg, tables, extra = _two_maps(tmp_path)
    systems: Systems = extra["systems"]
    clock = FakeClock()
    sync = SyncEngine(store, cfg, tables, clock=clock, seed=1)
    party = systems.create("crm", name="Alpha", vat_id="DE1")
    _add_contact(tables, "crm", party, "eva@alpha.de")
    sync.capture("parties")
    sync.capture("contacts")  # waits on the party's create
    systems.edit("crm", party, name="Alpha GmbH")
    sync.capture("parties")  # a second create replaces the first before it is sent
    clock.advance(2)
    sync.run_all()
    clock.advance(2)
    sync.run_all()
    assert _erp_contacts(tables) == {"eva@alpha.de": systems.by_vat("erp")["DE1"][0]}
    # a parent whose create the ERP refused: the child waits on that dead letter, not spinning
    party = systems.create("crm", name="Beta", vat_id="NO2")
    _add_contact(tables, "crm", party, "ola@beta.no")
    systems.execute("erp", "CREATE TRIGGER no_beta BEFORE INSERT ON parties "
                    "WHEN NEW.name = 'Beta' BEGIN SELECT RAISE(ABORT, 'no Beta'); END")  # fmt: skip
    clock.advance(60)
    sync.run_all()
    clock.advance(60)
    sync.run_all()
    with store.begin() as conn:
        (dead,) = list_jobs(conn, "dead")
        waiting = [j for j in list_jobs(conn, "pending") if j.map_name == "contacts"]
    assert [j.depends_on for j in waiting] == [dead.id]
    assert "ola@beta.no" not in _erp_contacts(tables)
    systems.execute("erp", "DROP TRIGGER no_beta")
    sync.retry_dead_letter(dead.id)
    clock.advance(60)
    sync.run_all()
    clock.advance(60)
    sync.run_all()
    assert _erp_contacts(tables)["ola@beta.no"] == systems.by_vat("erp")["NO2"][0]


def test_a_full_pass_syncs_parents_before_children(store: Store, tmp_path: Path) -> None:
    cfg, tables, extra = _two_maps(tmp_path)
    systems: Systems = extra["systems"]
    sync = SyncEngine(store, cfg, tables, clock=FakeClock(), seed=1)
    party = systems.create("crm", name="Alpha", vat_id="DE1")
    _add_contact(tables, "crm", party, "eva@alpha.de")
    reports = sync.run_all()
    assert [r.map_name for r in reports] == ["parties", "contacts"]
    assert _erp_contacts(tables) == {"eva@alpha.de": systems.by_vat("erp")["DE1"][0]}
    # a contact moved to another party in the ERP follows in the CRM, through the links
    other = systems.create("erp", name="Beta", vat_id="NO2")
    sync.run_all()
    table = tables["erp"].tables["contact"]
    with table.engine.begin() as db:
        db.execute(update(table.table).values(party_id=other, modified_at=_now()))
    sync.run_all()
    crm_contact = tables["crm"].tables["contact"]
    with crm_contact.engine.connect() as db:
        moved_to = db.execute(select(crm_contact.table.c.party_id)).scalar_one()
    assert moved_to == systems.by_vat("crm")["NO2"][0]
    assert all(r.planned_writes == 0 for r in sync.run_all())
    assert list(_erp_contacts(tables)) == ["eva@alpha.de"], "moved, not duplicated"


def test_a_reference_no_map_joins_is_not_shared(store: Store, tmp_path: Path) -> None:
    """Without the parties' map, a contact's party_id is a CRM id that names nothing in the
    ERP: the contact is copied without it, and an ERP party set later is not overwritten."""
    cfg, tables, extra = _two_maps(tmp_path)
    alone = cfg.model_copy(update={"maps": [m for m in cfg.maps if m.name == "contacts"]})
    systems: Systems = extra["systems"]
    sync = SyncEngine(store, alone, tables, clock=FakeClock(), seed=1)
    party = systems.create("crm", name="Alpha", vat_id="DE1")
    _add_contact(tables, "crm", party, "eva@alpha.de")
    assert sync.run_cycle("contacts").delivery.delivered == 1
    assert _erp_contacts(tables) == {"eva@alpha.de": None}
    erp_party = systems.create("erp", name="Alpha", vat_id="DE1")
    table = tables["erp"].tables["contact"]
    with table.engine.begin() as db:
        db.execute(update(table.table).values(party_id=erp_party, modified_at=_now()))
    sync.run_cycle("contacts")
    assert _erp_contacts(tables) == {"eva@alpha.de": erp_party}
    assert sync.run_cycle("contacts").planned_writes == 0
