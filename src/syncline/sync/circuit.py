"""A circuit per system (ARCHITECTURE.md §3.6): a system that keeps failing is left alone.

After ``threshold`` consecutive transient failures the circuit opens: the system's jobs wait
and its capture is skipped until ``retry_at``. Then it is half open: one probe decides. The
worker sends the system's oldest due job alone (one write of one record); if it goes through
the circuit closes and the rest follows, if it fails the circuit opens again for twice the
cool-down (up to ``max_cooldown`` seconds) and the other jobs wait on, untried. A capture of
the system that fails once it is due counts as a failed probe just the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from syncline.store.circuits import (
    CircuitState,
    load_circuits,
    release_probe,
    save_circuit,
    take_probe,
)


@dataclass(frozen=True)
class CircuitPolicy:
    threshold: int = 3
    cooldown: float = 30.0  # seconds before the first retry of an open circuit
    max_cooldown: float = 600.0


class Circuits:
    """Reads and updates circuit states in the store."""

    def __init__(self, policy: CircuitPolicy | None = None) -> None:
        self.policy = policy or CircuitPolicy()

    def standing(self, conn: Connection, now: datetime) -> tuple[list[str], list[str]]:
        """(blocked, due) from one read of the circuits. Blocked: systems left alone now, open
        and not yet due, or half open with a probe in flight. Due: systems whose cool-down is
        over, each may take one probe (sorted, so that workers taking probes lock the circuits
        in the same order)."""
        states = [s for s in load_circuits(conn).values() if s.state != "closed"]
        blocked = [s.system for s in states if s.retry_at is not None and s.retry_at > now]
        due = sorted(s.system for s in states if s.retry_at is not None and s.retry_at <= now)
        return blocked, due

    def blocked(self, conn: Connection, now: datetime) -> list[str]:
        """The systems left alone now (see :meth:`standing`)."""
        return self.standing(conn, now)[0]

    def take_probe(self, conn: Connection, system: str, now: datetime, hold: timedelta) -> bool:
        """Claim the probe of a due circuit (half open); other workers and captures keep away
        from the system for ``hold`` (the outcome closes or re-opens it sooner; a prober that
        crashed is given up on after it). False when another worker took it first."""
        return take_probe(conn, system, now, now + hold)

    def release_probe(self, conn: Connection, system: str, now: datetime) -> None:
        """The probe decided nothing (no job was due, or none reached the system): due again."""
        release_probe(conn, system, now)

    def state(self, conn: Connection, system: str) -> CircuitState:
        return load_circuits(conn).get(system) or CircuitState(system)

    def failed(self, conn: Connection, system: str, error: str, now: datetime) -> CircuitState:
        """Count a transient failure; opens (or re-opens) the circuit at the threshold.

        A failure while the circuit is open and not yet due is not counted (only its message
        kept): it came from a call made without asking the circuit (the other side's capture
        looking a record up there, a crashed job's check), and says nothing new; counting it
        would stretch the cool-down with every such call."""
        state = self.state(conn, system)
        state.last_error = error
        if state.state == "open" and state.retry_at is not None and state.retry_at > now:
            save_circuit(conn, state)
            return state
        state.failures += 1
        if state.failures >= self.policy.threshold:
            reopenings = state.failures - self.policy.threshold
            cooldown = min(self.policy.cooldown * 2**reopenings, self.policy.max_cooldown)
            if state.state == "closed":
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
