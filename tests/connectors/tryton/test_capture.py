"""Change capture and delete detection against a real Tryton."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from syncline.connectors.base import Cursor, WriteOp, WriteRequest
from syncline.connectors.tryton import TrytonConnector
from syncline.model import Party

pytestmark = [pytest.mark.integration, pytest.mark.tryton]


def _create_parties(connector: TrytonConnector, names: list[str]) -> list[str]:
    requests = [
        WriteRequest(WriteOp.CREATE, "party", f"cap-{uuid.uuid4()}", data=Party(name=name))
        for name in names
    ]
    results = connector.write("party", requests)
    assert all(r.ok for r in results), [r.error for r in results]
    return [str(r.native_id) for r in results]


def test_one_transaction_with_equal_timestamps_is_captured_exactly_once(
    tryton_connector: TrytonConnector,
) -> None:
    start = Cursor(datetime.now(UTC) - timedelta(seconds=2))
    tag = uuid.uuid4().hex[:8]
    ids = _create_parties(tryton_connector, [f"Equal {tag} {n}" for n in range(7)])
    created = tryton_connector.read("party", ids)
    stamps = {r.modified_at for r in created}
    assert len(stamps) == 1, "one Tryton transaction stamps all its records alike"

    seen: list[str] = []
    cursor: Cursor | None = start
    pages = 0
    while True:
        batch = tryton_connector.read_changes("party", cursor, 2)
        pages += 1
        assert len(batch.records) <= 2
        seen.extend(r.native_id for r in batch.records)
        if not batch.has_more:
            break
        assert batch.next_cursor is not None and batch.next_cursor != cursor
        cursor = batch.next_cursor
    assert pages >= 4, "seven equal stamps need four pages of two"
    for native_id in ids:
        assert seen.count(native_id) == 1
    assert [int(i) for i in ids] == sorted(int(i) for i in ids if i in seen)


def test_cursor_orders_ids_numerically_within_one_stamp(
    tryton_connector: TrytonConnector,
) -> None:
    ids = _create_parties(
        tryton_connector, [f"Numeric {uuid.uuid4().hex[:6]} {n}" for n in range(3)]
    )
    record = tryton_connector.read("party", [ids[0]])[0]
    assert record.modified_at is not None
    # A cursor id of "9" must not hide ids like "10..." (text comparison would).
    batch = tryton_connector.read_changes("party", Cursor(record.modified_at, "9"), 50)
    assert [r.native_id for r in batch.records if r.native_id in ids] == ids


def test_an_update_is_captured_after_the_cursor(tryton_connector: TrytonConnector) -> None:
    (native_id,) = _create_parties(tryton_connector, [f"Later {uuid.uuid4().hex[:8]}"])
    before = tryton_connector.read("party", [native_id])[0]
    assert before.modified_at is not None and isinstance(before.data, Party)
    cursor = Cursor(before.modified_at, native_id)
    assert native_id not in [
        r.native_id for r in tryton_connector.read_changes("party", cursor, 100).records
    ]
    changed = before.data.model_copy(update={"name": before.data.name + " (renamed)"})
    result = tryton_connector.write(
        "party",
        [WriteRequest(WriteOp.UPDATE, "party", "upd", native_id=native_id, data=changed)],
    )[0]
    assert result.ok, result.error
    after = tryton_connector.read_changes("party", cursor, 100)
    found = [r for r in after.records if r.native_id == native_id]
    assert len(found) == 1 and found[0].data == tryton_connector.read("party", [native_id])[0].data


def test_archive_and_hard_delete_are_detected(tryton_connector: TrytonConnector) -> None:
    archived, deleted = _create_parties(
        tryton_connector,
        [f"Archive me {uuid.uuid4().hex[:6]}", f"Delete me {uuid.uuid4().hex[:6]}"],
    )
    cursor = Cursor(datetime.now(UTC) - timedelta(seconds=1))
    results = tryton_connector.write(
        "party",
        [
            WriteRequest(WriteOp.ARCHIVE, "party", "a", native_id=archived),
            WriteRequest(WriteOp.DELETE, "party", "d", native_id=deleted),
        ],
    )
    assert all(r.ok for r in results), [r.error for r in results]
    ids = tryton_connector.list_ids("party")
    assert archived in ids and deleted not in ids
    scanned = {r.native_id: r for page in tryton_connector.scan("party") for r in page}
    assert deleted not in scanned
    data = scanned[archived].data
    assert isinstance(data, Party) and data.active is False
    changes = [r for r in tryton_connector.read_changes("party", cursor, 500).records]
    archived_change = [r for r in changes if r.native_id == archived]
    assert archived_change and isinstance(archived_change[0].data, Party)
    assert archived_change[0].data.active is False


def test_expected_version_mismatch_is_a_version_conflict(
    tryton_connector: TrytonConnector,
) -> None:
    (native_id,) = _create_parties(tryton_connector, [f"Versioned {uuid.uuid4().hex[:8]}"])
    record = tryton_connector.read("party", [native_id])[0]
    assert record.data is not None
    request = WriteRequest(
        WriteOp.UPDATE, "party", "v", native_id=native_id, data=record.data,
        expected_version="2000-01-01T00:00:00+00:00",
    )  # fmt: skip
    current = WriteRequest(
        WriteOp.UPDATE, "party", "w", native_id=native_id,
        data=record.data.model_copy(update={"website": "https://versioned.example"}),
        expected_version=record.version,
    )  # fmt: skip
    # The stale request sits second in the batch, after a create: positions must not mix up.
    create = WriteRequest(WriteOp.CREATE, "party", "c", data=Party(name="Batch neighbour"))
    results = tryton_connector.write("party", [create, request, current])
    assert results[0].ok
    assert results[1].version_conflict and not results[1].ok
    assert results[2].ok and results[2].version != record.version
