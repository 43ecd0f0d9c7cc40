"""The phase of BottleCRM time entries: the task the time was logged on, through httpx's
MockTransport (no server). The live proof is in ``test_live_time_entries.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from syncline.connectors.bottlecrm import BottleCrmConnector, BottleCrmSettings
from syncline.connectors.bottlecrm.custom_fields import DEFINITIONS_PATH
from syncline.connectors.bottlecrm.time_entries import EntryOwner, time_entry_from_native
from syncline.errors import PermanentError
from syncline.model import TimeEntry

PROJECT_ENTRIES: list[dict[str, object]] = [
    {"id": "e1", "task": "t1", "description": "Wireframes"},
    {"id": "e2", "task": "t2", "description": "Backend"},
    {"id": "e3", "task": "t3", "description": "Mockups"},
    {"id": "e4", "task": None, "description": "Abstimmung"},
]
TASKS: dict[str, dict[str, object]] = {
    "t1": {"title": "Design", "custom_fields": {"phase": "Konzept"}},
    "t2": {"title": "Umsetzung", "custom_fields": {"phase": "Bau"}},
    "t3": {"title": "Mockups", "custom_fields": {"phase": "Konzept"}},
}


def _stopped(row: dict[str, object]) -> dict[str, object]:
    return {
        **row,
        "started_at": "2026-10-05T08:00:00Z",
        "ended_at": "2026-10-05T09:00:00Z",
        "duration_minutes": 60,
        "billable": True,
    }


class FakeBottleCrm:
    """One case with untasked time and one project with time on three tasks."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if path == "/api/cases/":
            return httpx.Response(200, json={"cases": [{"id": "c1", "account": "a1"}]})
        if path == "/api/projects/":
            project = {"id": "p1", "account": {"id": "a2"}, "name": "Relaunch"}
            return httpx.Response(200, json={"projects": [project], "count": 1})
        if path == "/api/cases/c1/time-entries/":
            return httpx.Response(200, json=[_stopped({"id": "e0", "description": "Support"})])
        if path == "/api/projects/p1/time-entries/":
            return httpx.Response(200, json=[_stopped(r) for r in PROJECT_ENTRIES])
        if path == DEFINITIONS_PATH:
            defined = [
                {"target_model": "Task", "key": "phase"},
                {"target_model": "Lead", "key": "x"},
            ]
            return httpx.Response(200, json={"definitions": defined})
        if path == "/api/tasks/":
            rows = [{"id": i, "title": t["title"]} for i, t in TASKS.items()]
            return httpx.Response(200, json={"tasks": rows, "tasks_count": len(rows)})
        task = path.removeprefix("/api/tasks/").strip("/")
        if task in TASKS:
            return httpx.Response(200, json={"task_obj": {"id": task, **TASKS[task]}})
        return httpx.Response(404, json={"detail": "Not found."})


@pytest.fixture
def crm() -> Iterator[tuple[FakeBottleCrm, BottleCrmConnector]]:
    fake = FakeBottleCrm()
    settings = BottleCrmSettings(url="http://crm.test", token=SecretStr("bcrm_pat_x"))
    connector = BottleCrmConnector("crm", settings, transport=httpx.MockTransport(fake))
    yield fake, connector
    connector.close()


def _phases(pages: Iterator[list[tuple[dict[str, object], TimeEntry]]]) -> dict[str, str | None]:
    return {str(row["id"]): entry.phase for page in pages for row, entry in page}


def test_the_phase_is_the_title_of_the_task_from_one_task_listing(
    crm: tuple[FakeBottleCrm, BottleCrmConnector],
) -> None:
    fake, connector = crm
    phases = _phases(connector.time_entries.scan())
    assert phases == {"e0": None, "e1": "Design", "e2": "Umsetzung", "e3": "Mockups", "e4": None}
    assert fake.paths.count("/api/tasks/") == 1
    assert not [p for p in fake.paths if p.startswith("/api/tasks/t")]
    # The engine's scan and read see the same phase.
    [record] = connector.read("time_entry", ["e2"])
    assert isinstance(record.data, TimeEntry) and record.data.phase == "Umsetzung"


def test_a_task_custom_field_names_the_phase_shared_by_several_tasks(
    crm: tuple[FakeBottleCrm, BottleCrmConnector],
) -> None:
    fake, connector = crm
    phases = _phases(connector.time_entries.scan("phase"))
    assert phases == {"e0": None, "e1": "Konzept", "e2": "Bau", "e3": "Konzept", "e4": None}
    assert sorted(p for p in fake.paths if p.startswith("/api/tasks/")) == [
        "/api/tasks/t1/",
        "/api/tasks/t2/",
        "/api/tasks/t3/",
    ]
    # A field BottleCRM does not define for tasks is refused, not read as "no phase".
    fake.paths.clear()
    with pytest.raises(PermanentError, match="no task custom field 'milestone'"):
        _phases(connector.time_entries.scan("milestone"))
    assert fake.paths == [DEFINITIONS_PATH], "refused before reading any time"


def test_time_entry_from_native_takes_the_phase_of_its_task() -> None:
    owner = EntryOwner("/api/projects/p1/time-entries/", "a2", project="Relaunch")
    entry = time_entry_from_native(_stopped(PROJECT_ENTRIES[0]), owner, " Design ")
    assert entry is not None
    assert (entry.project, entry.phase, entry.work_date, entry.minutes) == (
        "Relaunch",
        "Design",
        date(2026, 10, 5),
        60,
    )
    untasked = time_entry_from_native(_stopped(PROJECT_ENTRIES[3]), owner, " ")
    assert untasked is not None and untasked.phase is None  # a blank phase is no phase
