"""The Tryton connector: change capture, reads, batched and serialised writes, scans."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from syncline.connectors.base import (
    Capabilities,
    ChangeBatch,
    Cursor,
    EntitySupport,
    Health,
    NativeRecord,
    WriteOp,
    WriteRequest,
    WriteResult,
    lookup_by_scan,
)
from syncline.connectors.tryton.client import Domain, TrytonClient
from syncline.connectors.tryton.insight import TrytonInsight
from syncline.connectors.tryton.lookups import Lookups
from syncline.connectors.tryton.mapping import EntityMapping, Row, modified_at
from syncline.connectors.tryton.registry import default_mappings
from syncline.connectors.tryton.settings import TrytonSettings
from syncline.errors import AuthError, ConnectorError, PermanentError, SynclineError, TransientError
from syncline.model import CanonicalEntity

log = logging.getLogger(__name__)

ALL = {"active_test": False}
"""Context that includes archived records (for scans, reads by id and change capture)."""

_write_locks: dict[tuple[str, str], threading.Lock] = {}
_write_locks_guard = threading.Lock()


def write_lock(settings: TrytonSettings) -> threading.Lock:
    """One lock per Tryton database in this process: SQLite takes one writer at a time."""
    key = (settings.url, settings.database)
    with _write_locks_guard:
        return _write_locks.setdefault(key, threading.Lock())


def _version(row: Row) -> str | None:
    stamp = modified_at(row)
    return stamp.isoformat() if stamp else None


def _utc(stamp: datetime) -> datetime:
    return stamp.astimezone(UTC)


class TrytonConnector:
    """A Tryton ERP as a syncline system. Thread-confined; writes are serialised per database."""

    lookup_scans = True  # lookup reads the whole entity: recovery asks once a pass

    def __init__(
        self,
        system: str,
        settings: TrytonSettings,
        *,
        client: TrytonClient | None = None,
    ) -> None:
        self.system = system
        self.settings = settings
        self.client = client or TrytonClient(settings, system=system)
        self.lookups = Lookups(self.client)
        self.mappings: dict[str, EntityMapping] = {
            m.entity: m for m in default_mappings(self.client, self.lookups)
        }
        self.capabilities = Capabilities(
            entities=tuple(
                EntitySupport(m.entity, m.capture, m.writable, m.unstored)
                for m in self.mappings.values()
            ),
            read_batch_size=settings.read_batch_size,
            write_batch_size=settings.write_batch_size,
        )
        self._write_lock = write_lock(settings)
        self.insight = TrytonInsight(self.client, self.lookups)
        """Read-only queries: stock levels and customer accounts."""

    def mapping(self, entity: str) -> EntityMapping:
        """The mapping of ``entity``; a PermanentError when this connector has none."""
        try:
            return self.mappings[entity]
        except KeyError:
            known = ", ".join(sorted(self.mappings))
            raise PermanentError(
                f"Tryton connector has no entity {entity!r}; known: {known}", system=self.system
            ) from None

    # -- reading ---------------------------------------------------------------------------

    def _records(self, mapping: EntityMapping, rows: Sequence[Row]) -> list[NativeRecord]:
        """The records of ``rows``; a row the mapping cannot turn into a valid canonical
        record is an unreadable record saying why (the page is mapped again row by row to
        find it), so that the others are read."""
        try:
            entities: Sequence[CanonicalEntity | str] = mapping.to_canonical(rows)
        except ConnectorError:
            raise
        except (SynclineError, ValueError, KeyError, TypeError):
            entities = [self._one(mapping, row) for row in rows]
        records = []
        for row, data in zip(rows, entities, strict=True):
            native_id, version, modified = str(row["id"]), _version(row), modified_at(row)
            if isinstance(data, str):
                records.append(
                    NativeRecord.unreadable(
                        mapping.entity, native_id, data, version=version, modified_at=modified
                    )
                )
            else:
                records.append(NativeRecord(mapping.entity, native_id, data, version, modified))
        return records

    def _one(self, mapping: EntityMapping, row: Row) -> CanonicalEntity | str:
        """One row's canonical record, or why it is none."""
        try:
            return mapping.to_canonical([row])[0]
        except ConnectorError:
            raise
        except (SynclineError, ValueError, KeyError, TypeError) as exc:
            reason = " ".join(str(exc).split())
            return f"{mapping.model} {row['id']} is not a valid {mapping.entity}: {reason}"

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        """Records modified strictly after ``since`` in (modified_at, numeric id) order.

        ``modified_at`` is write_date, or create_date for never-written records. Candidates
        are selected with ``write_date >= T OR create_date >= T`` (cheap stamps only), ordered
        and cut here, then read in full.
        """
        mapping = self.mapping(entity)
        domain: Domain = list(mapping.domain)
        if since is not None:
            stamp = _utc(since.modified_at)
            domain = [
                *domain,
                ["OR", ("write_date", ">=", stamp), ("create_date", ">=", stamp)],
            ]
        stamps = self.client.search_read(
            mapping.model, domain, ["create_date", "write_date"], context=ALL
        )
        keyed = []
        for row in stamps:
            when = modified_at(row)
            if when is None:
                continue
            key = (when, int(row["id"]))
            if since is None or key > (since.modified_at, _numeric(since.native_id)):
                keyed.append(key)
        keyed.sort()
        page = keyed[:limit]
        rows_by_id = {
            int(r["id"]): r
            for r in self.client.read(
                mapping.model, [i for _, i in page], mapping.fields, context=ALL
            )
        }
        # A record changed again between the two calls keeps its newer stamp: still in order.
        rows = [rows_by_id[i] for _, i in page if i in rows_by_id]
        records = self._records(mapping, rows)
        next_cursor = Cursor(page[-1][0], str(page[-1][1])) if page else since
        return ChangeBatch(records, next_cursor, has_more=len(keyed) > limit)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        """The current state of the given records (archived ones included); missing ids are
        left out."""
        mapping = self.mapping(entity)
        ids = [_numeric(i) for i in native_ids]
        ids = [i for i in ids if i > 0]
        if not ids:
            return []
        rows = self.client.search_read(
            mapping.model, [*mapping.domain, ("id", "in", ids)], mapping.fields, context=ALL
        )
        by_id = {int(r["id"]): r for r in rows}
        ordered = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
        return self._records(mapping, ordered)

    def list_ids(self, entity: str) -> list[str]:
        """Every id of ``entity``, archived included (Tryton leaves no trace of deletes)."""
        mapping = self.mapping(entity)
        return [
            str(i) for i in self.client.search(mapping.model, list(mapping.domain), context=ALL)
        ]

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        """All records of ``entity`` (archived included) in pages of ``read_batch_size``."""
        mapping = self.mapping(entity)
        ids = self.client.search(
            mapping.model, list(mapping.domain), order=[("id", "ASC")], context=ALL
        )
        size = self.settings.read_batch_size
        for start in range(0, len(ids), size):
            rows = self.client.read(
                mapping.model, ids[start : start + size], mapping.fields, context=ALL
            )
            yield self._records(mapping, rows)

    def lookup(self, entity: str, field: str, values: Sequence[Any]) -> list[NativeRecord]:
        """Records whose canonical ``field`` equals one of ``values``: the engine's
        deterministic-key matching, asked only for records that have no link yet."""
        return lookup_by_scan(self, entity, field, values)

    # -- writing ---------------------------------------------------------------------------

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch: creates in one call, updates in one call, archives and deletes in
        one call each. When Tryton rejects a call, its records are retried one by one so that
        each error lands on its own record. A transient failure raises and, since each call is
        one Tryton transaction, leaves that call's records unwritten."""
        mapping = self.mapping(entity)
        results: dict[int, WriteResult] = {}
        with self._write_lock:
            for op in (WriteOp.CREATE, WriteOp.UPDATE, WriteOp.ARCHIVE, WriteOp.DELETE):
                batch = [(n, r) for n, r in enumerate(requests) if r.op == op]
                if not batch:
                    continue
                if op not in mapping.writable:
                    for n, request in batch:
                        results[n] = WriteResult(
                            request,
                            error=PermanentError(
                                f"{entity} does not support {op.value} in Tryton",
                                system=self.system,
                            ),
                        )
                    continue
                results.update(self._apply(mapping, op, batch))
        return [results[n] for n in range(len(requests))]

    def _apply(
        self, mapping: EntityMapping, op: WriteOp, batch: list[tuple[int, WriteRequest]]
    ) -> dict[int, WriteResult]:
        try:
            return self._apply_all(mapping, op, batch)
        except (TransientError, AuthError):
            raise
        except ConnectorError as exc:
            if len(batch) == 1:
                n, request = batch[0]
                return {n: WriteResult(request, error=exc)}
        # Tryton rolled the whole call back: redo record by record to place each error.
        return {n: self._apply_one(mapping, op, request) for n, request in batch}

    def _apply_one(self, mapping: EntityMapping, op: WriteOp, request: WriteRequest) -> WriteResult:
        try:
            return next(iter(self._apply_all(mapping, op, [(0, request)]).values()))
        except (TransientError, AuthError):
            raise
        except ConnectorError as exc:
            return WriteResult(request, error=exc)

    def _apply_all(
        self, mapping: EntityMapping, op: WriteOp, batch: list[tuple[int, WriteRequest]]
    ) -> dict[int, WriteResult]:
        requests = [r for _, r in batch]
        if op == WriteOp.CREATE:
            items = [self._data(r) for r in requests]
            values = [self._guard(lambda item=item: mapping.create_values(item)) for item in items]
            ids = mapping.create_records(values)
            try:
                mapping.after_create(ids, items)
            except ConnectorError:
                # Undo the drafts so a retry cannot leave a duplicate behind.
                self._discard(mapping, ids)
                raise
        else:
            ids = [_numeric(r.native_id or "") for r in requests]
            conflicts = self._version_conflicts(mapping, requests, ids)
            if conflicts:  # positions in ``batch`` whose target moved on: leave them alone
                return {
                    n: WriteResult(r, version_conflict=True) if pos in conflicts else
                    self._apply_one(mapping, op, r)
                    for pos, (n, r) in enumerate(batch)
                }  # fmt: skip
            if op == WriteOp.UPDATE:
                mapping.prepare_updates(ids)
                changes = [
                    (
                        i,
                        self._guard(
                            lambda i=i, r=r: mapping.update_values(i, self._data(r), r.fields)
                        ),
                    )
                    for i, r in zip(ids, requests, strict=True)
                ]
                mapping.write_records(changes)
            elif op == WriteOp.ARCHIVE:
                mapping.archive_records(ids)
            else:
                mapping.delete_records(ids)
        versions = {} if op == WriteOp.DELETE else self._versions(mapping, ids)
        return {
            n: WriteResult(request, native_id=str(i), version=versions.get(i))
            for (n, request), i in zip(batch, ids, strict=True)
        }

    def _discard(self, mapping: EntityMapping, ids: Sequence[int]) -> None:
        try:
            self.client.delete(mapping.model, ids)
        except ConnectorError as exc:
            log.warning(
                "could not undo %s %s after a failed workflow step: %s", mapping.model, ids, exc
            )

    def _version_conflicts(
        self, mapping: EntityMapping, requests: Sequence[WriteRequest], ids: Sequence[int]
    ) -> set[int]:
        """Positions of the requests whose ``expected_version`` is no longer current."""
        checked = [
            (n, i, r)
            for n, (i, r) in enumerate(zip(ids, requests, strict=True))
            if r.expected_version
        ]
        if not checked:
            return set()
        versions = self._versions(mapping, [i for _, i, _ in checked])
        return {n for n, i, r in checked if versions.get(i) != r.expected_version}

    def _versions(self, mapping: EntityMapping, ids: Sequence[int]) -> dict[int, str | None]:
        rows = self.client.read(
            mapping.model, list(ids), ["create_date", "write_date"], context=ALL
        )
        return {int(r["id"]): _version(r) for r in rows}

    def _data(self, request: WriteRequest) -> CanonicalEntity:
        if request.data is None:
            raise PermanentError(f"{request.op.value} needs data", system=self.system)
        return request.data

    def _guard(self, build: Any) -> dict[str, Any]:
        """Run a mapping step; a bad canonical value becomes a PermanentError for its record."""
        try:
            values: dict[str, Any] = build()
        except ConnectorError:
            raise
        except (SynclineError, ValueError, KeyError) as exc:
            raise PermanentError(
                f"cannot map record for Tryton: {exc}", system=self.system, remote_message=str(exc)
            ) from exc
        return values

    # -- health ----------------------------------------------------------------------------

    def health(self) -> Health:
        """Log in if needed and count users; never raises. ``latency_ms`` in milliseconds."""
        started = time.perf_counter()
        try:
            version = self.client.server_version()
            self.client.model("res.user", "search_count", [])
        except ConnectorError as exc:
            return Health(ok=False, detail=str(exc))
        latency = (time.perf_counter() - started) * 1000
        return Health(ok=True, detail="ok", latency_ms=latency, version=version)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()


def _numeric(native_id: str) -> int:
    try:
        return int(native_id)
    except ValueError:
        return 0


def connect(system: str, settings: TrytonSettings) -> TrytonConnector:
    """A connector for the Tryton described by ``settings``, named ``system`` in the config."""
    return TrytonConnector(system, settings)


__all__ = ["TrytonConnector", "connect", "write_lock"]
