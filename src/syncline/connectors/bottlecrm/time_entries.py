"""BottleCRM time entries (on cases and on projects) -> canonical ``TimeEntry`` (read only).

BottleCRM has no list of all time entries and no detail read of one: entries are listed per
case (``/api/cases/<id>/time-entries/``) and per project. So a scan lists the cases and
projects and reads their entries (in parallel), and a read by id is a scan filtered to the ids.
Only stopped entries are reported (a running timer has no duration yet). Entries send no
webhooks: scan only, versioned by ``updated_at``.

``party_id`` is the account of the entry's case or project, ``project`` the project's name,
``employee`` the e-mail of the person who logged the time; ``phase`` is not stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from syncline.connectors.bottlecrm.client import BottleCrmClient, Json, ListShape, dig
from syncline.connectors.bottlecrm.resources import clean, id_of, parse_time
from syncline.model import TimeEntry

ENTITY = "time_entry"
CASES_SHAPE = (ListShape(("cases",), count=("cases_count",)),)
PROJECTS_SHAPE = (ListShape(("projects",), count=("count",)),)


@dataclass(frozen=True)
class EntryOwner:
    """A case or project whose time entries are listed."""

    path: str
    party_id: str | None
    case_id: str | None = None
    project: str | None = None


def time_entry_from_native(record: Json, owner: EntryOwner) -> TimeEntry | None:
    """A stopped BottleCRM time entry as a canonical TimeEntry; None for a running timer."""
    started = parse_time(record.get("started_at"))
    minutes = record.get("duration_minutes")
    if started is None or record.get("ended_at") in (None, "") or minutes is None:
        return None
    email = dig(record, ("profile", "user_details", "email"))
    return TimeEntry(
        party_id=owner.party_id,
        project=owner.project,
        case_id=owner.case_id,
        work_date=started.date(),
        minutes=int(minutes),
        billable=bool(record.get("billable")),
        description=str(record.get("description") or ""),
        employee=clean(email),
        recorded_at=parse_time(record.get("created_at")),
    )


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

    def _entries(self, owner: EntryOwner) -> list[tuple[Json, TimeEntry]]:
        body = self.client.request("GET", owner.path, missing_ok=True) or {}
        rows = body.get("results")
        result = []
        for row in rows if isinstance(rows, list) else []:
            entry = time_entry_from_native(row, owner)
            if entry is not None:
                result.append((row, entry))
        return result

    def scan(self) -> Iterator[list[tuple[Json, TimeEntry]]]:
        """Pages of (native row, canonical entry), one page per batch of owners."""
        owners = self.owners()
        step = max(self.client.settings.write_concurrency * 8, 1)
        for start in range(0, len(owners), step):
            batch = owners[start : start + step]
            page = [
                pair
                for found in self.client.map_concurrently(self._entries, batch)
                for pair in found
            ]
            if page:
                yield page

    def read(self, native_ids: Sequence[str]) -> list[tuple[Json, TimeEntry]]:
        """The entries with the given ids (a filtered scan; see the module docstring)."""
        wanted = set(native_ids)
        return [pair for page in self.scan() for pair in page if str(pair[0].get("id")) in wanted]
