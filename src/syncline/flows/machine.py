"""A flow's state machine: declared states and transitions, one small step per source state.

Read it like Tryton's ``sale``: the class lists ``transitions`` (every allowed ``(source,
target)`` pair), and each business action is a method decorated with ``@step(SOURCE)`` that
returns the state it reached. The runner refuses an outcome the table does not allow, so a
flow cannot drift into an undeclared state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from syncline.errors import SynclineError

F = TypeVar("F", bound=Callable[..., Any])

_STEP_ATTRIBUTE = "__flow_step_source__"


class FlowError(SynclineError):
    """A flow cannot continue with an item; the message says what a person must do."""


class FlowDefinitionError(FlowError):
    """A flow class is inconsistent (a step without a transition, an unknown state, ...)."""


class TransitionError(FlowError):
    """A step tried a state change its flow does not declare."""


@dataclass(frozen=True)
class Change:
    """A value a step wrote into a system, for the audit trail; ``reason`` is the audit
    reason (``flow``, or ``ownership_revert`` when the write undid an edit of an owned field)."""

    system: str
    entity: str
    native_id: str
    field: str
    new_value: Any
    old_value: Any = None
    reason: str = "flow"


@dataclass(frozen=True)
class Advance:
    """A step's outcome: move to ``target``, remember ``data``, explain it in ``detail`` and
    list the ``changes`` it made in the systems (each becomes an audit event)."""

    target: StrEnum
    data: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Wait:
    """A step's outcome: stay in the current state until something changes (``reason``)."""

    reason: str
    data: Mapping[str, Any] = field(default_factory=dict)


Outcome = Advance | Wait


def step(source: StrEnum) -> Callable[[F], F]:
    """Mark a method as the action that moves an item out of ``source``."""

    def mark(method: F) -> F:
        setattr(method, _STEP_ATTRIBUTE, source)
        return method

    return mark


class StateMachine:
    """States, the initial and final ones, and the allowed transitions of one flow."""

    def __init__(
        self,
        states: type[StrEnum],
        initial: StrEnum,
        final: Iterable[StrEnum],
        transitions: Iterable[tuple[StrEnum, StrEnum]],
    ) -> None:
        self.states = states
        self.initial = initial
        self.final = frozenset(final)
        self.transitions = frozenset(transitions)
        known = set(states)
        for source, target in self.transitions:
            if source not in known or target not in known:
                raise FlowDefinitionError(f"transition {source}->{target} names an unknown state")
            if source in self.final:
                raise FlowDefinitionError(f"final state {source} cannot have a transition")
        if initial not in known or not self.final <= known:
            raise FlowDefinitionError("initial and final states must be states of the flow")

    def state(self, value: str) -> StrEnum:
        """The state named ``value``; FlowDefinitionError for a name the flow does not know."""
        try:
            return self.states(value)
        except ValueError:
            raise FlowDefinitionError(
                f"stored state {value!r} is not a state of this flow; "
                f"states: {', '.join(s.value for s in self.states)}"
            ) from None

    def is_final(self, state: StrEnum) -> bool:
        return state in self.final

    def check(self, source: StrEnum, target: StrEnum) -> None:
        """Raise TransitionError unless ``source -> target`` is declared."""
        if (source, target) not in self.transitions:
            allowed = sorted(t.value for s, t in self.transitions if s == source)
            raise TransitionError(
                f"a flow step tried {source.value} -> {target.value}; "
                f"from {source.value} it may go to: {', '.join(allowed) or 'nowhere'}"
            )

    def sources(self) -> frozenset[StrEnum]:
        return frozenset(s for s, _ in self.transitions)


def collect_steps(cls: type[object]) -> dict[StrEnum, str]:
    """The ``@step`` methods of ``cls`` (and its bases) by source state: ``{state: name}``."""
    found: dict[StrEnum, str] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            source = getattr(value, _STEP_ATTRIBUTE, None)
            if isinstance(source, StrEnum):
                found[source] = name
    return found


def check_steps(machine: StateMachine, steps: Mapping[StrEnum, str], owner: str) -> None:
    """Every non-final state that has transitions needs exactly one step, and no step may
    start from a state without transitions."""
    missing = sorted(s.value for s in machine.sources() if s not in steps)
    if missing:
        raise FlowDefinitionError(f"{owner}: no @step for state(s) {', '.join(missing)}")
    stray = sorted(s.value for s in steps if s not in machine.sources())
    if stray:
        raise FlowDefinitionError(
            f"{owner}: @step for state(s) {', '.join(stray)} without declared transitions"
        )


__all__ = [
    "Advance",
    "Change",
    "FlowDefinitionError",
    "FlowError",
    "Outcome",
    "StateMachine",
    "TransitionError",
    "Wait",
    "check_steps",
    "collect_steps",
    "step",
]
