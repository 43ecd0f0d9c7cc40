"""The SQL connector's origin column: every row it creates or updates keeps there the
idempotency key of that write, ``by_origin`` finds rows by it and ``origins`` tells each row's
(recovery after a crash, ARCHITECTURE.md §3.10)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, String, create_engine, insert, select

from syncline.connectors.base import OriginLookup, PermanentError, WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector, SqlDatabaseConnector, SqlSettings
from syncline.model import Party
from tests.support.sqltables import ORIGIN_COLUMN, party_settings, party_system, party_table


def _create(connector: SqlConnector, *named: tuple[str, str]) -> list[str]:
    """Create a party per (idempotency key, name); their native ids, in order."""
    requests = [
        WriteRequest(WriteOp.CREATE, "party", key, data=Party(name=name)) for key, name in named
    ]
    results = connector.write("party", requests)
    assert all(r.ok for r in results), results
    return [str(r.native_id) for r in results]


def _origin_of(connector: SqlConnector) -> dict[str, Any]:
    with connector.engine.connect() as db:
        query = select(connector.key, connector.table.c[ORIGIN_COLUMN])
        return {str(key): origin for key, origin in db.execute(query)}


@pytest.fixture
def marked(legacy_url: str) -> Iterator[SqlConnector]:
    connector = party_system("legacy", legacy_url, origin=True)
    yield connector
    connector.close()


def test_each_created_row_keeps_its_creates_key(marked: SqlConnector) -> None:
    """A batch (the load's path) and a single create; the key is the request's, row by row."""
    batch = _create(marked, ("batch:0", "Alpha"), ("batch:1", "Beta"), ("batch:2", "Gamma"))
    (single,) = _create(marked, ("single", "Delta"))
    assert _origin_of(marked) == {
        batch[0]: "batch:0",
        batch[1]: "batch:1",
        batch[2]: "batch:2",
        single: "single",
    }
    found = marked.by_origin("party", ["batch:1", "single", "unknown"])
    assert sorted((r.native_id, r.data.name) for r in found if isinstance(r.data, Party)) == sorted(
        [(batch[1], "Beta"), (single, "Delta")]
    )
    assert marked.marks_origin("party") and isinstance(marked, OriginLookup)


def test_an_update_becomes_the_origin_and_a_deleted_row_is_found_as_a_tombstone(
    marked: SqlConnector,
) -> None:
    """The origin is syncline's last write of the row: an update's key replaces the
    create's; a delete leaves it."""
    alpha, beta = _create(marked, ("k1", "Alpha"), ("k0", "Beta"))
    assert marked.origins("party", [alpha, beta, "999"]) == {alpha: "k1", beta: "k0"}
    (record,) = marked.read("party", [alpha])
    update_ = WriteRequest(
        WriteOp.UPDATE,
        "party",
        "k2",
        native_id=alpha,
        data=Party(name="Alpha GmbH"),
        expected_version=record.version,
        fields=frozenset({"name"}),
    )
    assert marked.write("party", [update_])[0].ok
    assert _origin_of(marked) == {alpha: "k2", beta: "k0"}
    assert marked.by_origin("party", ["k1"]) == []
    assert marked.write("party", [WriteRequest(WriteOp.DELETE, "party", "k3", native_id=alpha)])
    (tombstone,) = marked.by_origin("party", ["k2"])
    assert tombstone.deleted and isinstance(tombstone.data, Party)
    assert tombstone.data.name == "Alpha GmbH"
    assert marked.origins("party", [alpha]) == {alpha: "k2"}, "a deleted row's too"


def test_a_uuid_keyed_table_keeps_the_origin_too(legacy_url: str) -> None:
    """The other insert path: syncline makes the keys, rows come back by RETURNING."""
    engine = create_engine(legacy_url)
    table = party_table("uuid_parties", origin=True)
    table.c.id.type = table.c.name.type  # a text key
    table.c.id.autoincrement = False
    table.metadata.create_all(engine)
    engine.dispose()
    settings = party_settings(legacy_url, "uuid_parties", origin=True)
    connector = SqlConnector("legacy", settings.model_copy(update={"key_kind": "uuid"}))
    try:
        ids = _create(connector, ("u:0", "Alpha"), ("u:1", "Beta"))
        assert _origin_of(connector) == {ids[0]: "u:0", ids[1]: "u:1"}
    finally:
        connector.close()


def test_without_an_origin_column_nothing_is_marked(legacy_url: str) -> None:
    connector = party_system("legacy", legacy_url)
    try:
        _create(connector, ("k1", "Alpha"))
        assert not connector.marks_origin("party")
        assert connector.by_origin("party", ["k1"]) == []
        assert connector.origins("party", ["1"]) == {}
    finally:
        connector.close()


def test_a_row_a_person_made_has_no_origin(marked: SqlConnector) -> None:
    """Only syncline's creates are marked: an identical row someone else inserted is not
    found by the create's key."""
    (alpha,) = _create(marked, ("k1", "Alpha"))
    with marked.engine.begin() as db:
        db.execute(insert(marked.table).values(name="Alpha", active=True, deleted=False))
    assert len(next(marked.scan("party"))) == 2
    assert [r.native_id for r in marked.by_origin("party", ["k1"])] == [alpha]


def test_a_missing_origin_column_is_named(legacy_url: str) -> None:
    party_system("plain", legacy_url).close()  # a table without the column
    with pytest.raises(PermanentError, match=f"has no column.*{ORIGIN_COLUMN}"):
        SqlConnector("legacy", party_settings(legacy_url, origin=True))


@pytest.mark.parametrize("column", ["name", "id", "modified_at", "deleted"])
def test_the_origin_column_must_be_a_column_of_its_own(column: str) -> None:
    values = party_settings("sqlite://", origin=True).model_dump()
    with pytest.raises(ValidationError, match=f"origin_column '{column}' is a column syncline"):
        SqlSettings.model_validate({**values, "origin_column": column})


def test_a_system_of_tables_marks_the_entities_whose_table_has_an_origin(
    marked: SqlConnector,
) -> None:
    system = SqlDatabaseConnector("legacy", [marked])
    assert system.marks_origin("party") and not system.marks_origin("contact")
    (alpha,) = _create(marked, ("k1", "Alpha"))
    assert [r.native_id for r in system.by_origin("party", ["k1"])] == [alpha]


def test_health_notes_an_origin_column_without_an_index(
    marked: SqlConnector, legacy_url: str
) -> None:
    """Recovery looks rows up by their origin: without an index each lookup reads the table."""
    assert marked.health().ok and marked.health().detail == ""
    engine = create_engine(legacy_url)
    table = party_table("bare_parties")
    table.append_column(Column(ORIGIN_COLUMN, String(80)))  # not indexed
    table.metadata.create_all(engine)
    engine.dispose()
    bare = SqlConnector("legacy", party_settings(legacy_url, "bare_parties", origin=True))
    try:
        health = bare.health()
        assert health.ok
        assert f"origin_column {ORIGIN_COLUMN} of bare_parties has no index" in health.detail
    finally:
        bare.close()
