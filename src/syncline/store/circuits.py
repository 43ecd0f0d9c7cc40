"""Circuit state per system: ``closed`` (normal), ``open`` (waiting until ``retry_at``),
``half_open`` (one probe in flight; others keep away until ``retry_at``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from syncline.store.bulk import insert_rows
from syncline.store.schema import circuits
from syncline.store.types import utcnow


@dataclass
class CircuitState:
    system: str
    state: str = "closed"
    failures: int = 0
    opened_at: datetime | None = None
    retry_at: datetime | None = None
    last_error: str | None = None


def load_circuits(conn: Connection) -> dict[str, CircuitState]:
    return {
        r["system"]: CircuitState(
            r["system"], r["state"], r["failures"], r["opened_at"], r["retry_at"], r["last_error"]
        )
        for r in conn.execute(select(circuits)).mappings()
    }


_COLUMNS = ("system", "state", "failures", "opened_at", "retry_at", "last_error", "updated_at")


def save_circuit(conn: Connection, state: CircuitState) -> None:
    """Store ``state``: one upsert, so two workers recording a failure of the same system at
    once do not collide on its row (on PostgreSQL the second waits, then overwrites)."""
    row = (state.system, state.state, state.failures, state.opened_at, state.retry_at,
           state.last_error, utcnow())  # fmt: skip
    insert_rows(conn, circuits, _COLUMNS, [row], replace_on=("system",))


def take_probe(conn: Connection, system: str, now: datetime, until: datetime) -> bool:
    """Make a due circuit half open, kept away from others until ``until``; False when it is
    not due (any more). One conditional update: of workers racing for it, one wins (on
    PostgreSQL the losers wait for the row and then find it no longer due)."""
    query = update(circuits).where(
        circuits.c.system == system,
        circuits.c.state.in_(("open", "half_open")),
        circuits.c.retry_at <= now,
    )
    taken = conn.execute(query.values(state="half_open", retry_at=until, updated_at=utcnow()))
    return bool(taken.rowcount == 1)


def release_probe(conn: Connection, system: str, now: datetime) -> None:
    """A half-open circuit whose probe decided nothing (no job to try, or none reached the
    system): open again and due at ``now``. A decided probe has closed or re-opened it."""
    query = update(circuits).where(circuits.c.system == system, circuits.c.state == "half_open")
    conn.execute(query.values(state="open", retry_at=now, updated_at=utcnow()))


__all__ = ["CircuitState", "load_circuits", "release_probe", "save_circuit", "take_probe"]
