"""BottleCRM time entries (on cases and on projects) -> canonical ``TimeEntry`` (read only).

BottleCRM has no list of all time entries and no detail read of one: entries are listed per
case (``/api/cases/<id>/time-entries/``) and per project. So a scan lists the cases and
projects and reads their entries (in parallel), and a read by id is a scan filtered to the ids.
Only stopped entries are reported (a running timer has no duration yet). Entries send no
webhooks: scan only, versioned by ``updated_at``.

``party_id`` is the account of the entry's case or project, ``project`` the project's name,
``employee`` the e-mail of the person who logged the time. ``phase`` is the task the time was
logged on: BottleCRM lets project time name one of the project's tasks (case time cannot),
and has no phase, milestone or activity type of its own. By default the phase is the task's
title; with ``phase_field`` it is the task's value of that custom field (tasks carry custom
fields, time entries do not), so many small tasks can share one phase. Time on no task, or on
a task without that value, has no phase.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from syncline.connectors.bottlecrm.client import BottleCrmClient, Json, ListShape, dig
from syncline.connectors.bottlecrm.custom_fields import defined
from syncline.connectors.bottlecrm.resources import clean, id_of, parse_time
from syncline.errors import PermanentError
from syncline.model import TimeEntry

ENTITY = "time_entry"
CASES_SHAPE = (ListShape(("cases",), count=("cases_count",)),)
PROJECTS_SHAPE = (ListShape(("projects",), count=("count",)),)
TASKS_SHAPE = (ListShape(("tasks",), count=("tasks_count",)),)
TASK = "Task"  # the custom-field target of tasks


@dataclass(frozen=True)
class EntryOwner:
    """A case or project whose time entries are listed."""

    path: str
    party_id: str | None
    case_id: str | None = None
    project: str | None = None


def time_entry_from_native(
    record: Json, owner: EntryOwner, phase: str | None = None
) -> TimeEntry | None:
    """A stopped BottleCRM time entry as a canonical TimeEntry; None for a running timer.

    ``phase`` is the phase of the entry's task (see :class:`TaskPhases`)."""
    started = parse_time(record.get("started_at"))
    minutes = record.get("duration_minutes")
    if started is None or record.get("ended_at") in (None, "") or minutes is None:
        return None
    email = dig(record, ("profile", "user_details", "email"))
    return TimeEntry(
        party_id=owner.party_id,
        project=owner.project,
        phase=clean(phase),
        case_id=owner.case_id,
        work_date=started.date(),
        minutes=int(minutes),
        billable=bool(record.get("billable")),
        description=str(record.get("description") or ""),
        employee=clean(email),
        recorded_at=parse_time(record.get("created_at")),
    )


class TaskPhases:
    """The phase of each task time is logged on, read once per scan.

    Without ``phase_field`` the phase is the task's title (one listing of all tasks, made the
    first time a task is asked for); with it, the task's value of that custom field (one
    detail read per task, as BottleCRM's task list leaves the custom fields out).
    """

    def __init__(self, client: BottleCrmClient, phase_field: str | None = None) -> None:
        self.client = client
        self.phase_field = phase_field
        self._known: dict[str, str | None] = {}
        self._listed = False

    def check(self) -> None:
        """PermanentError when ``phase_field`` is no task custom field BottleCRM defines: its
        values would be dropped, and every entry would silently go without a phase."""
        if self.phase_field is not None and (TASK, self.phase_field) not in defined(self.client):
            raise PermanentError(
                f"BottleCRM defines no task custom field {self.phase_field!r} (the time "
                "aggregation's phase_field); define it under Settings -> Custom fields for "
                "Task, or leave phase_field out to take the task's title",
                system=self.client.system,
                field="phase",
            )

    def of(self, task_ids: Collection[str]) -> dict[str, str | None]:
        """The phase of each task (None: the task is gone or names no phase)."""
        wanted = [t for t in task_ids if t not in self._known]
        if wanted and self.phase_field is None and not self._listed:
            self._listed = True
            for page in self.client.pages("/api/tasks/", TASKS_SHAPE, {"slim": "true"}):
                self._known.update({str(t["id"]): clean(t.get("title")) for t in page})
        elif wanted and self.phase_field is not None:
            found = self.client.map_concurrently(self._field_of, wanted)
            self._known.update(zip(wanted, found, strict=True))
        return {t: self._known.get(t) for t in task_ids}

    def _field_of(self, task_id: str) -> str | None:
        body = self.client.get_optional(f"/api/tasks/{task_id}/")
        values = dig(body, ("task_obj", "custom_fields"))
        return clean(values.get(self.phase_field)) if isinstance(values, dict) else None


class TimeEntryReader:
    """Scans the time entries of one BottleCRM."""

    def __init__(self, client: BottleCrmClient) -> None:
        self.client = client

    def owners(self) -> list[EntryOwner]:
        """Every case and project, with the path of its time entries."""
        found: list[EntryOwner] = []
        for page in self.client.pages("/api/cases/", CASES_SHAPE, {"slim": "true"}):
            for case in page:
                case_id = str(case["id"])
                found.append(
                    EntryOwner(
                        f"/api/cases/{case_id}/time-entries/",
                        id_of(case.get("account")),
                        case_id=case_id,
                    )
                )
        for page in self.client.pages("/api/projects/", PROJECTS_SHAPE):
            for project in page:
                found.append(
                    EntryOwner(
                        f"/api/projects/{project['id']}/time-entries/",
                        id_of(project.get("account")),
                        project=clean(project.get("name")),
                    )
                )
        return found

    def _rows(self, owner: EntryOwner) -> list[tuple[Json, EntryOwner]]:
        body = self.client.request("GET", owner.path, missing_ok=True) or {}
        rows = body.get("results")
        return (
            [(row, owner) for row in rows if isinstance(row, dict)]
            if isinstance(rows, list)
            else []
        )

    def scan(self, phase_field: str | None = None) -> Iterator[list[tuple[Json, TimeEntry]]]:
        """Pages of (native row, canonical entry), one page per batch of owners.

        ``phase_field``: the task custom field naming the phase (None: the task's title)."""
        phases = TaskPhases(self.client, phase_field)
        phases.check()
        owners = self.owners()
        step = max(self.client.settings.write_concurrency * 8, 1)
        for start in range(0, len(owners), step):
            batch = owners[start : start + step]
            rows = [
                pair for found in self.client.map_concurrently(self._rows, batch) for pair in found
            ]
            names = phases.of({task for row, _ in rows if (task := id_of(row.get("task")))})
            page = []
            for row, owner in rows:
                task = id_of(row.get("task"))
                entry = time_entry_from_native(row, owner, names.get(task) if task else None)
                if entry is not None:
                    page.append((row, entry))
            if page:
                yield page

    def read(self, native_ids: Sequence[str]) -> list[tuple[Json, TimeEntry]]:
        """The entries with the given ids (a filtered scan; see the module docstring)."""
        wanted = set(native_ids)
        return [pair for page in self.scan() for pair in page if str(pair[0].get("id")) in wanted]
