"""The flow base class and its runner: discover items, then walk each one through its state
machine, one committed, audited transition at a time.

Idempotence comes from three rules: an item is registered once per key; each transition is
committed (with its audit events) before the next step runs, with a compare-and-set on the
state; and a step that creates something in a system first looks for what an earlier,
interrupted attempt may have created (by an idempotency key stored in that system).
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from syncline.errors import AuthError, SynclineError, TransientError
from syncline.flows.ledger import (
    FlowItem,
    StaleItemError,
    move_item,
    note_item,
    open_items,
    register_items,
)
from syncline.flows.machine import (
    Advance,
    Outcome,
    StateMachine,
    Wait,
    check_steps,
    collect_steps,
)
from syncline.model import EntityValidationError
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.runs import finish_run, start_run

log = logging.getLogger(__name__)

MAX_STEPS = 32
"""Steps per item and run; a guard against a flow that loops between states."""


@dataclass(frozen=True)
class Candidate:
    """An item a flow found to work on: its unique key and the data it starts with."""

    key: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOptions:
    """What one run is about: a billing ``period`` (``YYYY-MM``), optionally only some item
    ``keys``, and whether to ``discover`` new items first (false: only registered ones)."""

    period: str | None = None
    keys: frozenset[str] | None = None
    discover: bool = True


@dataclass
class FlowReport:
    """What one run did. ``seconds`` is wall time."""

    flow: str
    kind: str
    run_id: int = 0
    discovered: int = 0
    new_items: int = 0
    transitions: int = 0
    finished: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "discovered": self.discovered,
            "new_items": self.new_items,
            "transitions": self.transitions,
            "finished": self.finished,
            "waiting": self.waiting,
            "errors": len(self.errors),
        }


class Flow(ABC):
    """A business process across the CRM/ERP border as an explicit state machine.

    A subclass declares ``kind``, ``entity`` (what its items are, for the audit trail),
    ``machine`` and one ``@step(STATE)`` method per non-final state, and implements
    ``discover``. Steps get the stored item and return an :class:`Advance` or a :class:`Wait`;
    they raise a SynclineError when the item cannot go on.
    """

    kind: ClassVar[str]
    entity: ClassVar[str]
    machine: ClassVar[StateMachine]
    steps: ClassVar[dict[StrEnum, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "machine" in cls.__dict__:
            cls.steps = collect_steps(cls)
            check_steps(cls.machine, cls.steps, cls.__name__)

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store

    @property
    def actor(self) -> str:
        return f"flow:{self.name}"

    @abstractmethod
    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        """The items this run should know about (new ones are registered, known ones kept)."""

    def act(self, item: FlowItem) -> Outcome:
        """Run the step of the item's current state."""
        state = self.machine.state(item.state)
        method = getattr(self, self.steps[state])
        outcome: Outcome = method(item)
        return outcome

    def run(self, options: RunOptions | None = None) -> FlowReport:
        """Discover items, then advance every open item as far as it can go now."""
        return run_flow(self, options or RunOptions())


def _audit_transition(
    flow: Flow, item: FlowItem, outcome: Advance, source: str
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {
            "map_name": flow.name,
            "entity": flow.entity,
            "field": "state",
            "old_value": source,
            "new_value": outcome.target.value,
            "reason": "flow",
            "actor": flow.actor,
            "detail": f"{item.key}: {outcome.detail}" if outcome.detail else item.key,
        }
    ]
    for change in outcome.changes:
        events.append(
            {
                "map_name": flow.name,
                "entity": change.entity,
                "field": change.field,
                "old_value": change.old_value,
                "new_value": change.new_value,
                "target_system": change.system,
                "reason": change.reason,
                "actor": flow.actor,
                "detail": f"{item.key}: {change.entity} {change.native_id}",
            }
        )
    return events


def _fail(flow: Flow, item: FlowItem, message: str, report: FlowReport) -> None:
    """Keep the item where it is with its error; audit the error when it is new (a failure
    repeated run after run is counted in ``attempts``, not audited again)."""
    report.errors.append(f"{item.key}: {message}")
    with flow.store.begin() as conn:
        note_item(conn, item, error=message, data={})
        if item.error != message:
            record_events(
                conn,
                [
                    {
                        "map_name": flow.name,
                        "entity": flow.entity,
                        "field": "error",
                        "new_value": message,
                        "reason": "flow",
                        "actor": flow.actor,
                        "detail": f"{item.key} stays in {item.state}",
                    }
                ],
            )


def advance_item(flow: Flow, item: FlowItem, report: FlowReport) -> FlowItem:
    """Walk one item through as many steps as it can take now; returns its last state."""
    for _ in range(MAX_STEPS):
        source = flow.machine.state(item.state)
        if flow.machine.is_final(source):
            return item
        try:
            outcome = flow.act(item)
        except (TransientError, AuthError) as exc:
            # The system is away: try again next run, without counting it against the item.
            report.errors.append(f"{item.key}: {exc}")
            with flow.store.begin() as conn:
                note_item(conn, item, error=str(exc), data={})
            return item
        except (SynclineError, EntityValidationError) as exc:
            _fail(flow, item, str(exc), report)
            return item
        if isinstance(outcome, Wait):
            report.waiting += 1
            if item.data.get("waiting") != outcome.reason or outcome.data or item.error:
                with flow.store.begin() as conn:
                    note_item(
                        conn, item, error=None, data={**outcome.data, "waiting": outcome.reason}
                    )
            return item
        flow.machine.check(source, outcome.target)
        try:
            with flow.store.begin() as conn:
                moved = move_item(
                    conn, item, outcome.target.value, {**outcome.data, "waiting": None}
                )
                record_events(conn, _audit_transition(flow, item, outcome, source.value))
        except StaleItemError as exc:
            report.errors.append(f"{item.key}: {exc}")
            return item
        report.transitions += 1
        log.info("flow %s: %s %s -> %s", flow.name, item.key, source.value, outcome.target.value)
        item = moved
        if flow.machine.is_final(outcome.target):
            report.finished += 1
            return item
    report.errors.append(f"{item.key}: stopped after {MAX_STEPS} steps in one run")
    return item


def run_flow(flow: Flow, options: RunOptions) -> FlowReport:
    """One run of ``flow``: recorded in the runs table (kind ``flow``) with its statistics."""
    started = time.perf_counter()
    report = FlowReport(flow=flow.name, kind=flow.kind)
    with flow.store.begin() as conn:
        report.run_id = start_run(conn, flow.name, kind="flow")
    failure: str | None = None
    try:
        candidates = list(flow.discover(options)) if options.discover else []
        report.discovered = len(candidates)
        final = [s.value for s in flow.machine.final]
        with flow.store.begin() as conn:
            report.new_items = register_items(
                conn, flow.name, [(c.key, c.data) for c in candidates], flow.machine.initial.value
            )
            items = open_items(conn, flow.name, final)
        if options.keys is not None:
            items = [i for i in items if i.key in options.keys]
        for item in items:
            advance_item(flow, item, report)
    except SynclineError as exc:
        failure = str(exc)
        report.errors.append(failure)
    finally:
        report.seconds = time.perf_counter() - started
        with flow.store.begin() as conn:
            state = "failed" if failure is not None else "ok"
            finish_run(conn, report.run_id, state, report.stats(), failure)
    return report


__all__ = [
    "MAX_STEPS",
    "Candidate",
    "Flow",
    "FlowReport",
    "RunOptions",
    "advance_item",
    "run_flow",
]
