"""The contract every connector passes (like singer-sdk's built-in tests).

A connector's test module subclasses :class:`ConnectorContract`, provides a ``connector``
fixture and implements :meth:`ConnectorContract.sample` and :meth:`ConnectorContract.modify`;
pytest then runs every ``test_*`` below against the real system.

    class TestTrytonParty(ConnectorContract):
        entity = "party"

        @pytest.fixture
        def connector(self, tryton_connector): return tryton_connector

        def sample(self, n): return Party(name=f"Contract {n}")
        def modify(self, record): return record.model_copy(update={"name": record.name + "!"})
"""

from __future__ import annotations

import itertools
import uuid
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import pytest

from syncline.connectors.base import (
    Capture,
    Connector,
    Cursor,
    NativeRecord,
    PermanentError,
    WriteOp,
    WriteRequest,
    WriteResult,
)
from syncline.model import CanonicalEntity

_counter = itertools.count(1)


class ConnectorContract(ABC):
    """Mixin of contract tests. Subclasses set ``entity`` and provide the hooks below."""

    entity: ClassVar[str] = ""
    #: Canonical fields the system cannot store, left out of round-trip comparisons.
    lossy_fields: ClassVar[frozenset[str]] = frozenset()

    # -- hooks -------------------------------------------------------------------------------

    @abstractmethod
    def sample(self, n: int) -> CanonicalEntity:
        """A new, valid entity, unique by ``n`` (names, codes and e-mails should include it)."""
        raise NotImplementedError  # pragma: no cover - abstract hook

    @abstractmethod
    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        """A changed copy of ``record`` that the system accepts."""
        raise NotImplementedError  # pragma: no cover - abstract hook

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        """An entity the system rejects (given an existing one, e.g. to collide on a unique
        field), or None when the system accepts anything the canonical model accepts."""
        return None

    def comparable(self, record: CanonicalEntity) -> dict[str, Any]:
        """The values compared in round trips (all canonical fields but ``lossy_fields``)."""
        values = record.canonical_values()
        return {k: v for k, v in values.items() if k not in self.lossy_fields}

    # -- helpers -----------------------------------------------------------------------------

    def _next(self) -> int:
        # Unique across test runs that share a database template.
        return int(uuid.uuid4().int % 10**8) * 1000 + next(_counter)

    def _write_one(self, connector: Connector, request: WriteRequest) -> WriteResult:
        results = connector.write(self.entity, [request])
        assert len(results) == 1, "write must return one result per request"
        return results[0]

    def _create(self, connector: Connector, data: CanonicalEntity) -> WriteResult:
        result = self._write_one(
            connector,
            WriteRequest(WriteOp.CREATE, self.entity, f"contract-{uuid.uuid4()}", data=data),
        )
        assert result.ok, f"create failed: {result.error}"
        assert result.native_id, "create must return the new native id"
        return result

    def _read_one(self, connector: Connector, native_id: str) -> NativeRecord:
        records = connector.read(self.entity, [native_id])
        assert [r.native_id for r in records] == [native_id]
        return records[0]

    # -- the contract ------------------------------------------------------------------------

    def test_declares_the_entity(self, connector: Connector) -> None:
        support = connector.capabilities.support(self.entity)
        assert support is not None, f"{connector.system} does not declare {self.entity}"
        assert support.capture, "at least one capture mode (cursor, push, scan) is required"
        assert connector.capabilities.read_batch_size > 0
        assert connector.capabilities.write_batch_size > 0

    def test_health_reports_ok(self, connector: Connector) -> None:
        health = connector.health()
        assert health.ok, health.detail

    def test_create_then_read_round_trips(self, connector: Connector) -> None:
        data = self.sample(self._next())
        created = self._create(connector, data)
        record = self._read_one(connector, str(created.native_id))
        assert record.entity == self.entity
        assert record.data is not None and not record.deleted
        assert self.comparable(record.data) == self.comparable(data)

    def test_batch_create_returns_one_result_per_request_in_order(
        self, connector: Connector
    ) -> None:
        datas = [self.sample(self._next()) for _ in range(3)]
        requests = [
            WriteRequest(WriteOp.CREATE, self.entity, f"contract-{uuid.uuid4()}", data=d)
            for d in datas
        ]
        results = connector.write(self.entity, requests)
        assert [r.request for r in results] == requests
        assert all(r.ok for r in results), [r.error for r in results]
        ids = [str(r.native_id) for r in results]
        assert len(set(ids)) == 3
        read = {r.native_id: r for r in connector.read(self.entity, ids)}
        for native_id, data in zip(ids, datas, strict=True):
            got = read[native_id].data
            assert got is not None and self.comparable(got) == self.comparable(data)

    def test_read_omits_missing_ids(self, connector: Connector) -> None:
        created = self._create(connector, self.sample(self._next()))
        records = connector.read(self.entity, [str(created.native_id), "999999999"])
        assert [r.native_id for r in records] == [created.native_id]

    def test_update_and_idempotent_rewrite(self, connector: Connector) -> None:
        if not connector.capabilities.can_write(self.entity, WriteOp.UPDATE):
            pytest.fail(f"{self.entity} must be updatable for this contract test")
        created = self._create(connector, self.sample(self._next()))
        native_id = str(created.native_id)
        before = self._read_one(connector, native_id)
        assert before.data is not None
        changed = self.modify(before.data)
        for _ in range(2):  # the same update twice changes nothing the second time
            result = self._write_one(
                connector,
                WriteRequest(
                    WriteOp.UPDATE,
                    self.entity,
                    f"contract-upd-{native_id}",
                    native_id=native_id,
                    data=changed,
                ),
            )
            assert result.ok, f"update failed: {result.error}"
            assert result.native_id == native_id
        after = self._read_one(connector, native_id)
        assert after.data is not None
        assert self.comparable(after.data) == self.comparable(changed)
        assert connector.list_ids(self.entity).count(native_id) == 1

    def test_read_changes_captures_new_and_changed_records(self, connector: Connector) -> None:
        support = connector.capabilities.support(self.entity)
        assert support is not None
        if Capture.CURSOR not in support.capture:
            return self._scan_captures_new_records(connector)
        # The starting point comes from the system itself: its clock may differ from ours.
        cursor = self._drain(connector)
        created = [self._create(connector, self.sample(self._next())) for _ in range(3)]
        first = str(created[0].native_id)
        if connector.capabilities.can_write(self.entity, WriteOp.UPDATE):
            current = self._read_one(connector, first).data
            assert current is not None
            self._write_one(
                connector,
                WriteRequest(
                    WriteOp.UPDATE,
                    self.entity,
                    f"chg-{first}",
                    native_id=first,
                    data=self.modify(current),
                ),
            )
        seen: list[str] = []
        for _ in range(10_000):
            batch = connector.read_changes(self.entity, cursor, 2)
            seen.extend(r.native_id for r in batch.records)
            ordered = [r.cursor() for r in batch.records]
            assert all(c is not None for c in ordered), "cursor capture needs modified_at"
            assert ordered == sorted(ordered), "changes must come oldest first"  # type: ignore[type-var]
            if not batch.has_more:
                break
            assert batch.next_cursor is not None and batch.next_cursor != cursor
            cursor = batch.next_cursor
        for result in created:
            assert seen.count(str(result.native_id)) == 1, "each change exactly once per pass"
        if connector.capabilities.can_write(self.entity, WriteOp.UPDATE):
            assert seen[-1] == first, "a record changed last must come last"
        return None

    def _drain(self, connector: Connector) -> Cursor | None:
        """Page through every change so far; return the cursor after the newest."""
        cursor: Cursor | None = None
        for _ in range(100_000):
            batch = connector.read_changes(
                self.entity, cursor, connector.capabilities.read_batch_size
            )
            cursor = batch.next_cursor or cursor
            if not batch.has_more:
                return cursor
        raise AssertionError("read_changes never reported the end (has_more stays true)")

    def _scan_captures_new_records(self, connector: Connector) -> None:
        created = self._create(connector, self.sample(self._next()))
        found = [r for page in connector.scan(self.entity) for r in page]
        assert [r.native_id for r in found].count(str(created.native_id)) == 1

    def test_list_ids_and_scan_agree(self, connector: Connector) -> None:
        created = self._create(connector, self.sample(self._next()))
        ids = connector.list_ids(self.entity)
        assert str(created.native_id) in ids
        scanned = [r.native_id for page in connector.scan(self.entity) for r in page]
        assert sorted(scanned) == sorted(ids)

    def test_archive_or_delete_is_detectable(self, connector: Connector) -> None:
        created = self._create(connector, self.sample(self._next()))
        native_id = str(created.native_id)
        if connector.capabilities.can_write(self.entity, WriteOp.ARCHIVE):
            result = self._write_one(
                connector,
                WriteRequest(
                    WriteOp.ARCHIVE, self.entity, f"arch-{native_id}", native_id=native_id
                ),
            )
            assert result.ok, result.error
            assert native_id in connector.list_ids(self.entity)
            archived = self._read_one(connector, native_id)
            assert archived.data is not None
            assert getattr(archived.data, "active", False) is False
        if connector.capabilities.can_write(self.entity, WriteOp.DELETE):
            result = self._write_one(
                connector,
                WriteRequest(WriteOp.DELETE, self.entity, f"del-{native_id}", native_id=native_id),
            )
            assert result.ok, result.error
            assert native_id not in connector.list_ids(self.entity)
            assert connector.read(self.entity, [native_id]) == []

    def test_rejected_write_is_a_permanent_error_with_the_remote_message(
        self, connector: Connector
    ) -> None:
        existing = self.sample(self._next())
        self._create(connector, existing)
        bad = self.invalid(existing)
        if bad is None:
            return
        result = self._write_one(
            connector,
            WriteRequest(WriteOp.CREATE, self.entity, f"contract-{uuid.uuid4()}", data=bad),
        )
        assert not result.ok
        assert isinstance(result.error, PermanentError), repr(result.error)
        assert result.error.remote_message, "the remote system's own message must be kept"
