"""One look at a scan-based target for all the creates a crash left in doubt (§3.10).

Recovery settles each in-doubt create by looking its copy up in the target
(:func:`syncline.sync.links.created_copy`). A connector whose lookup reads the whole entity
(:class:`ScanLookup`: Tryton, BottleCRM) was read in full once per create: after a crash
during an initial load, once per record of the batch. Instead, the questions the pass's
creates into that target will ask are learnt ahead, by a rehearsal of the same lookups
answered from what is gathered so far; one scan then keeps only the records that match one of
them (memory grows with the answers, not with the target), and the pass is answered from
those. Settling writes nothing to the target, so one look per pass sees what one per create
would. A question not foreseen (a reference resolved meanwhile) is asked of the connector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Connection

from syncline.connectors.base import (
    Capture,
    Connector,
    Delegating,
    NativeRecord,
    lookup_by_scan,
    loose_keys,
)
from syncline.store.links import Side
from syncline.store.outbox import OutboxJob
from syncline.sync.context import MapContext
from syncline.sync.links import (
    DeletedKeyLookup,
    KeyLookup,
    create_origins,
    created_copy,
    resolve_refs,
)

_ROUNDS = 2  # scans per target and pass: the keys' questions, then content where keys tied


@runtime_checkable
class ScanLookup(Protocol):
    """A connector whose ``lookup`` is :func:`~syncline.connectors.base.lookup_by_scan` over
    its own ``scan`` when ``lookup_scans`` is true (with ``include_deleted``, where it
    ``finds_deleted_by_key``, the scan's tombstones too): each call reads the whole entity."""

    lookup_scans: bool


def find_created(
    ctx: MapContext, conn: Connection, target: Side, job: OutboxJob
) -> NativeRecord | None:
    """The record in-doubt create ``job`` made on ``target``, or None: by keys or content, a
    tombstone where the connector can tell (:func:`syncline.sync.links.created_copy`)."""
    values, _ = resolve_refs(conn, dict(job.payload.get("values", {})))
    origins = create_origins(job)
    return created_copy(ctx, conn, target, values, origins=origins, include_deleted=True)


class Lookahead:
    """The lookups of one recovery pass over in-doubt ``jobs``: a scan-based target is read
    once per map for all its creates (twice when their keys tie), any other as before."""

    def __init__(self, jobs: Sequence[OutboxJob]) -> None:
        self.creates = [j for j in jobs if j.op == "create"]
        self.contexts: dict[tuple[str, Side], MapContext] = {}

    def find_created(
        self, ctx: MapContext, conn: Connection, target: Side, job: OutboxJob
    ) -> NativeRecord | None:
        """:func:`find_created`, answered from the gathered records of a scan-based target."""
        return find_created(self._context(ctx, conn, target), conn, target, job)

    def _context(self, ctx: MapContext, conn: Connection, target: Side) -> MapContext:
        """``ctx`` with a scan-based ``target`` answered from one gathering for the pass."""
        connector = ctx.connectors[target]
        if not isinstance(connector, KeyLookup):
            if not connector.capabilities.can_capture(ctx.entity, Capture.SCAN):
                return ctx
            connector = ScannedLookup(connector)
        scans = isinstance(connector, ScanLookup) and connector.lookup_scans
        if not (scans and isinstance(connector, KeyLookup)):
            return ctx
        if (ctx.name, target) not in self.contexts:
            gathered = GatheredLookup(connector, ctx.entity)
            ahead = replace(ctx, connectors={**ctx.connectors, target: gathered})
            system = ctx.system(target)
            jobs = [j for j in self.creates if (j.map_name, j.target_system) == (ctx.name, system)]
            for _ in range(_ROUNDS):  # the answers decide whether content is asked too
                gathered.rehearsing = True
                try:
                    for job in jobs:
                        find_created(ahead, conn, target, job)
                finally:
                    gathered.rehearsing = False
                if not gathered.missing:
                    break
                gathered.gather()
            self.contexts[ctx.name, target] = ahead
        return self.contexts[ctx.name, target]


class ScannedLookup(Delegating):
    """A connector that looks nothing up (it need not: README, "Adding a connector"), looked
    up for recovery by scanning it, tombstones included: without it, every in-doubt create
    scanned the target once by content, and a map's key could not tell a copy at all."""

    lookup_scans = True
    finds_deleted_by_key = True

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """:func:`~syncline.connectors.base.lookup_by_scan` of ``inner``."""
        return lookup_by_scan(self.inner, entity, field, values, include_deleted)

    def close(self) -> None:
        """The inner connector stays open: it is the engine's."""


class GatheredLookup(Delegating):
    """A scan-based connector whose lookups of ``entity`` are answered from the records one
    scan kept for the questions asked ahead; everything else is ``inner``'s.

    While ``rehearsing`` a question not gathered yet is noted (``missing``) and finds
    nothing; afterwards it is asked of ``inner``."""

    def __init__(self, inner: Connector, entity: str) -> None:
        super().__init__(inner)
        self.entity = entity
        self.finds_deleted_by_key = (
            isinstance(inner, DeletedKeyLookup) and inner.finds_deleted_by_key
        )
        self.rehearsing = False
        self.missing: dict[str, set[Any]] = {}  # loose keys by canonical field
        self._asked: dict[str, set[Any]] = {}  # gathered already
        self._records: dict[str, NativeRecord] = {}  # by native id, in scan order
        self._found: dict[tuple[str, Any], set[str]] = {}  # native ids by (field, loose key)

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """What ``inner.lookup`` finds (:func:`~syncline.connectors.base.lookup_by_scan`)."""
        wanted = {k for v in values for k in loose_keys(v)}
        if entity == self.entity and wanted <= self._asked.get(field, set()):
            ids = {i for k in wanted for i in self._found.get((field, k), set())}
            tombstones = include_deleted and self.finds_deleted_by_key
            return [
                r for i, r in self._records.items() if i in ids and (tombstones or not r.deleted)
            ]
        if self.rehearsing:
            self.missing.setdefault(field, set()).update(wanted)
            return []
        if include_deleted and self.finds_deleted_by_key:
            assert isinstance(self.inner, DeletedKeyLookup)
            return self.inner.lookup(entity, field, values, include_deleted=True)
        assert isinstance(self.inner, KeyLookup)
        return self.inner.lookup(entity, field, values)

    def gather(self) -> None:
        """One scan of ``inner``, keeping the records that match a ``missing`` question."""
        missing, self.missing = self.missing, {}
        for page in self.inner.scan(self.entity):
            for record in page:
                if record.data is None or (record.deleted and not self.finds_deleted_by_key):
                    continue
                shown = record.data.canonical_values()
                hits = [
                    (name, key)
                    for name, keys in missing.items()
                    for key in loose_keys(shown.get(name))
                    if key in keys
                ]
                for hit in hits:
                    self._found.setdefault(hit, set()).add(record.native_id)
                if hits:
                    self._records[record.native_id] = record
        for name, keys in missing.items():
            self._asked.setdefault(name, set()).update(keys)

    def close(self) -> None:
        """The inner connector stays open: it is the engine's."""


__all__ = ["GatheredLookup", "Lookahead", "ScanLookup", "ScannedLookup", "find_created"]
