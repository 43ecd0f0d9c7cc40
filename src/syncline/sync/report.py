"""What a cycle, a dry run and a delivery report back."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncline.store.outbox import NewJob
from syncline.sync.capture import Unreadable
from syncline.sync.planner import PlanStats


@dataclass
class DeliveryReport:
    """Counts of one ``deliver`` call."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    replanned: int = 0
    waiting: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class CaptureReport:
    """Planning counts of one capture pass; ``skipped`` names systems left alone (circuit
    open or unreachable) and ``errors`` says why; ``unreadable`` lists the records read that
    could not be planned and were not known so before (all wait in the state store until
    they read fine)."""

    stats: PlanStats = field(default_factory=PlanStats)
    read: int = 0
    loaded: int = 0  # records the initial load created in batches
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


@dataclass
class CycleReport:
    """One sync cycle of one map: what capture planned and what delivery did."""

    map_name: str
    run_id: int | None
    capture: CaptureReport
    delivery: DeliveryReport
    seconds: float = 0.0

    @property
    def planned_writes(self) -> int:
        return self.capture.stats.jobs


@dataclass
class Plan:
    """A dry run: the writes a cycle would plan now (nothing was stored or written)."""

    map_name: str
    jobs: list[NewJob]
    capture: CaptureReport


__all__ = ["CaptureReport", "CycleReport", "DeliveryReport", "Plan"]
