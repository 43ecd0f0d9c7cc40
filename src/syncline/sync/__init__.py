"""The sync engine (ARCHITECTURE.md §3): change capture, three-way merge, conflicts, outbox.

engine = SyncEngine(store, config, connectors)
report = engine.run_cycle("parties")      # capture both systems, plan, deliver
engine.plan("parties")                    # dry run: what a cycle would write
engine.resolve_conflict(7, take="erp")    # or value=...
engine.retry_dead_letter(12, payload={...}); engine.skip_dead_letter(13)
engine.audit(link_id=3, field="name")
"""

from __future__ import annotations

from syncline.store.audit import AuditEvent
from syncline.store.conflicts import ConflictItem
from syncline.store.links import Link
from syncline.store.outbox import NewJob, OutboxJob
from syncline.store.snapshots import Snapshot
from syncline.sync.circuit import CircuitPolicy
from syncline.sync.conflicts import DecisionError
from syncline.sync.cycle import MapBusyError, SyncEngine
from syncline.sync.links import KeyLookup, LinkSuggester, Suggestion
from syncline.sync.planner import PlanStats
from syncline.sync.report import CaptureReport, CycleReport, Plan
from syncline.sync.worker import CheckedWrites, DeliveryReport, RetryPolicy

__all__ = [
    "AuditEvent",
    "CaptureReport",
    "CheckedWrites",
    "CircuitPolicy",
    "ConflictItem",
    "CycleReport",
    "DecisionError",
    "DeliveryReport",
    "KeyLookup",
    "Link",
    "LinkSuggester",
    "MapBusyError",
    "NewJob",
    "OutboxJob",
    "Plan",
    "PlanStats",
    "RetryPolicy",
    "Snapshot",
    "Suggestion",
    "SyncEngine",
]
