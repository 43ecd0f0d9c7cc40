"""Time aggregation on in-memory systems: sums per customer, project, phase and month, each
period booked once, late entries booked as corrections in the next run."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from syncline.flows.base import RunOptions
from syncline.flows.ledger import get_item, list_items
from syncline.flows.linking import map_sides, record_link
from syncline.flows.time_aggregation import TimeAggregation, group_key
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import TimeAggregationConfig
from syncline.model import Party, TimeEntry
from syncline.store import Store
from syncline.store.schema import flow_items
from tests.flows.fakes import FakeCrm, FakeErp

CONFIG = SynclineConfig.model_validate(
    {
        "systems": {"erp": {"type": "tryton"}, "crm": {"type": "bottlecrm"}},
        "maps": [{"name": "customers", "entity": "party", "a": "erp", "b": "crm"}],
        "flows": [{"name": "hours", "kind": "time_aggregation"}],
    }
)


def entry(day: int, minutes: int, project: str | None = "Rollout", month: int = 10) -> TimeEntry:
    return TimeEntry(party_id="acc1", project=project, work_date=date(2026, month, day),
                     minutes=minutes)  # fmt: skip


@pytest.fixture
def systems(flow_store: Store) -> tuple[FakeCrm, FakeErp, TimeAggregation]:
    crm, erp = FakeCrm(), FakeErp()
    erp.parties["10"] = Party(name="Nordwind GmbH")
    with flow_store.begin() as conn:
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), "acc1", "10",
                    origin="key", actor="test")  # fmt: skip
    cfg = CONFIG.flows[0]
    assert isinstance(cfg, TimeAggregationConfig)
    sides = map_sides(CONFIG, "customers", "crm", "erp")
    flow = TimeAggregation(cfg, flow_store, crm=crm, erp=erp, parties=sides)
    return crm, erp, flow


def booked(erp: FakeErp) -> list[tuple[str | None, date, int, str]]:
    return [(e.project, e.work_date, e.minutes, e.description) for e, _ in erp.timesheet.values()]


def test_each_group_of_a_period_is_booked_once(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    crm, erp, flow = systems
    crm.entries = [
        entry(1, 90), entry(2, 30), entry(3, 45, project=None),
        entry(4, 60, month=11),  # next period: not yet
        TimeEntry(party_id="acc1", project="Rollout", work_date=date(2026, 10, 5), minutes=600,
                  billable=False),
    ]  # fmt: skip
    october = RunOptions(period="2026-10")
    assert flow.run(october).errors == []
    assert sorted(booked(erp)) == [
        ("Rollout", date(2026, 10, 31), 120, "CRM time 2026-10"),
        ("Service Nordwind GmbH", date(2026, 10, 31), 45, "CRM time 2026-10"),
    ]
    assert flow.run(october).transitions == 0 and len(erp.timesheet) == 2


def test_late_entries_become_a_correction_in_the_next_run(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    crm, erp, flow = systems
    crm.entries = [entry(1, 90)]
    flow.run(RunOptions(period="2026-10"))
    crm.entries.append(entry(30, 15))  # logged late, for October
    crm.entries.append(entry(2, 60, month=11))
    assert flow.run(RunOptions(period="2026-11")).errors == []
    assert sorted(booked(erp)) == [
        ("Rollout", date(2026, 10, 31), 90, "CRM time 2026-10"),
        ("Rollout", date(2026, 11, 30), 15, "CRM correction 2026-10"),
        ("Rollout", date(2026, 11, 30), 60, "CRM time 2026-11"),
    ]
    markers = sorted(m for _, m in erp.timesheet.values())
    assert markers[0].endswith(group_key("2026-10", "acc1", "Rollout", None) + ":0")


def test_an_unlinked_customer_waits_and_removed_time_is_an_error(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    crm, erp, flow = systems
    crm.entries = [entry(1, 90), TimeEntry(party_id="acc9", work_date=date(2026, 10, 1),
                                           minutes=30)]  # fmt: skip
    flow.run(RunOptions(period="2026-10"))
    assert len(erp.timesheet) == 1
    with flow.store.begin() as conn:
        item = get_item(conn, "hours", group_key("2026-10", "acc9", None, None))
    assert item is not None and item.state == "pending"
    assert item.data["waiting"] == "the CRM account is not linked to an ERP party yet"
    crm.entries = [entry(1, 60)]
    report = flow.run(RunOptions(period="2026-11"))
    assert report.errors and "30 minute(s)" in report.errors[0]
    assert "correct the ERP timesheet by hand" in report.errors[0]


def test_two_phases_of_a_project_are_two_lines_that_name_their_phase(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    crm, erp, flow = systems
    design = [entry(1, 90), entry(2, 30)]
    crm.entries = [
        *(e.model_copy(update={"phase": "Design"}) for e in design),
        entry(3, 45).model_copy(update={"phase": "Build"}),
        entry(4, 15),  # time on no task: the project's own line
    ]
    assert flow.run(RunOptions(period="2026-10")).errors == []
    lines = {(e.project, e.phase, e.minutes, e.description) for e, _ in erp.timesheet.values()}
    assert lines == {
        ("Rollout", "Build", 45, "CRM time 2026-10 phase Build"),
        ("Rollout", "Design", 120, "CRM time 2026-10 phase Design"),
        ("Rollout", None, 15, "CRM time 2026-10"),
    }
    assert crm.phase_fields == [None]  # the default: the task's title is the phase


def test_phase_settings_reach_the_crm_and_phases_false_keeps_one_line_per_project(
    flow_store: Store,
) -> None:
    config = SynclineConfig.model_validate(
        {
            **CONFIG.model_dump(mode="json", exclude={"flows"}),
            "flows": [{"name": "hours", "kind": "time_aggregation", "phases": False,
                       "phase_field": "phase"}],
        }
    )  # fmt: skip
    cfg = config.flows[0]
    assert isinstance(cfg, TimeAggregationConfig)
    crm, erp = FakeCrm(), FakeErp()
    erp.parties["10"] = Party(name="Nordwind GmbH")
    sides = map_sides(config, "customers", "crm", "erp")
    with flow_store.begin() as conn:
        record_link(conn, sides, "acc1", "10", origin="key", actor="test")
    crm.entries = [entry(1, 90).model_copy(update={"phase": p}) for p in ("Design", "Build")]
    flow = TimeAggregation(cfg, flow_store, crm=crm, erp=erp, parties=sides)
    assert flow.run(RunOptions(period="2026-10")).errors == []
    assert crm.phase_fields == ["phase"]
    assert [(e.project, e.phase, e.minutes) for e, _ in erp.timesheet.values()] == [
        ("Rollout", None, 180)
    ]
    with pytest.raises(ValueError, match="phase_field"):
        TimeAggregationConfig(name="hours", phase_field="Phase Feld")


def _as_before_phases(store: Store) -> None:
    """Booked items as a version without phases left them: no ``phases`` in their data."""
    with store.begin() as conn:
        for item in list_items(conn, "hours", limit=None):
            data = {k: v for k, v in item.data.items() if k != "phases"}
            conn.execute(update(flow_items).where(flow_items.c.id == item.id).values(data=data))


def test_a_period_booked_without_phases_is_not_booked_again_by_phase(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    """Upgrading from a version without phases (or turning ``phases`` on) regroups nothing
    already booked: October stays one line, late October time corrects it, November is
    booked by phase."""
    crm, erp, flow = systems
    flow.config = flow.config.model_copy(update={"phases": False})
    crm.entries = [entry(1, 90).model_copy(update={"phase": p}) for p in ("Design", "Build")]
    assert flow.run(RunOptions(period="2026-10")).errors == []
    _as_before_phases(flow.store)
    flow.config = flow.config.model_copy(update={"phases": True})
    crm.entries += [
        entry(30, 15).model_copy(update={"phase": "Design"}),  # late, for October
        *(entry(2, 60, month=11).model_copy(update={"phase": p}) for p in ("Design", "Build")),
    ]
    assert flow.run(RunOptions(period="2026-11")).errors == []
    assert sorted((e.phase or "", e.minutes, e.description) for e, _ in erp.timesheet.values()) == [
        ("", 15, "CRM correction 2026-10"),
        ("", 180, "CRM time 2026-10"),
        ("Build", 60, "CRM time 2026-11 phase Build"),
        ("Design", 60, "CRM time 2026-11 phase Design"),
    ]
    assert flow.run(RunOptions(period="2026-11")).transitions == 0


def test_a_period_booked_by_phase_stays_by_phase_when_phases_are_turned_off(
    systems: tuple[FakeCrm, FakeErp, TimeAggregation],
) -> None:
    crm, erp, flow = systems
    crm.entries = [
        entry(1, 90).model_copy(update={"phase": "Design"}),
        entry(1, 30),  # no task: the project's own line, booked by phase all the same
    ]
    assert flow.run(RunOptions(period="2026-10")).errors == []
    flow.config = flow.config.model_copy(update={"phases": False})
    crm.entries += [
        entry(31, 10).model_copy(update={"phase": "Design"}),
        *(entry(2, 60, month=11).model_copy(update={"phase": p}) for p in ("Design", "Build")),
    ]
    assert flow.run(RunOptions(period="2026-11")).errors == []
    assert sorted((e.phase or "", e.minutes, e.description) for e, _ in erp.timesheet.values()) == [
        ("", 30, "CRM time 2026-10"),
        ("", 120, "CRM time 2026-11"),
        ("Design", 10, "CRM correction 2026-10 phase Design"),
        ("Design", 90, "CRM time 2026-10 phase Design"),
    ]
