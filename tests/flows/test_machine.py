"""The flow framework without servers: declared transitions, steps, the runner's bookkeeping."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import pytest

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem, get_item, list_items
from syncline.flows.machine import (
    Advance,
    Change,
    FlowDefinitionError,
    FlowError,
    Outcome,
    StateMachine,
    TransitionError,
    Wait,
    step,
)
from syncline.flows.status import flow_status
from syncline.mapping.config import SynclineConfig
from syncline.store import Store
from syncline.store.audit import query_events
from syncline.store.runs import list_runs


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    OFF = "off"


MACHINE = StateMachine(
    Light, initial=Light.RED, final=(Light.OFF,),
    transitions=((Light.RED, Light.GREEN), (Light.GREEN, Light.OFF)),
)  # fmt: skip


class Switch(Flow):
    """Red -> green -> off, for items named in ``names``; green waits while ``hold``."""

    kind = "switch"
    entity = "lamp"
    machine = MACHINE

    def __init__(self, store: Store, names: list[str]) -> None:
        super().__init__("lamps", store)
        self.names = names
        self.hold = False
        self.fail: str | None = None
        self.calls: list[str] = []

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        return [Candidate(n, {"name": n}) for n in self.names]

    @step(Light.RED)
    def go(self, item: FlowItem) -> Outcome:
        self.calls.append(f"go {item.key}")
        if self.fail == item.key:
            raise FlowError(f"lamp {item.key} is broken; replace it")
        return Advance(
            Light.GREEN,
            {"went": True},
            detail="switched to green",
            changes=(Change("erp", "lamp", item.key, "colour", "green", "red"),),
        )

    @step(Light.GREEN)
    def stop(self, item: FlowItem) -> Outcome:
        self.calls.append(f"stop {item.key}")
        if self.hold:
            return Wait("held by the operator")
        return Advance(Light.OFF)


def test_machine_rejects_undeclared_transitions_and_names_the_allowed_ones() -> None:
    MACHINE.check(Light.RED, Light.GREEN)
    with pytest.raises(TransitionError, match="from red it may go to: green"):
        MACHINE.check(Light.RED, Light.OFF)
    with pytest.raises(FlowDefinitionError, match="final state off"):
        StateMachine(Light, Light.RED, (Light.OFF,), ((Light.OFF, Light.RED),))
    with pytest.raises(FlowDefinitionError, match="not a state"):
        MACHINE.state("blue")


def test_a_flow_without_a_step_for_a_state_is_refused_when_defined() -> None:
    with pytest.raises(FlowDefinitionError, match="no @step for state"):

        class Broken(Flow):  # pragma: no cover - the class statement itself fails
            kind = "broken"
            entity = "lamp"
            machine = MACHINE

            def discover(self, options: RunOptions) -> Iterable[Candidate]:
                return []

            @step(Light.RED)
            def go(self, item: FlowItem) -> Outcome:
                return Advance(Light.GREEN)


def test_items_walk_to_the_end_once_and_every_transition_is_audited(flow_store: Store) -> None:
    flow = Switch(flow_store, ["a", "b"])
    report = flow.run()
    assert (report.new_items, report.transitions, report.finished) == (2, 4, 2)
    again = flow.run()
    assert (again.new_items, again.transitions, again.finished) == (0, 0, 0)
    assert flow.calls == ["go a", "stop a", "go b", "stop b"]  # nothing ran twice
    with flow_store.begin() as conn:
        events = query_events(conn, map_name="lamps", reason="flow")
        item = get_item(conn, "lamps", "a")
        runs = list_runs(conn, "lamps")
    assert item is not None and item.state == "off" and item.data["went"] is True
    states = [(e.old_value, e.new_value) for e in events if e.field == "state"]
    assert states == [("red", "green"), ("green", "off")] * 2
    colour = [e for e in events if e.field == "colour"]
    assert [(e.target_system, e.old_value, e.new_value) for e in colour] == [
        ("erp", "red", "green")
    ] * 2
    assert all(e.actor == "flow:lamps" for e in events)
    assert [r.kind for r in runs] == ["flow", "flow"] and runs[0].stats["transitions"] == 0


def test_a_waiting_item_keeps_its_state_and_reason_until_it_can_go_on(flow_store: Store) -> None:
    flow = Switch(flow_store, ["a"])
    flow.hold = True
    report = flow.run()
    assert (report.transitions, report.waiting, report.finished) == (1, 1, 0)
    with flow_store.begin() as conn:
        item = get_item(conn, "lamps", "a")
    assert item is not None and item.state == "green"
    assert item.data["waiting"] == "held by the operator" and item.error is None
    flow.hold = False
    assert flow.run().finished == 1


def test_a_failing_item_records_its_error_and_does_not_stop_the_others(flow_store: Store) -> None:
    flow = Switch(flow_store, ["a", "b"])
    flow.fail = "a"
    report = flow.run()
    assert report.errors == ["a: lamp a is broken; replace it"]
    assert report.finished == 1
    with flow_store.begin() as conn:
        stuck = get_item(conn, "lamps", "a")
        errors = [e for e in query_events(conn, map_name="lamps") if e.field == "error"]
    assert stuck is not None and stuck.state == "red" and stuck.attempts == 1
    assert stuck.error == "lamp a is broken; replace it"
    assert [e.new_value for e in errors] == ["lamp a is broken; replace it"]
    flow.run()  # the same failure again: counted, not audited twice
    with flow_store.begin() as conn:
        again = get_item(conn, "lamps", "a")
        assert len([e for e in query_events(conn, map_name="lamps") if e.field == "error"]) == 1
    assert again is not None and again.attempts == 2
    flow.fail = None
    assert flow.run().finished == 1
    with flow_store.begin() as conn:
        assert {i.state for i in list_items(conn, "lamps")} == {"off"}


def test_a_step_returning_an_undeclared_state_fails_the_run(flow_store: Store) -> None:
    class Rogue(Switch):
        @step(Light.RED)
        def go(self, item: FlowItem) -> Outcome:
            return Advance(Light.OFF)

    report = Rogue(flow_store, ["a"]).run()
    assert report.errors and "red -> off" in report.errors[0]
    with flow_store.begin() as conn:
        item = get_item(conn, "lamps", "a")
        run = list_runs(conn, "lamps")[0]
    assert item is not None and item.state == "red"
    assert run.state == "failed"


def test_status_counts_items_per_state_and_the_stuck_ones(flow_store: Store) -> None:
    flow = Switch(flow_store, ["a", "b", "c"])
    flow.fail = "c"
    flow.run()
    config = SynclineConfig.model_validate(
        {"flows": [{"name": "lamps", "kind": "shipment_notice"}]}
    )
    (status,) = flow_status(flow_store, config)
    assert status.states == {"off": 2, "red": 1}
    assert (status.items, status.with_errors, status.last_run_state) == (3, 1, "ok")
