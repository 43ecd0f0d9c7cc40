"""The SQL connector checks a write's expected version in the statement that writes
(ARCHITECTURE.md §3.6, no lost updates): a person's edit committed between the connector's
read of the row and its write is never overwritten; the write gets ``version_conflict`` and
the engine merges again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, false, select, update

from syncline.connectors.base import WriteOp, WriteRequest, WriteResult
from syncline.connectors.sql import SqlConnector
from syncline.model import Party
from syncline.store import Store
from syncline.sync import SyncEngine
from tests.support.sqltables import party_system
from tests.sync.harness import FakeClock, config


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as the party table stores it


def _person_edits_first(
    connector: SqlConnector, statement: str, native_id: str, **values: Any
) -> Callable[[], bool]:
    """Before the connector's first ``statement`` (``UPDATE parties``, ``DELETE FROM``), a
    person's edit of the row commits on another connection; returns whether it did."""
    fired: list[bool] = []

    def racing_person(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not fired and sql.lstrip().upper().startswith(statement):
            fired.append(True)
            with connector.engine.begin() as other:
                other.execute(
                    update(connector.table)
                    .where(connector.key == int(native_id))
                    .values(modified_at=_now(), **values)
                )

    event.listen(connector.engine, "before_cursor_execute", racing_person)
    return lambda: bool(fired)


def _create(connector: SqlConnector, *names: str) -> list[WriteResult]:
    requests = [
        WriteRequest(WriteOp.CREATE, "party", f"c{n}", data=Party(name=name))
        for n, name in enumerate(names)
    ]
    results = connector.write("party", requests)
    assert all(r.ok for r in results), results
    return results


def _rename(created: WriteResult, name: str) -> WriteRequest:
    return WriteRequest(
        WriteOp.UPDATE,
        "party",
        f"u-{created.native_id}",
        native_id=created.native_id,
        data=Party(name=name),
        expected_version=created.version,
        fields=frozenset({"name"}),
    )


def _names(connector: SqlConnector) -> dict[str, tuple[str, bool, bool]]:
    """Each row's name, active and deleted flag (deleted: False without the column)."""
    columns = connector.table.c
    deleted = columns.deleted if "deleted" in columns else false()
    query = select(connector.key, columns.name, columns.active, deleted)
    with connector.engine.connect() as db:
        return {
            str(key): (name, bool(active), bool(gone))
            for key, name, active, gone in db.execute(query)
        }


@pytest.fixture
def parties(legacy_url: str) -> Iterator[SqlConnector]:
    connector = party_system("erp", legacy_url)
    yield connector
    connector.close()


def test_an_update_raced_by_a_persons_edit_is_a_version_conflict(parties: SqlConnector) -> None:
    (alpha,) = _create(parties, "Alpha")
    fired = _person_edits_first(parties, "UPDATE PARTIES", str(alpha.native_id), name="Alpha AS")
    (result,) = parties.write("party", [_rename(alpha, "Alpha GmbH")])
    assert fired()
    assert result.version_conflict and result.error is None
    assert _names(parties)[str(alpha.native_id)][0] == "Alpha AS"  # the person's edit stands


def test_in_a_batch_only_the_raced_row_is_refused(parties: SqlConnector) -> None:
    created = _create(parties, "Alpha", "Beta", "Gamma")
    beta = str(created[1].native_id)
    fired = _person_edits_first(parties, "UPDATE PARTIES", beta, name="Beta AS")
    requests = [_rename(c, f"{n} GmbH") for c, n in zip(created, "ABG", strict=True)]
    results = parties.write("party", requests)
    assert fired()
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].version_conflict and results[1].error is None
    names = _names(parties)
    assert [names[str(c.native_id)][0] for c in created] == ["A GmbH", "Beta AS", "G GmbH"]
    # the versions of the rows written are those a read gives
    read = {r.native_id: r.version for r in parties.read("party", list(names))}
    assert [r.version for r in results if r.ok] == [
        read[str(created[0].native_id)],
        read[str(created[2].native_id)],
    ]


@pytest.mark.parametrize(
    ("op", "soft_delete", "statement"),
    [
        (WriteOp.ARCHIVE, True, "UPDATE PARTIES"),
        (WriteOp.DELETE, True, "UPDATE PARTIES"),
        (WriteOp.DELETE, False, "DELETE FROM PARTIES"),
    ],
)
def test_an_archive_or_delete_raced_by_an_edit_is_a_version_conflict(
    legacy_url: str, op: WriteOp, soft_delete: bool, statement: str
) -> None:
    connector = party_system("erp", legacy_url, deleted=soft_delete)
    try:
        (alpha,) = _create(connector, "Alpha")
        native_id = str(alpha.native_id)
        fired = _person_edits_first(connector, statement, native_id, name="Alpha AS")
        request = WriteRequest(
            op, "party", "gone", native_id=native_id, expected_version=alpha.version
        )
        (result,) = connector.write("party", [request])
        assert fired()
        assert result.version_conflict
        # still there, alive and active, with the person's edit
        assert _names(connector)[native_id] == ("Alpha AS", True, False)
    finally:
        connector.close()


def test_a_delete_expecting_an_older_version_is_a_version_conflict(
    parties: SqlConnector,
) -> None:
    (alpha,) = _create(parties, "Alpha")
    (renamed,) = parties.write("party", [_rename(alpha, "Alpha GmbH")])
    stale = WriteRequest(
        WriteOp.DELETE, "party", "d", native_id=alpha.native_id, expected_version=alpha.version
    )
    current = WriteRequest(
        WriteOp.DELETE, "party", "d2", native_id=alpha.native_id, expected_version=renamed.version
    )
    assert parties.write("party", [stale])[0].version_conflict
    assert _names(parties)[str(alpha.native_id)] == ("Alpha GmbH", True, False)
    assert parties.write("party", [current])[0].ok
    assert parties.read("party", [str(alpha.native_id)]) == []


def test_the_engine_merges_a_persons_edit_made_while_it_writes(
    legacy_url: str, tmp_path: Path
) -> None:
    """The whole path: the edit made between the worker's check and its write becomes a
    conflict with the other system's edit (the default policy), not a silent overwrite."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    crm = party_system("crm", f"sqlite:///{tmp_path / 'crm.db'}")
    erp = party_system("erp", legacy_url)
    try:
        sync = SyncEngine(store, config(), {"crm": crm, "erp": erp}, clock=FakeClock(), seed=1)
        (alpha,) = _create(crm, "Alpha")
        sync.run_cycle("parties")
        (erp_id,) = _names(erp)
        fired = _person_edits_first(erp, "UPDATE PARTIES", erp_id, name="Alpha AS")
        with crm.engine.begin() as db:
            db.execute(
                update(crm.table)
                .where(crm.key == int(str(alpha.native_id)))
                .values(name="Alpha GmbH", modified_at=_now())
            )
        report = sync.run_cycle("parties")
        assert fired()
        assert (report.delivery.replanned, report.delivery.delivered) == (1, 0)
        sync.run_cycle("parties")
        (conflict,) = sync.conflicts()
        assert (conflict.field, conflict.value_a, conflict.value_b) == (
            "name",
            "Alpha GmbH",
            "Alpha AS",
        )
        assert _names(erp)[erp_id][0] == "Alpha AS"
    finally:
        crm.close()
        erp.close()
        store.close()
