"""A small in-memory connector: the reference implementation the contract tests run against."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from syncline.connectors.base import (
    Capabilities,
    Capture,
    ChangeBatch,
    Cursor,
    EntitySupport,
    Health,
    NativeRecord,
    PermanentError,
    WriteOp,
    WriteRequest,
    WriteResult,
)
from syncline.model import CanonicalEntity, Party


@dataclass
class _Row:
    data: CanonicalEntity
    modified_at: datetime
    version: int = 1


@dataclass
class MemoryConnector:
    """Parties in a dict. Names are unique, as a CRM would insist."""

    system: str = "memory"
    rows: dict[str, _Row] = field(default_factory=dict)
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(
            entities=(
                EntitySupport(
                    "party",
                    frozenset({Capture.CURSOR, Capture.SCAN}),
                    frozenset(WriteOp),
                ),
            ),
            read_batch_size=50,
            write_batch_size=10,
        )
    )
    _next_id: int = 1
    _clock: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=1)
        return self._clock

    def _record(self, native_id: str) -> NativeRecord:
        row = self.rows[native_id]
        return NativeRecord("party", native_id, row.data, str(row.version), row.modified_at)

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        ordered = sorted(self.rows, key=lambda i: (self.rows[i].modified_at, int(i)))
        newer = [
            i
            for i in ordered
            if since is None
            or (self.rows[i].modified_at, int(i)) > (since.modified_at, int(since.native_id or 0))
        ]
        page = [self._record(i) for i in newer[:limit]]
        cursor = page[-1].cursor() if page else since
        return ChangeBatch(page, cursor, has_more=len(newer) > limit)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        return [self._record(i) for i in native_ids if i in self.rows]

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        return [self._apply(r) for r in requests]

    def _apply(self, request: WriteRequest) -> WriteResult:
        if request.op in (WriteOp.CREATE, WriteOp.UPDATE):
            assert isinstance(request.data, Party)
            clash = [
                i
                for i, row in self.rows.items()
                if isinstance(row.data, Party)
                and row.data.name == request.data.name
                and i != request.native_id
            ]
            if clash:
                error = PermanentError(
                    "name must be unique",
                    system=self.system,
                    remote_message=f"party with name {request.data.name!r} exists",
                    field="name",
                )
                return WriteResult(request, error=error)
        if request.op is WriteOp.CREATE:
            native_id = str(self._next_id)
            self._next_id += 1
            assert request.data is not None
            self.rows[native_id] = _Row(request.data, self._tick())
        else:
            native_id = str(request.native_id)
            row = self.rows[native_id]
            if request.op is WriteOp.DELETE:
                del self.rows[native_id]
                return WriteResult(request, native_id=native_id)
            if request.op is WriteOp.ARCHIVE:
                row.data = row.data.model_copy(update={"active": False})
            else:
                assert request.data is not None
                if row.data == request.data:
                    return WriteResult(request, native_id=native_id, version=str(row.version))
                row.data = request.data
            row.version += 1
            row.modified_at = self._tick()
        return WriteResult(request, native_id=native_id, version=str(self.rows[native_id].version))

    def list_ids(self, entity: str) -> list[str]:
        return list(self.rows)

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        ids = list(self.rows)
        for start in range(0, len(ids), 50):
            yield [self._record(i) for i in ids[start : start + 50]]

    def health(self) -> Health:
        return Health(ok=True, detail="in memory")

    def close(self) -> None:
        self.rows.clear()
