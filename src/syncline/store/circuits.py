"""Circuit state per system: ``closed`` (normal), ``open`` (waiting until ``retry_at``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

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


def save_circuit(conn: Connection, state: CircuitState) -> None:
    conn.execute(delete(circuits).where(circuits.c.system == state.system))
    conn.execute(
        insert(circuits).values(
            system=state.system,
            state=state.state,
            failures=state.failures,
            opened_at=state.opened_at,
            retry_at=state.retry_at,
            last_error=state.last_error,
            updated_at=utcnow(),
        )
    )


__all__ = ["CircuitState", "load_circuits", "save_circuit"]
