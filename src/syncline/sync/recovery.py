"""What became of an update a crash left in doubt (ARCHITECTURE.md §3.6, §3.10).

The process died while an update was being written, so the worker cannot tell whether it
landed; it reads the target again before repeating anything. A write that landed is recorded
(and audited, a policy's losing value included) instead of being re-planned away unaudited.
A target that shows what the update was planned against, but changed after capture last read
it, may have taken the write and been changed back by a person (A -> B -> A, invisible to
versions that are content hashes): repeating the write would overwrite that person's edit.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from syncline.connectors.base import NativeRecord
from syncline.model import EntityValidationError
from syncline.store.links import Side
from syncline.store.outbox import OutboxJob
from syncline.store.snapshots import Snapshot
from syncline.sync.context import MapContext


class Outcome(Enum):
    """What an in-doubt update's target shows when it is read again."""

    LANDED = "landed"  # every value the update wrote
    CHANGED_BACK = "changed_back"  # what it was planned against, but changed since capture
    UNKNOWN = "unknown"  # anything else: repeated, and its version check re-plans if needed


def written_values(ctx: MapContext, values: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical values an update's payload writes; None when the target would have
    refused them (so nothing was written)."""
    try:
        return ctx.model.parse(values).canonical_values()
    except EntityValidationError:
        return None


def update_outcome(
    job: OutboxJob,
    target: Side,
    written: dict[str, Any],
    found: NativeRecord,
    *,
    snapshot: Snapshot | None,
    captured_until: datetime | None,
) -> Outcome:
    """Classify ``found``, the target record of the in-doubt update ``job``, read again.

    ``captured_until`` is how far change capture of the target system got (its cursor time).
    """
    if found.data is None or not job.fields:
        return Outcome.UNKNOWN
    shown = found.data.canonical_values()
    if all(shown.get(f) == written.get(f) for f in job.fields):
        return Outcome.LANDED
    known = [t for t in (captured_until, snapshot.modified(target) if snapshot else None) if t]
    if (
        found.version == job.base_version
        and found.modified_at is not None
        and known
        and found.modified_at > max(known)
    ):
        return Outcome.CHANGED_BACK
    return Outcome.UNKNOWN


__all__ = ["Outcome", "update_outcome", "written_values"]
