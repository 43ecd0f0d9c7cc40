"""Which maps and flows a long-running sync runs in each round."""

from __future__ import annotations

from syncline.flows.schedule import due_flows, due_maps
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


def test_a_map_with_a_schedule_runs_that_often_the_others_every_round() -> None:
    pair = {"a": "crm", "b": "erp"}
    config = SynclineConfig.model_validate(
        {
            "systems": {"crm": {"type": "sql"}, "erp": {"type": "sql"}},
            "maps": [
                {"name": "contacts", "entity": "contact", **pair},
                {"name": "products", "entity": "product", **pair, "schedule": {"every": 600}},
            ],
        }
    )
    names = ["contacts", "products"]
    assert config.maps[0].schedule.every is None
    assert due_maps(config, names, {}, 1000.0) == names
    started = {"contacts": 1000.0, "products": 1000.0}
    assert due_maps(config, names, started, 1060.0) == ["contacts"]
    assert due_maps(config, names, started, 1600.0) == names
    assert due_maps(config, ["products"], started, 1599.0) == []
