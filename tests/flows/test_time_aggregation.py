"""Time aggregation on in-memory systems: sums per customer, project, phase and month, each
period booked once, late entries booked as corrections in the next run."""

from __future__ import annotations

from datetime import date

import pytest

from syncline.flows.base import RunOptions
from syncline.flows.ledger import get_item
from syncline.flows.linking import map_sides, record_link
from syncline.flows.time_aggregation import TimeAggregation, group_key
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import TimeAggregationConfig
from syncline.model import Party, TimeEntry
from syncline.store import Store
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
