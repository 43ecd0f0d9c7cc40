"""Time entries on project phases: a phase is a sub-work at any depth below the Tryton project,
named in any case and spacing; a name that fits several sub-works is an error; what reads back
finds the same sub-work again."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from syncline.connectors.base import WriteOp, WriteRequest, WriteResult
from syncline.connectors.tryton import TrytonConnector
from syncline.errors import PermanentError
from syncline.model import TimeEntry

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _project(connector: TrytonConnector, name: str) -> tuple[str, int]:
    """A new customer with a project of that name open for timesheets: party id, work id."""
    client = connector.client
    (party,) = client.create("party.party", [{"name": f"{name} GmbH"}])
    (work,) = client.create(
        "project.work",
        [{"name": name, "type": "project", "party": party, "timesheet_available": True}],
    )
    return str(party), work


def _task(connector: TrytonConnector, parent: int, name: str, *, timesheets: bool = True) -> int:
    (work,) = connector.client.create(
        "project.work",
        [{"name": name, "type": "task", "parent": parent, "timesheet_available": timesheets}],
    )
    return work


def _book(connector: TrytonConnector, entry: TimeEntry) -> WriteResult:
    request = WriteRequest(WriteOp.CREATE, "time_entry", f"t-{uuid.uuid4()}", data=entry)
    (result,) = connector.write("time_entry", [request])
    return result


def _booked(connector: TrytonConnector, entry: TimeEntry) -> str:
    result = _book(connector, entry)
    assert result.ok, result.error
    return str(result.native_id)


def _work_of(connector: TrytonConnector, line: str) -> int:
    """The project work a timesheet line is booked on."""
    client = connector.client
    (row,) = client.read("timesheet.line", [int(line)], ["work"])
    (work,) = client.read("timesheet.work", [int(row["work"])], ["origin"])
    return int(str(work["origin"]).split(",")[1])


def _read_back(connector: TrytonConnector, line: str) -> TimeEntry:
    (record,) = connector.read("time_entry", [line])
    assert isinstance(record.data, TimeEntry)
    return record.data


def _entry(party: str, project: str, phase: str | None, minutes: int = 90) -> TimeEntry:
    return TimeEntry(
        party_id=party,
        project=project,
        phase=phase,
        work_date=date(2026, 10, 31),
        minutes=minutes,
        description="CRM time 2026-10",
        employee="Jonas Petersen",
    )


def test_a_nested_sub_phase_is_booked_on_and_reads_back_with_the_top_project(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Relaunch {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    build = _task(tryton_connector, project, "Umsetzung", timesheets=False)
    backend = _task(tryton_connector, build, "Backend")

    line = _booked(tryton_connector, _entry(party, name, "Backend"))

    assert _work_of(tryton_connector, line) == backend
    back = _read_back(tryton_connector, line)
    assert (back.party_id, back.project, back.phase) == (party, name, "Backend")
    # What reads back books on the same sub-work again.
    again = _booked(tryton_connector, back.model_copy(update={"minutes": 15}))
    assert _work_of(tryton_connector, again) == backend


def test_a_line_booked_in_tryton_two_levels_below_the_project_reads_back_with_that_project(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Ausbau {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    design = _task(tryton_connector, _task(tryton_connector, project, "Konzept"), "Design")
    client = tryton_connector.client
    (timesheet,) = client.read("project.work", [design], ["timesheet_works"])
    (line,) = client.create(
        "timesheet.line",
        [{"work": timesheet["timesheet_works"][0], "employee": client.context["employee"],
          "date": date(2026, 10, 2), "duration": timedelta(hours=2)}],
    )  # fmt: skip

    back = _read_back(tryton_connector, str(line))

    assert (back.party_id, back.project, back.phase, back.minutes) == (party, name, "Design", 120)


def test_a_phase_named_in_another_case_and_spacing_finds_its_sub_work(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Rollout {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    concept = _task(tryton_connector, project, "Konzept Phase 1")

    line = _booked(tryton_connector, _entry(party, name, "  konzept   PHASE 1 "))

    assert _work_of(tryton_connector, line) == concept
    assert _read_back(tryton_connector, line).phase == "Konzept Phase 1"


def test_a_phase_naming_two_sub_works_is_an_error_naming_project_phase_and_works(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Migration {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    build = _task(tryton_connector, project, "Build", timesheets=False)
    test = _task(tryton_connector, project, "Test", timesheets=False)
    build_review = _task(tryton_connector, build, "Review")
    test_review = _task(tryton_connector, test, "Review")
    # A work closed for timesheets cannot take the time: it makes no ambiguity.
    closed = _task(tryton_connector, project, "Review", timesheets=False)
    # Nor does one below another project.
    _task(tryton_connector, _project(tryton_connector, f"Other {name}")[1], "Review")

    result = _book(tryton_connector, _entry(party, name, "review"))

    assert isinstance(result.error, PermanentError)
    assert result.error.field == "phase"
    message = str(result.error)
    assert f"phase 'review' of Tryton project {name!r} names 2 of its sub-works" in message
    assert f"'Build / Review' (project.work {build_review})" in message
    assert f"'Test / Review' (project.work {test_review})" in message
    assert "name the phase by its path, e.g. 'Build / Review'" in message
    # Nothing was booked, not even on the project itself.
    works = [project, build, test, build_review, test_review, closed]
    origins = [f"project.work,{w}" for w in works]
    assert not tryton_connector.client.search("timesheet.line", [("work.origin", "in", origins)])


def test_a_sub_work_whose_name_is_not_unique_reads_back_as_its_path_and_books_there_again(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Umbau {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    build_review = _task(tryton_connector, _task(tryton_connector, project, "Build"), "Review")
    test_review = _task(tryton_connector, _task(tryton_connector, project, "Test"), "Review")

    line = _booked(tryton_connector, _entry(party, name, "test/review"))

    assert _work_of(tryton_connector, line) == test_review
    back = _read_back(tryton_connector, line)
    assert (back.project, back.phase) == (name, "Test / Review")
    assert _work_of(tryton_connector, _booked(tryton_connector, back)) == test_review
    first = _booked(tryton_connector, _entry(party, name, "Build / Review"))
    assert _work_of(tryton_connector, first) == build_review
    # The parent phase, open for timesheets too, still reads back by its own name.
    build = _booked(tryton_connector, _entry(party, name, "build"))
    assert _read_back(tryton_connector, build).phase == "Build"


def test_a_phase_the_project_has_no_sub_work_for_is_booked_on_the_project(
    tryton_connector: TrytonConnector,
) -> None:
    name = f"Wartung {uuid.uuid4().hex[:8]}"
    party, project = _project(tryton_connector, name)
    _task(tryton_connector, _task(tryton_connector, project, "Konzept"), "Entwurf")

    line = _booked(tryton_connector, _entry(party, name, "Abnahme"))

    assert _work_of(tryton_connector, line) == project
    back = _read_back(tryton_connector, line)
    assert (back.party_id, back.project, back.phase) == (party, name, None)
