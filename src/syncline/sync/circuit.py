"""A circuit per system (ARCHITECTURE.md §3.6): a system that keeps failing is left alone.

After ``threshold`` consecutive transient failures the circuit opens: the system's jobs wait
and its capture is skipped until ``retry_at``; then one attempt decides (half open). The
cool-down doubles with every re-opening, up to ``max_cooldown`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.store.circuits import CircuitState, load_circuits, save_circuit


@dataclass(frozen=True)
class CircuitPolicy:
    threshold: int = 3
    cooldown: float = 30.0  # seconds before the first retry of an open circuit
    max_cooldown: float = 600.0


class Circuits:
    """Reads and updates circuit states in the store."""

    def __init__(self, policy: CircuitPolicy | None = None) -> None:
        self.policy = policy or CircuitPolicy()

    def blocked(self, conn: Connection, now: datetime) -> list[str]:
        """Systems whose circuit is open and not yet due for a retry."""
        return [
            s.system
            for s in load_circuits(conn).values()
            if s.state == "open" and s.retry_at is not None and s.retry_at > now
        ]

    def state(self, conn: Connection, system: str) -> CircuitState:
        return load_circuits(conn).get(system) or CircuitState(system)

    def failed(self, conn: Connection, system: str, error: str, now: datetime) -> CircuitState:
        """Count a transient failure; opens (or re-opens) the circuit at the threshold."""
        state = self.state(conn, system)
        state.failures += 1
        state.last_error = error
        if state.failures >= self.policy.threshold:
            reopenings = state.failures - self.policy.threshold
            cooldown = min(self.policy.cooldown * 2**reopenings, self.policy.max_cooldown)
            if state.state != "open":
                state.opened_at = now
            state.state = "open"
            state.retry_at = now + timedelta(seconds=cooldown)
        save_circuit(conn, state)
        return state

    def succeeded(self, conn: Connection, system: str) -> None:
        """A call went through: close the circuit."""
        state = self.state(conn, system)
        if state.failures or state.state != "closed":
            save_circuit(conn, CircuitState(system))


__all__ = ["CircuitPolicy", "Circuits"]
