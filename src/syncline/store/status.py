"""Read-only summaries of the state store for `syncline status` and the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.engine import Connection

from syncline.store.schema import conflicts, outbox, review_items, runs
from syncline.store.unreadable import count_unreadable


@dataclass(frozen=True)
class MapStatus:
    """What an operator wants to know about one map at a glance."""

    map_name: str
    last_run_at: datetime | None
    last_run_state: str | None
    backlog: int  # outbox jobs not yet delivered (pending or running)
    open_conflicts: int
    dead_letters: int
    open_reviews: int
    unreadable: int = 0  # records capture could not read (``syncline unreadable``)


def _count_by_map(
    conn: Connection, table: Table, state_filter: ColumnElement[bool]
) -> dict[str, int]:
    query = select(table.c.map_name, func.count()).where(state_filter).group_by(table.c.map_name)
    return {str(name): int(count) for name, count in conn.execute(query)}


def map_status(conn: Connection, map_names: list[str]) -> list[MapStatus]:
    """One MapStatus per name in ``map_names`` (in that order), from six grouped queries."""
    backlog = _count_by_map(conn, outbox, outbox.c.state.in_(("pending", "running")))
    dead = _count_by_map(conn, outbox, outbox.c.state == "dead")
    open_conflicts = _count_by_map(conn, conflicts, conflicts.c.state == "open")
    reviews = _count_by_map(conn, review_items, review_items.c.state == "open")
    unreadable = count_unreadable(conn)
    latest = (
        select(runs.c.map_name, func.max(runs.c.id).label("id"))
        .group_by(runs.c.map_name)
        .subquery()
    )
    last_runs = {
        r["map_name"]: r
        for r in conn.execute(
            select(runs.c.map_name, runs.c.started_at, runs.c.state).join(
                latest, latest.c.id == runs.c.id
            )
        ).mappings()
    }
    result = []
    for name in map_names:
        last = last_runs.get(name)
        result.append(
            MapStatus(
                map_name=name,
                last_run_at=last["started_at"] if last else None,
                last_run_state=last["state"] if last else None,
                backlog=backlog.get(name, 0),
                open_conflicts=open_conflicts.get(name, 0),
                dead_letters=dead.get(name, 0),
                open_reviews=reviews.get(name, 0),
                unreadable=unreadable.get(name, 0),
            )
        )
    return result
