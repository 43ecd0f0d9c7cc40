"""Runs: one row per sync cycle (or load, import, flow) with its statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from syncline.store.schema import runs
from syncline.store.types import utcnow


@dataclass(frozen=True)
class Run:
    id: int
    map_name: str
    kind: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None


def start_run(conn: Connection, map_name: str, kind: str = "sync") -> int:
    values = {
        "map_name": map_name,
        "kind": kind,
        "state": "running",
        "started_at": utcnow(),
        "stats": {},
    }
    return int(conn.execute(insert(runs).returning(runs.c.id), values).scalar_one())


def finish_run(
    conn: Connection, run_id: int, state: str, stats: dict[str, Any], error: str | None = None
) -> None:
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(state=state, stats=stats, error=error, finished_at=utcnow())
    )


def list_runs(conn: Connection, map_name: str | None = None, limit: int = 20) -> list[Run]:
    """The latest runs, newest first."""
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if map_name is not None:
        query = query.where(runs.c.map_name == map_name)
    return [Run(**dict(r)) for r in conn.execute(query).mappings()]


__all__ = ["Run", "finish_run", "list_runs", "start_run"]
