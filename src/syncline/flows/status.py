"""Each flow's state at a glance, for ``syncline flows list`` and ``syncline status``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from syncline.flows.ledger import error_counts, state_counts
from syncline.mapping.config import SynclineConfig
from syncline.store import Store
from syncline.store.schema import runs


@dataclass(frozen=True)
class FlowStatus:
    """One flow: how many items are in each state, how many are stuck with an error, and
    how its last run went."""

    name: str
    kind: str
    enabled: bool
    states: dict[str, int] = field(default_factory=dict)
    with_errors: int = 0
    last_run_at: datetime | None = None
    last_run_state: str | None = None

    @property
    def items(self) -> int:
        return sum(self.states.values())


def flow_status(store: Store, config: SynclineConfig) -> list[FlowStatus]:
    """A FlowStatus per flow of ``config``, in config order (three grouped queries)."""
    names = [f.name for f in config.flows]
    if not names:
        return []
    with store.begin() as conn:
        counts = state_counts(conn, names)
        errors = error_counts(conn, names)
        latest = (
            select(runs.c.map_name, func.max(runs.c.id).label("id"))
            .where(runs.c.kind == "flow", runs.c.map_name.in_(names))
            .group_by(runs.c.map_name)
            .subquery()
        )
        last = {
            str(r["map_name"]): r
            for r in conn.execute(
                select(runs.c.map_name, runs.c.started_at, runs.c.state).join(
                    latest, latest.c.id == runs.c.id
                )
            ).mappings()
        }
    return [
        FlowStatus(
            name=f.name,
            kind=f.kind,
            enabled=f.enabled,
            states=counts.get(f.name, {}),
            with_errors=errors.get(f.name, 0),
            last_run_at=last[f.name]["started_at"] if f.name in last else None,
            last_run_state=last[f.name]["state"] if f.name in last else None,
        )
        for f in config.flows
    ]


__all__ = ["FlowStatus", "flow_status"]
