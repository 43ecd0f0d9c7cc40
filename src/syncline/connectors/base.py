"""The connector protocol (ARCHITECTURE.md §3.1).

A connector turns one external system into canonical records. It offers one or more ways to
capture changes (``cursor``, ``push``, ``scan``), reads records by id, writes batches, lists ids
for delete detection and reports its health. It never talks to the state store: links,
snapshots and cursors are the engine's business.

Connectors import only ``syncline.model``, ``syncline.errors`` and this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from syncline.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncline.model import CanonicalEntity


class Capture(StrEnum):
    """How a connector can tell the engine what changed."""

    CURSOR = "cursor"  # records changed since a compound (modified_at, id) cursor
    PUSH = "push"  # events delivered to syncline's inbox (webhooks)
    SCAN = "scan"  # full listing, compared with snapshots by content hash


class WriteOp(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"  # set inactive, keep the record
    DELETE = "delete"


@dataclass(frozen=True)
class EntitySupport:
    """What a connector can do with one canonical entity."""

    entity: str
    capture: frozenset[Capture]
    writable: frozenset[WriteOp] = frozenset()
    #: Canonical fields the system has no place for: writes drop them and reads give the
    #: default. The engine does not share them (it could never agree on their value).
    unstored: frozenset[str] = frozenset()
    #: Records of this entity per write call, where it differs from the connector's
    #: ``write_batch_size`` (a system of tables with sizes of their own).
    write_batch_size: int | None = None


@dataclass(frozen=True)
class Capabilities:
    """Declared once per connector; the engine plans around it."""

    entities: tuple[EntitySupport, ...]
    read_batch_size: int = 500
    write_batch_size: int = 100

    def support(self, entity: str) -> EntitySupport | None:
        return next((e for e in self.entities if e.entity == entity), None)

    def can_capture(self, entity: str, mode: Capture) -> bool:
        s = self.support(entity)
        return s is not None and mode in s.capture

    def can_write(self, entity: str, op: WriteOp) -> bool:
        s = self.support(entity)
        return s is not None and op in s.writable

    def write_batch(self, entity: str) -> int:
        """Records of ``entity`` per write call: the entity's own size, else the connector's."""
        s = self.support(entity)
        return s.write_batch_size if s is not None and s.write_batch_size else self.write_batch_size


@dataclass(frozen=True, order=True)
class Cursor:
    """A compound change cursor: records after ``(modified_at, native_id)`` are newer.

    ``native_id`` compares as the connector defines (numeric ids compare numerically); the
    connector is responsible for that ordering. ``modified_at`` is timezone-aware UTC.
    """

    modified_at: datetime
    native_id: str = ""


@dataclass(frozen=True)
class NativeRecord:
    """One record of one system, in canonical form.

    ``version`` is the system's own version token (write_date, etag, row version) used for
    optimistic re-reads; ``data`` is None only when ``deleted`` is true or the record exists
    but could not be read as a canonical entity: then ``problem`` says why (naming the record
    and the reason), and the record is *not* deleted.
    """

    entity: str
    native_id: str
    data: CanonicalEntity | None
    version: str | None = None
    modified_at: datetime | None = None
    deleted: bool = False
    problem: str | None = None

    @classmethod
    def unreadable(
        cls,
        entity: str,
        native_id: str,
        problem: str,
        *,
        version: str | None = None,
        modified_at: datetime | None = None,
    ) -> NativeRecord:
        """A record that exists but is not a valid ``entity``: ``problem`` says why."""
        return cls(entity, native_id, None, version, modified_at, problem=problem)

    def cursor(self) -> Cursor | None:
        if self.modified_at is None:
            return None
        return Cursor(self.modified_at, self.native_id)


@dataclass(frozen=True)
class ChangeBatch:
    """Records changed after a cursor, ordered by (modified_at, id), at most ``limit`` of them.

    ``next_cursor`` is the cursor of the last record (or the input cursor when empty);
    ``has_more`` says whether another call would return more.
    """

    records: list[NativeRecord]
    next_cursor: Cursor | None
    has_more: bool = False


@dataclass(frozen=True)
class WriteRequest:
    """One planned write. ``native_id`` is None for CREATE; ``data`` is None for DELETE.

    ``expected_version`` is the version the engine last saw; a connector that can check it
    returns a result with ``version_conflict=True`` when the target moved on, so the engine
    re-plans instead of overwriting. ``fields`` limits an UPDATE to the canonical fields that
    changed, so that a write never clobbers a field another user edited meanwhile.
    """

    op: WriteOp
    entity: str
    idempotency_key: str
    native_id: str | None = None
    data: CanonicalEntity | None = None
    expected_version: str | None = None
    fields: frozenset[str] | None = None  # only these canonical fields changed (None: all)


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one WriteRequest, in the same position as the request.

    Exactly one of: success (``native_id`` and ``version`` set), ``error`` set, or
    ``version_conflict`` (the target changed since ``expected_version``; nothing written).
    """

    request: WriteRequest
    native_id: str | None = None
    version: str | None = None
    error: ConnectorError | None = None
    version_conflict: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.version_conflict


@dataclass(frozen=True)
class Health:
    """A system's answer to a health probe. ``latency_ms`` is the round trip in milliseconds."""

    ok: bool
    detail: str = ""
    latency_ms: float | None = None
    version: str | None = None


