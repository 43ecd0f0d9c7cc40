"""A ``type: sql`` system of several tables of one database (config ``tables``): its settings,
the connector contract for each entity on SQLite and PostgreSQL, and the dispatch by entity."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from syncline.cli import main
from syncline.connectors.base import (
    Capture,
    PermanentError,
    TransientError,
    WriteOp,
    WriteRequest,
)
from syncline.connectors.contract import ConnectorContract
from syncline.connectors.sql import (
    SqlConnector,
    SqlDatabaseConnector,
    SqlDatabaseSettings,
    SqlSettings,
    connect,
    database,
)
from syncline.connectors.sql.engines import open_engine
from syncline.model import CanonicalEntity, Contact, Party
from syncline.runtime import Runtime
from syncline.sync.links import DeletedKeyLookup
from tests.connectors.sql.legacy_tables import (
    CONTACT_TABLE,
    PARTY_TABLE,
    create_legacy_tables,
    legacy_system,
)
from tests.connectors.sql.test_contract import PartyContract


def legacy(url: str, **tables: dict[str, Any]) -> SqlDatabaseConnector:
    """The two-table system ``legacy`` at ``url`` (tables created), built as the config is."""
    create_legacy_tables(url)
    settings = SqlDatabaseSettings.model_validate(
        {k: v for k, v in legacy_system(url, **tables).items() if k != "type"}
    )
    connector = connect("legacy", settings)
    assert isinstance(connector, SqlDatabaseConnector)
    return connector


@pytest.fixture
def two_tables(legacy_url: str) -> Iterator[SqlDatabaseConnector]:
    connector = legacy(legacy_url)
    yield connector
    connector.close()


# -- the contract, for each entity of the system ------------------------------------------------


class TestParties(PartyContract):
    """Parties of the two-table system: cursor capture, soft deletes."""

    @pytest.fixture
    def connector(self, two_tables: SqlDatabaseConnector) -> SqlDatabaseConnector:
        return two_tables


class TestContacts(ConnectorContract):
    """Contacts of the same system: scan capture, hard deletes, a party reference."""

    entity = "contact"

    @pytest.fixture
    def connector(self, two_tables: SqlDatabaseConnector) -> SqlDatabaseConnector:
        return two_tables

    def sample(self, n: int) -> CanonicalEntity:
        return Contact(first_name="Eva", last_name=f"Berg {n}", email=f"eva{n}@example.com")

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Contact)
        return record.model_copy(update={"last_name": record.last_name + "-Lund", "party_id": "7"})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Contact)
        return Contact(last_name="Duplicate mail", email=existing.email)

    def comparable(self, record: CanonicalEntity) -> dict[str, Any]:
        values = record.canonical_values()
        return {k: values[k] for k in ("first_name", "last_name", "party_id", "email", "active")}


# -- dispatch by entity ----------------------------------------------------------------------


def create(connector: SqlDatabaseConnector, entity: str, data: CanonicalEntity) -> str:
    (result,) = connector.write(entity, [WriteRequest(WriteOp.CREATE, entity, "k", data=data)])
    assert result.ok and result.native_id is not None, result.error
    return result.native_id


def test_each_entity_is_its_own_table_on_one_shared_engine(
    two_tables: SqlDatabaseConnector,
) -> None:
    party = create(two_tables, "party", Party(name="Alpha GmbH", vat_id="DE1"))
    contact = create(two_tables, "contact", Contact(last_name="Berg", party_id=party))
    parties, contacts = two_tables.tables["party"], two_tables.tables["contact"]
    assert parties.engine is contacts.engine
    assert (parties.table.name, contacts.table.name) == ("kunden", "ansprechpartner")
    assert two_tables.list_ids("party") == [party]
    assert two_tables.list_ids("contact") == [contact]
    (read,) = two_tables.read("contact", [contact])
    assert isinstance(read.data, Contact) and read.data.party_id == party
    assert read.entity == "contact"
    caps = two_tables.capabilities
    assert [e.entity for e in caps.entities] == ["party", "contact"]
    assert caps.can_capture("party", Capture.CURSOR)
    assert not caps.can_capture("contact", Capture.CURSOR)
    assert caps.can_capture("contact", Capture.SCAN)
    assert caps.can_write("contact", WriteOp.ARCHIVE)
    assert two_tables.health().ok


def test_an_entity_the_system_does_not_hold_is_a_permanent_error_naming_it(
    two_tables: SqlDatabaseConnector,
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: two_tables.read("product", ["1"]),
        lambda: two_tables.list_ids("product"),
        lambda: list(two_tables.scan("product")),
        lambda: two_tables.read_changes("product", None, 10),
        lambda: two_tables.lookup("product", "sku", ["A-1"]),
        lambda: two_tables.write("product", []),
    ]
    for call in calls:
        with pytest.raises(PermanentError) as caught:
            call()
        message = str(caught.value)
        assert "legacy holds no product table" in message
        assert "kunden (party), ansprechpartner (contact)" in message
        assert caught.value.system == "legacy"


def test_lookup_finds_deleted_records_where_their_table_keeps_them(
    two_tables: SqlDatabaseConnector,
) -> None:
    assert isinstance(two_tables, DeletedKeyLookup) and two_tables.finds_deleted_by_key
    party = create(two_tables, "party", Party(name="Alpha GmbH", vat_id="DE1"))
    contact = create(two_tables, "contact", Contact(last_name="Berg", email="b@alpha.de"))
    for entity, native_id in (("party", party), ("contact", contact)):
        request = WriteRequest(WriteOp.DELETE, entity, "d", native_id=native_id)
        assert two_tables.write(entity, [request])[0].ok
    assert two_tables.lookup("party", "vat_id", ["DE1"]) == []
    (tombstone,) = two_tables.lookup("party", "vat_id", ["de 1"], include_deleted=True)
    assert (tombstone.native_id, tombstone.deleted) == (party, True)
    assert isinstance(tombstone.data, Party) and tombstone.data.name == "Alpha GmbH"
    # the contact table has no deleted column: a delete removed the row, nothing to find
    assert two_tables.lookup("contact", "email", ["b@alpha.de"], include_deleted=True) == []


def test_batch_sizes_stay_within_each_table(legacy_url: str) -> None:
    small = {**CONTACT_TABLE, "read_batch_size": 2, "write_batch_size": 50}
    big = {**PARTY_TABLE, "read_batch_size": 300, "write_batch_size": 1000}
    connector = legacy(legacy_url, party=big, contact=small)
    try:
        # the engine writes each entity in batches of its table's size
        assert connector.capabilities.write_batch("contact") == 50
        assert connector.capabilities.write_batch("party") == 1000
        assert connector.capabilities.read_batch_size == 300
        for n in range(3):
            create(connector, "party", Party(name=f"P{n}", vat_id=f"DE{n}"))
        batch = connector.read_changes("party", None, connector.capabilities.read_batch_size)
        assert len(batch.records) == 3 and not batch.has_more
        pages = [len(page) for page in connector.scan("contact")]
        assert pages == []
        for n in range(3):
            create(connector, "contact", Contact(last_name=f"C{n}"))
        assert [len(page) for page in connector.scan("contact")] == [2, 1]
    finally:
        connector.close()


def test_a_table_that_cannot_be_read_releases_the_shared_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    create_legacy_tables(url)
    settings = SqlDatabaseSettings.model_validate(
        {"url": url, "tables": [PARTY_TABLE, {**CONTACT_TABLE, "table": "kontakte"}]}
    )
    disposed: list[Engine] = []

    def opened(url: str) -> Engine:
        engine = open_engine(url)
        monkeypatch.setattr(engine, "dispose", lambda: disposed.append(engine))
        return engine

    monkeypatch.setattr(database, "open_engine", opened)
    with pytest.raises(TransientError, match="cannot read table 'kontakte'"):
        SqlDatabaseConnector.from_settings("legacy", settings)
    assert len(disposed) == 1


def test_two_tables_of_one_entity_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    create_legacy_tables(url)
    parties = SqlConnector("legacy", SqlSettings.model_validate({**PARTY_TABLE, "url": url}))
    again = SqlConnector("legacy", SqlSettings.model_validate({**PARTY_TABLE, "url": url}))
    with pytest.raises(PermanentError, match="both hold party"):
        SqlDatabaseConnector("legacy", [parties, again])
    parties.close()
    again.close()


# -- the config ---------------------------------------------------------------------------------


def write_config(tmp_path: Path, system: dict[str, Any]) -> Path:
    path = tmp_path / "syncline.yaml"
    cfg = {
        "version": 1,
        "store": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
        "systems": {"legacy": system},
    }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def problems(tmp_path: Path, system: dict[str, Any]) -> list[str]:
    runtime = Runtime.from_file(write_config(tmp_path, system))
    try:
        return [str(p) for p in runtime.validate()]
    finally:
        runtime.close()


def test_a_config_with_tables_builds_one_system_holding_each_entity(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    create_legacy_tables(url)
    system = legacy_system(url)
    system["tables"][1] = {**CONTACT_TABLE, "modified_column": None}
    runtime = Runtime.from_file(write_config(tmp_path, system))
    try:
        assert runtime.validate() == []
        settings = runtime.system_settings("legacy")
        assert isinstance(settings, SqlDatabaseSettings)
        assert [(t.table, t.entity) for t in settings.tables] == [
            ("kunden", "party"),
            ("ansprechpartner", "contact"),
        ]
        assert settings.tables[0].key_column == "nr" and settings.tables[1].key_column == "id"
        connector = runtime.connector("legacy")
        assert isinstance(connector, SqlDatabaseConnector)
        assert {e.entity for e in connector.capabilities.entities} == {"party", "contact"}
    finally:
        runtime.close()


def test_table_and_tables_together_are_refused(tmp_path: Path) -> None:
    system = {**legacy_system("sqlite:///x.db"), "table": "kunden", "columns": {"name": "firma"}}
    (problem,) = problems(tmp_path, system)
    assert "syncline.yaml:5: systems.legacy: give either 'table'" in problem
    assert "or 'tables' (several), not both: move table, columns into an item" in problem


def test_one_entity_in_two_tables_is_refused(tmp_path: Path) -> None:
    system = legacy_system("sqlite:///x.db", contact={**CONTACT_TABLE, "entity": "party"})
    (problem,) = problems(tmp_path, system)
    assert "systems.legacy.tables: entity 'party' is held by tables kunden, ansprechpartner" in (
        problem
    )


def test_a_system_without_tables_is_refused(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, {"type": "sql", "url": "sqlite:///x.db", "tables": []})
    assert "systems.legacy.tables: list at least one table" in problem


def test_a_mistake_inside_a_table_names_its_key_and_line(tmp_path: Path) -> None:
    broken = {**CONTACT_TABLE, "key_kind": "serial", "url": "sqlite:///other.db"}
    found = problems(tmp_path, legacy_system("sqlite:///x.db", contact=broken))
    assert any("systems.legacy.tables.1.key_kind: Input should be 'auto'" in p for p in found)
    assert any("systems.legacy.tables.1.url: unknown key for a sql system" in p for p in found)
    line = int(next(p for p in found if "key_kind" in p).split(":")[1])
    text = write_config(tmp_path, legacy_system("x", contact=broken)).read_text().splitlines()
    assert "key_kind: serial" in text[line - 1]


def test_settings_models_refuse_each_wrong_form() -> None:
    with pytest.raises(ValidationError, match="not both"):
        SqlDatabaseSettings.model_validate({"url": "x", "key_column": "nr", "tables": []})
    with pytest.raises(ValidationError, match="tables"):
        SqlSettings.model_validate({"url": "x", "tables": [PARTY_TABLE]})


def test_config_schema_offers_both_forms_of_a_sql_system(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["config", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    sql = [
        v
        for v in schema["$defs"]["SystemConfig"]["oneOf"]
        if v["properties"]["type"].get("const") == "sql"
    ]
    assert [sorted(v["required"]) for v in sql] == [
        ["columns", "table", "type", "url"],
        ["tables", "type", "url"],
    ]
    assert sql[1]["properties"]["tables"]["minItems"] == 1
