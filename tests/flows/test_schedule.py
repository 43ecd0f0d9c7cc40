"""Which flows a long-running sync starts between its cycles."""

from __future__ import annotations

from syncline.flows.schedule import due_flows
from syncline.mapping import SynclineConfig


def test_flows_are_due_after_their_interval_and_disabled_ones_never() -> None:
    config = SynclineConfig.model_validate(
        {
            "flows": [
                {"name": "orders", "kind": "order_handoff", "schedule": {"every": 60}},
                {"name": "hours", "kind": "time_aggregation", "schedule": {"every": 3600}},
                {"name": "cases", "kind": "service_cases", "enabled": False},
            ]
        }
    )
    assert due_flows(config, {}, 1000.0) == ["orders", "hours"]
    started = {"orders": 1000.0, "hours": 1000.0}
    assert due_flows(config, started, 1059.0) == []
    assert due_flows(config, started, 1060.0) == ["orders"]
    assert due_flows(config, started, 4600.0) == ["orders", "hours"]
