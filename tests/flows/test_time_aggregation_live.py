"""Time aggregation end to end: BottleCRM project time becomes one Tryton timesheet line per
month and group (project and phase: the task the time was logged on), booked on the Tryton
project's sub-work of the phase where there is one, and time logged late is booked as a
correction in the next run."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from syncline.connectors.bottlecrm import BottleCrmConnector
from syncline.connectors.tryton import TrytonConnector
from syncline.flows.base import RunOptions
from syncline.flows.erp_tryton import TrytonSide
from syncline.flows.linking import map_sides, record_link
from syncline.flows.time_aggregation import TimeAggregation, group_key
from syncline.model import Party, TimeEntry
from syncline.store import Store
from tests.flows.scenario import CONFIG, flow_named
from tests.support.crm_records import log_time, new_account, new_project, new_task

pytestmark = [pytest.mark.integration, pytest.mark.tryton, pytest.mark.bottlecrm]


def _project_of_a_linked_customer(
    flow_store: Store,
    tryton_connector: TrytonConnector,
    crm_connector: BottleCrmConnector,
    customer: str,
    project: str,
) -> tuple[int, str, str]:
    """A customer in both systems, linked, with a project of that name in each: the Tryton
    project work, the CRM account and the CRM project."""
    party = TrytonSide(tryton_connector).create_party(Party(name=customer))
    (work,) = tryton_connector.client.create(
        "project.work",
        [{"name": project, "type": "project", "party": int(party.id), "timesheet_available": True}],
    )
    account = new_account(crm_connector, customer)
    with flow_store.begin() as conn:
        record_link(conn, map_sides(CONFIG, "customers", "crm", "erp"), account, party.id,
                    origin="key", actor="test")  # fmt: skip
    return int(work), account, new_project(crm_connector, account, project)


def test_project_time_is_booked_per_month_once_and_late_time_as_a_correction(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    project = f"Rollout {tag}"
    erp = tryton_connector.client
    work, account, crm_project = _project_of_a_linked_customer(
        flow_store, tryton_connector, crm_connector, f"Stunden {tag} GmbH", project
    )
    log_time(crm_connector, crm_project, "2026-10-05T08:00:00+00:00", 90, "Workshop")
    log_time(crm_connector, crm_project, "2026-10-06T08:00:00+00:00", 60, "Schulung")

    flow = flow_named("hours", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, TimeAggregation)
    october = group_key("2026-10", account, project, None)
    mine = frozenset({october})
    assert flow.run(RunOptions(period="2026-10", keys=mine)).errors == []

    def lines() -> list[tuple[date, timedelta, str]]:
        rows = erp.search_read(
            "timesheet.line",
            [("work.origin", "=", f"project.work,{work}")],
            ["date", "duration", "description"],
            order=[("id", "ASC")],
        )
        return [(r["date"], r["duration"], r["description"].split(" [")[0]) for r in rows]

    assert lines() == [(date(2026, 10, 31), timedelta(minutes=150), "CRM time 2026-10")]
    assert flow.run(RunOptions(period="2026-10", keys=mine)).transitions == 0

    log_time(crm_connector, crm_project, "2026-10-20T08:00:00+00:00", 30, "Nachtrag")
    november = frozenset({october, group_key("2026-11", account, project, None)})
    assert flow.run(RunOptions(period="2026-11", keys=november)).errors == []
    assert lines() == [
        (date(2026, 10, 31), timedelta(minutes=150), "CRM time 2026-10"),
        (date(2026, 11, 30), timedelta(minutes=30), "CRM correction 2026-10"),
    ]
    assert flow.run(RunOptions(period="2026-11", keys=november)).transitions == 0
    assert len(lines()) == 2


def test_two_phases_of_a_project_in_one_month_are_two_lines_on_the_phase_work_where_it_exists(
    flow_store: Store, tryton_connector: TrytonConnector, crm_connector: BottleCrmConnector
) -> None:
    tag = uuid.uuid4().hex[:8]
    project = f"Relaunch {tag}"
    erp = tryton_connector.client
    work, account, crm_project = _project_of_a_linked_customer(
        flow_store, tryton_connector, crm_connector, f"Phasen {tag} GmbH", project
    )
    # The ERP plans the concept phase as a sub-work; the build phase it does not know.
    (concept,) = erp.create(
        "project.work",
        [{"name": "Konzept", "type": "task", "parent": work, "timesheet_available": True}],
    )
    konzept = new_task(crm_connector, crm_project, "Konzept")
    umsetzung = new_task(crm_connector, crm_project, "Umsetzung")
    log_time(crm_connector, crm_project, "2026-10-05T08:00:00+00:00", 90, "Workshop",
             task=konzept)  # fmt: skip
    log_time(crm_connector, crm_project, "2026-10-06T08:00:00+00:00", 60, "Entwurf",
             task=konzept)  # fmt: skip
    log_time(crm_connector, crm_project, "2026-10-07T08:00:00+00:00", 120, "Backend",
             task=umsetzung)  # fmt: skip

    flow = flow_named("hours", flow_store, tryton_connector, crm_connector)
    assert isinstance(flow, TimeAggregation)
    keys = frozenset(group_key("2026-10", account, project, p) for p in ("Konzept", "Umsetzung"))
    assert flow.run(RunOptions(period="2026-10", keys=keys)).errors == []

    rows = erp.search_read(
        "timesheet.line",
        [("work.origin", "in", [f"project.work,{work}", f"project.work,{concept}"])],
        ["work.origin", "duration", "description"],
        order=[("id", "ASC")],
    )
    assert len(rows) == 2
    assert {
        (r["work."]["origin"], r["duration"], r["description"].split(" [")[0]) for r in rows
    } == {
        (f"project.work,{concept}", timedelta(minutes=150), "CRM time 2026-10 phase Konzept"),
        (f"project.work,{work}", timedelta(minutes=120), "CRM time 2026-10 phase Umsetzung"),
    }
    # Read back through the connector, the sub-work is the phase of its project.
    booked = {
        r.data.phase: r.data.project
        for r in tryton_connector.read("time_entry", [str(r["id"]) for r in rows])
        if isinstance(r.data, TimeEntry)
    }
    assert booked == {"Konzept": project, None: project}
    assert flow.run(RunOptions(period="2026-10", keys=keys)).transitions == 0
