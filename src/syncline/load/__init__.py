"""The initial load of a map: match first, link, review the grey zone, create the rest.

loader = InitialLoad(store, config, connectors)
report = loader.run("parties")              # resumable: run again after a crash
report = loader.run("parties", dry_run=True)
"""

from __future__ import annotations

from syncline.load.inventory import Inventory, SideRecords, is_manual
from syncline.load.plan import LoadPlan, PlannedLink, build_plan
from syncline.load.report import LoadReport, NoProgress, Progress, Rejection
from syncline.load.runner import InitialLoad, load_map

__all__ = [
    "InitialLoad",
    "Inventory",
    "LoadPlan",
    "LoadReport",
    "NoProgress",
    "PlannedLink",
    "Progress",
    "Rejection",
    "SideRecords",
    "build_plan",
    "is_manual",
    "load_map",
]