@runtime_checkable
class Connector(Protocol):
    """What every connector implements. All methods are synchronous and thread-confined."""

    system: str
    """The system's name in the config (``erp``, ``crm``)."""

    capabilities: Capabilities

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        """Records of ``entity`` modified strictly after ``since`` (all when None), oldest
        first, at most ``limit``. Raises TransientError / AuthError / PermanentError."""

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        """The current state of the given records; ids that do not exist are omitted."""

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch; one result per request, in order. A transient failure of the whole
        batch raises TransientError and writes nothing (or only what is idempotent to repeat);
        a per-record validation failure is reported in that record's result."""

    def list_ids(self, entity: str) -> list[str]:
        """Every existing id of ``entity``, archived ones included (for delete detection)."""

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        """All records of ``entity``, archived ones included, in pages."""

    def health(self) -> Health:
        """Probe the system; never raises."""

    def close(self) -> None:
        """Release connections."""


@runtime_checkable
class OriginLookup(Protocol):
    """A connector that keeps, on every record of an entity it ``marks_origin`` of, the
    idempotency key of its own last create or update of the record (the origin of what the
    record holds), and finds records by it. Recovery then knows exactly whether a write a
    crash left in doubt landed, and which record a create made, where keys, content and change
    times can only tell it most of the time (ARCHITECTURE.md §3.10)."""

    def marks_origin(self, entity: str) -> bool:
        """Whether records of ``entity`` this connector writes keep their origin."""

    def by_origin(self, entity: str, origins: Sequence[str]) -> list[NativeRecord]:
        """The records of ``entity`` last written under one of ``origins``, deleted ones kept
        by the system included (as tombstones holding their values)."""

    def origins(self, entity: str, native_ids: Sequence[str]) -> dict[str, str | None]:
        """The origin of each existing record of ``native_ids`` (None: written by others
        only), deleted ones kept by the system included."""


class Delegating:
    """A connector passing every call to ``inner``: the base of wrappers that change a few
    (a look-ahead for recovery, a test's failing or counting system)."""

    def __init__(self, inner: Connector) -> None:
        self.inner = inner
        self.system = inner.system
        self.capabilities = inner.capabilities

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        return self.inner.read_changes(entity, since, limit)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        return self.inner.read(entity, native_ids)

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        return self.inner.write(entity, requests)

    def list_ids(self, entity: str) -> list[str]:
        return self.inner.list_ids(entity)

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        return self.inner.scan(entity)

    def health(self) -> Health:
        return self.inner.health()

    def marks_origin(self, entity: str) -> bool:
        return isinstance(self.inner, OriginLookup) and self.inner.marks_origin(entity)

    def by_origin(self, entity: str, origins: Sequence[str]) -> list[NativeRecord]:
        assert isinstance(self.inner, OriginLookup)
        return self.inner.by_origin(entity, origins)

    def origins(self, entity: str, native_ids: Sequence[str]) -> dict[str, str | None]:
        assert isinstance(self.inner, OriginLookup)
        return self.inner.origins(entity, native_ids)

    def close(self) -> None:
        self.inner.close()


def chunked(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """Split ``items`` into consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class RecordPage:
    """A helper for connectors that page through listings: guards against a server returning
    the same page token twice (an endless loop)."""

    seen_tokens: set[str] = field(default_factory=set)

    def check(self, token: str) -> None:
        if token in self.seen_tokens:
            raise TransientError(f"paging loop: page token {token!r} returned twice")
        self.seen_tokens.add(token)


def loose_keys(value: Any) -> list[Any]:
    """Loose comparison forms of one canonical field value, for a key lookup by scan; a list
    contributes each item. Text keeps only its letters and digits, case-folded, so spellings
    meet (``DE 136 695 976`` and ``de136695976``; ``Info@X.de`` and ``info@x.de``).

    Looser than the engine's normal form on purpose: a lookup finds candidates, and the engine
    keeps those whose key is equal in its normal form (``syncline.matching.keys``).
    """
    items = value if isinstance(value, list | tuple | set | frozenset) else [value]
    result = []
    for item in items:
        key = "".join(c for c in item.casefold() if c.isalnum()) if isinstance(item, str) else item
        if key not in (None, "") and not isinstance(key, dict | list):
            result.append(key)
    return result


def lookup_by_scan(
    connector: Connector,
    entity: str,
    field: str,
    values: Sequence[Any],
    include_deleted: bool = False,
) -> list[NativeRecord]:
    """Live records of ``entity`` whose ``field`` loosely equals one of ``values`` (see
    :func:`loose_keys`; a list-valued field: any item), found by a full scan: a
    deterministic-key lookup for systems that cannot search by that field. Cost grows with
    the system's size, so the engine calls it only for records that have no link yet; a
    connector whose lookup is this says so with ``lookup_scans = True``, and the engine's crash
    recovery then reads it once for all the creates it settles (``syncline.sync.lookahead``).
    With ``include_deleted``, the tombstones the scan shows too."""
    wanted = {k for v in values for k in loose_keys(v)}
    if not wanted:
        return []
    found: list[NativeRecord] = []
    for page in connector.scan(entity):
        for record in page:
            if record.data is None or (record.deleted and not include_deleted):
                continue
            have = loose_keys(record.data.canonical_values().get(field))
            if wanted.intersection(have):
                found.append(record)
    return found


__all__ = [
    "AuthError",
    "CanonicalEntity",
    "Capabilities",
    "Capture",
    "ChangeBatch",
    "Connector",
    "ConnectorError",
    "Cursor",
    "Delegating",
    "EntitySupport",
    "Health",
    "NativeRecord",
    "OriginLookup",
    "PermanentError",
    "RateLimitedError",
    "RecordPage",
    "TransientError",
    "WriteOp",
    "WriteRequest",
    "WriteResult",
    "chunked",
    "lookup_by_scan",
    "loose_keys",
]
