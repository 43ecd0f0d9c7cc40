"""Prometheus metrics (text exposition format), computed from the state store on each scrape."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from syncline.web.schemas import StatusOut

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition(status: StatusOut) -> bytes:
    """Gauges per map (backlog, conflicts, dead letters, reviews, last run) and per system."""
    registry = CollectorRegistry()
    by_map = {
        "backlog": Gauge(
            "syncline_backlog_jobs", "Outbox jobs not yet delivered", ["map"], registry=registry
        ),
        "open_conflicts": Gauge(
            "syncline_open_conflicts",
            "Conflict items waiting for a person",
            ["map"],
            registry=registry,
        ),
        "dead_letters": Gauge(
            "syncline_dead_letters", "Outbox jobs the target refused", ["map"], registry=registry
        ),
        "open_reviews": Gauge(
            "syncline_open_reviews",
            "Match suggestions waiting for a person",
            ["map"],
            registry=registry,
        ),
        "unreadable": Gauge(
            "syncline_unreadable_records",
            "Records capture could not read, waiting for a fix",
            ["map"],
            registry=registry,
        ),
    }
    last_run = Gauge(
        "syncline_last_run_timestamp_seconds", "Start of the latest run", ["map"], registry=registry
    )
    last_ok = Gauge(
        "syncline_last_run_ok",
        "1 when the latest run succeeded, else 0",
        ["map"],
        registry=registry,
    )
    circuit = Gauge(
        "syncline_circuit_open", "1 while a system's circuit is open", ["system"], registry=registry
    )
    for m in status.maps:
        for key, gauge in by_map.items():
            gauge.labels(map=m.map_name).set(getattr(m, key))
        if m.last_run_at is not None:
            last_run.labels(map=m.map_name).set(m.last_run_at.timestamp())
        last_ok.labels(map=m.map_name).set(1 if m.last_run_state == "ok" else 0)
    for s in status.systems:
        circuit.labels(system=s.name).set(0 if s.circuit == "closed" else 1)
    return generate_latest(registry)


__all__ = ["CONTENT_TYPE", "exposition"]
