"""The audit trail: one event per applied change, per field where a field changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection, RowMapping

from syncline.store.bulk import insert_rows
from syncline.store.schema import audit_events
from syncline.store.types import utcnow

REASONS = (
    "sync",
    "create",
    "delete",
    "archive",
    "conflict_policy",
    "manual_resolution",
    "ownership_revert",
    "ownership_flag",
    "link",
    "unlink",
    "skip",
    "flow",
)


@dataclass(frozen=True)
class AuditEvent:
    """When, which link and field, old and new value, source system and version, why, who."""

    id: int
    at: datetime
    map_name: str | None
    link_id: int | None
    entity: str | None
    field: str | None
    old_value: Any
    new_value: Any
    source_system: str | None
    source_version: str | None
    target_system: str | None
    reason: str
    actor: str
    job_id: int | None
    detail: str | None


_COLUMNS = tuple(c for c in AuditEvent.__dataclass_fields__ if c != "id")
_INDEX = {c: i for i, c in enumerate(_COLUMNS)}
_AT, _REASON, _ACTOR = _INDEX["at"], _INDEX["reason"], _INDEX["actor"]


def record_events(
    conn: Connection,
    events: Sequence[Mapping[str, Any]],
    shared: Mapping[str, Any] | None = None,
) -> None:
    """Insert audit events given as column dicts, each on top of the columns ``shared`` by
    all of them (a batch's map, systems, reason); ``at`` defaults to now."""
    if not events:
        return
    now = utcnow()
    common: list[Any] = [None] * len(_COLUMNS)
    for column, value in (shared or {}).items():
        if column in _INDEX:
            common[_INDEX[column]] = value
    rows = []
    for event in events:
        row = common.copy()
        for column, value in event.items():
            if column in _INDEX:
                row[_INDEX[column]] = value
        if row[_REASON] not in REASONS:
            raise ValueError(f"unknown audit reason {row[_REASON]!r}")
        row[_AT] = row[_AT] or now
        row[_ACTOR] = row[_ACTOR] or "syncline"
        rows.append(row)
    insert_rows(conn, audit_events, _COLUMNS, rows)


def _event(row: RowMapping) -> AuditEvent:
    return AuditEvent(**{k: row[k] for k in AuditEvent.__dataclass_fields__})


def _filtered(
    query: Select[Any],
    *,
    link_id: int | None,
    field: str | None,
    since: datetime | None,
    map_name: str | None,
    reason: str | None,
) -> Select[Any]:
    if link_id is not None:
        query = query.where(audit_events.c.link_id == link_id)
    if field is not None:
        query = query.where(audit_events.c.field == field)
    if since is not None:
        query = query.where(audit_events.c.at >= since)
    if map_name is not None:
        query = query.where(audit_events.c.map_name == map_name)
    if reason is not None:
        query = query.where(audit_events.c.reason == reason)
    return query


def query_events(
    conn: Connection,
    *,
    link_id: int | None = None,
    field: str | None = None,
    since: datetime | None = None,
    map_name: str | None = None,
    reason: str | None = None,
    limit: int = 1000,
    newest: bool = False,
) -> list[AuditEvent]:
    """Audit events, oldest first, filtered by link, field, time (UTC), map and reason: the
    first ``limit`` of them, or with ``newest`` the last ``limit`` (still oldest first)."""
    order = audit_events.c.id.desc() if newest else audit_events.c.id
    query = _filtered(
        select(audit_events).order_by(order).limit(limit),
        link_id=link_id, field=field, since=since, map_name=map_name, reason=reason,
    )  # fmt: skip
    events = [_event(r) for r in conn.execute(query).mappings()]
    return events[::-1] if newest else events


def count_events(
    conn: Connection,
    *,
    link_id: int | None = None,
    field: str | None = None,
    since: datetime | None = None,
    map_name: str | None = None,
    reason: str | None = None,
) -> int:
    """How many audit events pass the same filters as :func:`query_events`."""
    query = _filtered(
        select(func.count()).select_from(audit_events),
        link_id=link_id, field=field, since=since, map_name=map_name, reason=reason,
    )  # fmt: skip
    return int(conn.execute(query).scalar_one())


__all__ = ["REASONS", "AuditEvent", "count_events", "query_events", "record_events"]
