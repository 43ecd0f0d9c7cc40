"""Time entries find their Tryton project by name (and party): a work of type 'project' before a
task of the same name; several projects left are an error naming them, never a guess."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from syncline.connectors.base import WriteOp, WriteRequest, WriteResult
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import PermanentError
from syncline.model import TimeEntry

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _party(connector: TrytonConnector, name: str) -> int:
    (party,) = connector.client.create("party.party", [{"name": name}])
    return int(party)


def _work(connector: TrytonConnector, name: str, kind: str, **values: Any) -> int:
    """A new project work of that name and type, open for timesheets unless told."""
    (work,) = connector.client.create(
        "project.work",
        [{"name": name, "type": kind, "timesheet_available": True, **values}],
    )
    return int(work)


def _book(connector: TrytonConnector, entry: TimeEntry) -> WriteResult:
    request = WriteRequest(WriteOp.CREATE, "time_entry", f"t-{uuid.uuid4()}", data=entry)
    (result,) = connector.write("time_entry", [request])
    return result


def _work_of(connector: TrytonConnector, line: str | None) -> int:
    """The project work a timesheet line is booked on."""
    client = connector.client
    (row,) = client.read("timesheet.line", [int(str(line))], ["work"])
    (work,) = client.read("timesheet.work", [int(row["work"])], ["origin"])
    return int(str(work["origin"]).split(",")[1])


def _booked_on(connector: TrytonConnector, works: list[int]) -> list[int]:
    origins = [f"project.work,{w}" for w in works]
    return connector.client.search("timesheet.line", [("work.origin", "in", origins)])


def _entry(party: int | None, project: str, phase: str | None = None) -> TimeEntry:
    return TimeEntry(
        party_id=str(party) if party is not None else None,
        project=project,
        phase=phase,
        work_date=date(2026, 11, 2),
        minutes=60,
        description="CRM time 2026-11",
        employee="Jonas Petersen",
    )


def test_the_project_is_chosen_over_an_older_task_of_the_same_name_and_party(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Website {uuid.uuid4().hex[:8]}"
    party = _party(tryton_connector, f"{name} GmbH")
    other = _work(tryton_connector, f"Intranet {name}", "project", party=party)
    # Older (a lower id, so first in Tryton's order) and of the same party: a project that
    # became a task keeps its party.
    task = _work(tryton_connector, name, "task", parent=other, party=party)
    _work(tryton_connector, "Design", "task", parent=task)
    project = _work(tryton_connector, name, "project", party=party)
    design = _work(tryton_connector, "Design", "task", parent=project)
    assert task < project

    result = _book(tryton_connector, _entry(party, name))
    assert result.ok, result.error
    assert _work_of(tryton_connector, result.native_id) == project
    # A phase is looked for below the chosen project alone: the task's "Design" is no rival.
    phased = _book(tryton_connector, _entry(party, name, "Design"))
    assert phased.ok, phased.error
    assert _work_of(tryton_connector, phased.native_id) == design


def test_two_projects_of_the_same_name_and_party_are_an_error_naming_them(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Relaunch {uuid.uuid4().hex[:8]}"
    party = _party(tryton_connector, f"{name} AG")
    first = _work(tryton_connector, name, "project", party=party)
    second = _work(tryton_connector, name, "project", party=party)
    # Only the second has the phase: still no guess.
    design = _work(tryton_connector, "Design", "task", parent=second)

    for entry in (_entry(party, name), _entry(party, name, "Design")):
        result = _book(tryton_connector, entry)

        assert isinstance(result.error, PermanentError), result
        assert result.error.field == "project"
        assert (
            f"Tryton has 2 projects named {name!r} for party {party} ({name} AG): "
            f"project.work {first}, project.work {second}; give them different names in Tryton"
        ) in str(result.error)
    assert not _booked_on(tryton_connector, [first, second, design])


def test_without_a_party_same_named_projects_of_two_customers_are_an_error(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Wartung {uuid.uuid4().hex[:8]}"
    north = _party(tryton_connector, f"Nord {name}")
    south = _party(tryton_connector, f"Süd {name}")
    north_project = _work(tryton_connector, name, "project", party=north)
    south_project = _work(tryton_connector, name, "project", party=south)

    result = _book(tryton_connector, _entry(None, name))

    assert isinstance(result.error, PermanentError), result
    assert (
        f"Tryton has 2 projects named {name!r} for any party (the time entry names none): "
        f"project.work {north_project}, project.work {south_project}"
    ) in str(result.error)
    assert not _booked_on(tryton_connector, [north_project, south_project])
    # The party tells them apart.
    booked = _book(tryton_connector, _entry(south, name))
    assert booked.ok, booked.error
    assert _work_of(tryton_connector, booked.native_id) == south_project


def test_a_task_alone_of_the_name_is_booked_on_and_two_are_an_error(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Schulung {uuid.uuid4().hex[:8]}"
    party = _party(tryton_connector, f"{name} KG")
    task = _work(tryton_connector, name, "task", party=party)

    result = _book(tryton_connector, _entry(party, name))
    assert result.ok, result.error
    assert _work_of(tryton_connector, result.native_id) == task

    again = _work(tryton_connector, name, "task", party=party)
    error = _book(tryton_connector, _entry(party, name)).error
    assert isinstance(error, PermanentError)
    assert f"Tryton has 2 works named {name!r}" in str(error)
    assert f"project.work {task}, project.work {again}" in str(error)


def test_a_project_closed_for_timesheets_is_not_replaced_by_a_task_of_its_name(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Umzug {uuid.uuid4().hex[:8]}"
    party = _party(tryton_connector, f"{name} GmbH")
    other = _work(tryton_connector, f"Lager {name}", "project", party=party)
    task = _work(tryton_connector, name, "task", parent=other, party=party)
    closed = _work(tryton_connector, name, "project", party=party, timesheet_available=False)

    result = _book(tryton_connector, _entry(party, name))

    assert isinstance(result.error, PermanentError), result
    assert result.error.field == "project"
    assert f"Tryton has no project {name!r} open for timesheets" in str(result.error)
    assert not _booked_on(tryton_connector, [task, closed])
