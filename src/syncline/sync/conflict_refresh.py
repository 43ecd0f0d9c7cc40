"""Open manual conflicts kept current as their records change (ARCHITECTURE.md §3.2).

A conflicted field stays frozen until a person decides, or until both systems come to hold
the same value (a person fixed it in one system): then the conflict closes as ``agreed`` and
the field flows again. That agreement is checked against the other system's current record,
not only against the value the conflict last recorded for it: capture reads one system before
the other, so the other may have moved on unseen (both edited again, swapping their values),
and closing on the recorded value would let the unseen edit overwrite the one just read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord
from syncline.store.conflicts import ConflictItem, close_conflict, refresh_conflict
from syncline.store.links import Link, Side
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.merge import Translate

_GONE: Any = object()  # the other side's record could not be read (deleted meanwhile)


class ConflictRefresh:
    """Keeps one map's open conflicts current while a planner reads its records."""

    def __init__(self, ctx: MapContext, conn: Connection, translate: Translate) -> None:
        self.ctx = ctx
        self.conn = conn
        self.translate = translate

    def frozen_after(
        self,
        link: Link,
        side: Side,
        record: NativeRecord,
        values: Mapping[str, Any],
        conflicts: Mapping[str, ConflictItem],
    ) -> set[str]:
        """Bring ``link``'s open ``conflicts`` (by side-a field) up to date with ``record``,
        the record of ``side`` just read (canonical ``values``); returns the fields still
        frozen.

        A conflict closes when ``side`` now holds the value recorded for the other side and
        the other side, read again, still holds it; otherwise it records ``side``'s new value.
        """
        target = other(side)
        current: Mapping[str, Any] | None = None  # the other side's record, read once if needed
        frozen: set[str] = set()
        for name, item in conflicts.items():
            shared = next((f for f in self.ctx.fields if f.field_a == item.field), None)
            if shared is None:
                frozen.add(name)
                continue
            value = values.get(shared.name(side))
            recorded = item.value_a if side == "a" else item.value_b
            recorded_there = item.value_b if side == "a" else item.value_a
            value_a = value if side == "a" else recorded_there
            value_b = value if side == "b" else recorded_there
            if self.translate(shared, value_a, "b") == value_b:
                if current is None:
                    current = _current_values(self.ctx, link, target)
                if current.get(shared.name(target), _GONE) == recorded_there:
                    close_conflict(
                        self.conn, item.id, resolution="agreed", value=value_a, actor="syncline"
                    )
                    continue
            if value != recorded:
                refresh_conflict(
                    self.conn,
                    item.id,
                    **{
                        f"value_{side}": value,
                        f"version_{side}": record.version,
                        f"changed_at_{side}": record.modified_at,
                    },
                )
            frozen.add(name)
        return frozen


def _current_values(ctx: MapContext, link: Link, side: Side) -> Mapping[str, Any]:
    """The canonical values ``side``'s linked record holds now (empty when it is gone)."""
    native_id = link.native_id(side)
    if native_id is None:
        return {}
    found = ctx.connectors[side].read(ctx.entity, [native_id])
    if not found or found[0].data is None:
        return {}
    return found[0].data.canonical_values()


__all__ = ["ConflictRefresh"]
