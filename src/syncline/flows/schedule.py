"""When each flow (and each map) is due: ``schedule.every`` seconds after its last start.

``syncline sync --every`` runs the maps' cycles and, between them, every enabled flow that is
due, so one long-running process keeps master data and business processes moving. A periodic
flow (service billing, time aggregation) run without a period bills the previous month, once:
the month's run happens by itself when the month turns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from syncline.mapping import SynclineConfig


def due_flows(config: SynclineConfig, last_started: Mapping[str, float], now: float) -> list[str]:
    """Names of the enabled flows whose last start (monotonic seconds; missing: never) is at
    least their ``schedule.every`` ago, in config order."""
    due = []
    for flow in config.flows:
        if not flow.enabled:
            continue
        last = last_started.get(flow.name)
        if last is None or now - last >= flow.schedule.every:
            due.append(flow.name)
    return due


def due_maps(
    config: SynclineConfig, names: Sequence[str], last_started: Mapping[str, float], now: float
) -> list[str]:
    """Of ``names``, the maps due in a round of ``syncline sync --every``: those without a
    ``schedule.every``, never started, or last started at least that long ago."""
    every = {m.name: m.schedule.every for m in config.maps}
    return [
        name
        for name in names
        if every.get(name) is None
        or name not in last_started
        or now - last_started[name] >= (every[name] or 0.0)
    ]


__all__ = ["due_flows", "due_maps"]
