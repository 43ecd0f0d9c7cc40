"""Read-only queries over the state store tables for the API and the pages.

Nothing here writes; actions go through the sync engine's public API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from syncline.mapping import SynclineConfig
from syncline.store import map_status
from syncline.store.schema import (
    audit_events,
    circuits,
    conflicts,
    links,
    outbox,
    review_items,
    runs,
)
from syncline.web.schemas import (
    AuditOut,
    ConflictOut,
    DeadLetterOut,
    LinkOut,
    MapStatusOut,
    ReviewOut,
    RunOut,
    SeriesPoint,
    StatusOut,
    SyncHealthMap,
    SyncHealthReport,
    SystemOut,
)

CLOSED_STATES = ("done", "skipped", "superseded", "dead")


def status(conn: Connection, config: SynclineConfig) -> StatusOut:
    """Per map: health, last run, backlog, conflicts, dead letters, reviews, unreadable
    records; per system: circuit."""
    names = [m.name for m in config.maps]
    rows = map_status(conn, names)
    circuit_rows = {r["system"]: r for r in conn.execute(select(circuits)).mappings()}
    open_systems = {s for s, r in circuit_rows.items() if r["state"] != "closed"}
    maps = []
    for m, row in zip(config.maps, rows, strict=True):
        if row.last_run_state == "failed" or {m.a, m.b} & open_systems:
            health = "failing"
        elif row.dead_letters or row.open_conflicts or row.open_reviews or row.unreadable:
            health = "attention"
        elif row.last_run_state is None:
            health = "idle"
        else:
            health = "ok"
        maps.append(
            MapStatusOut(
                map_name=m.name,
                entity=m.entity,
                health=health,
                last_run_at=row.last_run_at,
                last_run_state=row.last_run_state,
                backlog=row.backlog,
                open_conflicts=row.open_conflicts,
                dead_letters=row.dead_letters,
                open_reviews=row.open_reviews,
                unreadable=row.unreadable,
            )
        )
    systems = [
        SystemOut(
            name=name,
            type=system.type,
            circuit=str(circuit_rows[name]["state"]) if name in circuit_rows else "closed",
            last_error=circuit_rows[name]["last_error"] if name in circuit_rows else None,
        )
        for name, system in config.systems.items()
    ]
    return StatusOut(maps=maps, systems=systems)


def _page(query: Select[Any], limit: int, offset: int) -> Select[Any]:
    return query.limit(limit).offset(offset)


def list_runs(conn: Connection, map_name: str | None, limit: int, offset: int = 0) -> list[RunOut]:
    query = select(runs).order_by(runs.c.id.desc())
    if map_name:
        query = query.where(runs.c.map_name == map_name)
    return [
        RunOut.model_validate(dict(r)) for r in conn.execute(_page(query, limit, offset)).mappings()
    ]


def list_links(
    conn: Connection, map_name: str | None, state: str | None, limit: int, offset: int = 0
) -> list[LinkOut]:
    query = select(links).order_by(links.c.id)
    if map_name:
        query = query.where(links.c.map_name == map_name)
    if state:
        query = query.where(links.c.state == state)
    return [
        LinkOut.model_validate(dict(r))
        for r in conn.execute(_page(query, limit, offset)).mappings()
    ]


def _conflict(row: dict[str, Any], config: SynclineConfig) -> ConflictOut:
    systems = {m.name: (m.a, m.b) for m in config.maps}
    a, b = systems.get(row["map_name"], (None, None))
    return ConflictOut.model_validate({**row, "system_a": a, "system_b": b})


def list_conflicts(
    conn: Connection,
    config: SynclineConfig,
    state: str | None,
    map_name: str | None,
    limit: int,
    *,
    offset: int = 0,
) -> list[ConflictOut]:
    query = select(conflicts).order_by(conflicts.c.id)
    if state:
        query = query.where(conflicts.c.state == state)
    if map_name:
        query = query.where(conflicts.c.map_name == map_name)
    rows = conn.execute(_page(query, limit, offset)).mappings()
    return [_conflict(dict(r), config) for r in rows]


def get_conflict(conn: Connection, config: SynclineConfig, conflict_id: int) -> ConflictOut | None:
    row = conn.execute(select(conflicts).where(conflicts.c.id == conflict_id)).mappings().first()
    return _conflict(dict(row), config) if row is not None else None


def list_reviews(
    conn: Connection, state: str | None, map_name: str | None, limit: int, offset: int = 0
) -> list[ReviewOut]:
    query = select(review_items).order_by(
        review_items.c.group_key, review_items.c.score.desc(), review_items.c.id
    )
    if state:
        query = query.where(review_items.c.state == state)
    if map_name:
        query = query.where(review_items.c.map_name == map_name)
    rows = conn.execute(_page(query, limit, offset)).mappings()
    return [ReviewOut.model_validate(dict(r)) for r in rows]


def get_review(conn: Connection, review_id: int) -> ReviewOut | None:
    row = (
        conn.execute(select(review_items).where(review_items.c.id == review_id)).mappings().first()
    )
    return ReviewOut.model_validate(dict(row)) if row is not None else None


def list_dead_letters(
    conn: Connection, map_name: str | None, limit: int, offset: int = 0
) -> list[DeadLetterOut]:
    query = select(outbox).where(outbox.c.state == "dead").order_by(outbox.c.id)
    if map_name:
        query = query.where(outbox.c.map_name == map_name)
    rows = conn.execute(_page(query, limit, offset)).mappings()
    return [DeadLetterOut.model_validate(dict(r)) for r in rows]


def get_job(conn: Connection, job_id: int) -> DeadLetterOut | None:
    row = conn.execute(select(outbox).where(outbox.c.id == job_id)).mappings().first()
    return DeadLetterOut.model_validate(dict(row)) if row is not None else None


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit search; None means "any"."""

    map_name: str | None = None
    link_id: int | None = None
    entity: str | None = None
    field: str | None = None
    reason: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search_audit(
    conn: Connection, where: AuditFilter, limit: int, offset: int = 0
) -> list[AuditOut]:
    """Audit events, newest first."""
    query = select(audit_events).order_by(audit_events.c.id.desc())
    columns = {
        "map_name": audit_events.c.map_name,
        "link_id": audit_events.c.link_id,
        "entity": audit_events.c.entity,
        "field": audit_events.c.field,
        "reason": audit_events.c.reason,
        "actor": audit_events.c.actor,
    }
    for name, column in columns.items():
        value = getattr(where, name)
        if value is not None and value != "":
            query = query.where(column == value)
    if where.since is not None:
        query = query.where(audit_events.c.at >= where.since)
    if where.until is not None:
        query = query.where(audit_events.c.at < where.until)
    rows = conn.execute(_page(query, limit, offset)).mappings()
    return [AuditOut.model_validate(dict(r)) for r in rows]


def recent_errors(conn: Connection, map_name: str, limit: int = 5) -> list[tuple[datetime, str]]:
    """The latest failed runs' and dead letters' messages of one map, newest first."""
    failed = conn.execute(
        select(runs.c.started_at, runs.c.error)
        .where(runs.c.map_name == map_name, runs.c.state == "failed")
        .order_by(runs.c.id.desc())
        .limit(limit)
    ).all()
    dead = conn.execute(
        select(outbox.c.updated_at, outbox.c.last_error)
        .where(outbox.c.map_name == map_name, outbox.c.state == "dead")
        .order_by(outbox.c.updated_at.desc())
        .limit(limit)
    ).all()
    errors = [(at, str(msg or "failed")) for at, msg in [*failed, *dead]]
    return sorted(errors, key=lambda e: e[0], reverse=True)[:limit]


def _buckets(end: datetime, step: timedelta, count: int) -> list[datetime]:
    """``count`` bucket ends, oldest first, the last one at ``end``."""
    return [end - step * (count - 1 - i) for i in range(count)]


def throughput(
    conn: Connection, map_name: str, end: datetime, step: timedelta, count: int
) -> list[SeriesPoint]:
    """Outbox jobs delivered (``done``) per bucket ending at each point."""
    points = []
    for bucket_end in _buckets(end, step, count):
        delivered = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.map_name == map_name,
                outbox.c.state == "done",
                outbox.c.updated_at > bucket_end - step,
                outbox.c.updated_at <= bucket_end,
            )
        ).scalar_one()
        points.append(SeriesPoint(at=bucket_end, value=int(delivered)))
    return points


def backlog(
    conn: Connection, map_name: str, end: datetime, step: timedelta, count: int
) -> list[SeriesPoint]:
    """Jobs created by each point and not closed by then (closing time is ``updated_at``)."""
    points = []
    for at in _buckets(end, step, count):
        waiting = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.map_name == map_name,
                outbox.c.created_at <= at,
                ~(outbox.c.state.in_(CLOSED_STATES) & (outbox.c.updated_at <= at)),
            )
        ).scalar_one()
        points.append(SeriesPoint(at=at, value=int(waiting)))
    return points


def sync_health(
    conn: Connection, config: SynclineConfig, now: datetime, days: int
) -> SyncHealthReport:
    """Runs, deliveries, dead letters and conflicts per map over the last ``days`` days."""
    since = now - timedelta(days=days)

    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    maps = []
    for m in config.maps:
        maps.append(
            SyncHealthMap(
                map_name=m.name,
                runs_ok=count(
                    runs,
                    runs.c.map_name == m.name,
                    runs.c.state == "ok",
                    runs.c.started_at >= since,
                ),
                runs_failed=count(
                    runs,
                    runs.c.map_name == m.name,
                    runs.c.state == "failed",
                    runs.c.started_at >= since,
                ),
                delivered=count(
                    outbox,
                    outbox.c.map_name == m.name,
                    outbox.c.state == "done",
                    outbox.c.updated_at >= since,
                ),
                dead=count(
                    outbox,
                    outbox.c.map_name == m.name,
                    outbox.c.state == "dead",
                    outbox.c.updated_at >= since,
                ),
                conflicts_opened=count(
                    conflicts, conflicts.c.map_name == m.name, conflicts.c.created_at >= since
                ),
                conflicts_resolved=count(
                    conflicts,
                    conflicts.c.map_name == m.name,
                    conflicts.c.state == "resolved",
                    conflicts.c.resolved_at >= since,
                ),
                delivered_per_day=throughput(conn, m.name, now, timedelta(days=1), days),
            )
        )
    return SyncHealthReport(days=days, since=since, maps=maps)


__all__ = [
    "AuditFilter",
    "backlog",
    "get_conflict",
    "get_job",
    "get_review",
    "list_conflicts",
    "list_dead_letters",
    "list_links",
    "list_reviews",
    "list_runs",
    "recent_errors",
    "search_audit",
    "status",
    "sync_health",
    "throughput",
]
