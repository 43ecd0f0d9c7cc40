"""The SQL connector turns every database error into a connector error (ARCHITECTURE.md §3.6):
a value the database refuses (too long, a constraint, a trigger) is that record's permanent
error, and the record becomes a dead letter with the database's message while the rest of its
batch is written; a failure of the database or the statement is transient."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, create_engine, event, select, text

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector
from syncline.errors import PermanentError, TransientError
from syncline.model import Party
from syncline.store import Store
from syncline.store.outbox import list_jobs
from syncline.sync import SyncEngine
from tests.support.postgres import fresh_database
from tests.support.sqltables import party_settings, party_system, party_table
from tests.sync.harness import FakeClock, config

SQLITE_MAX_LENGTH = 5000
"""Text a SQLite database built with a smaller SQLITE_MAX_LENGTH still takes."""


def _limited(connector: SqlConnector) -> SqlConnector:
    """``connector``'s SQLite database refusing longer text (a DataError, as PostgreSQL
    refuses text longer than a VARCHAR column)."""

    def limit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_LENGTH)

    event.listen(connector.engine, "connect", limit)
    connector.engine.dispose()  # the pooled connection was made without the limit
    return connector


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def strict(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqlConnector, str]]:
    """A party table refusing a too long name with a DataError, and such a name."""
    if request.param == "sqlite":
        connector = _limited(party_system("erp", f"sqlite:///{tmp_path / 'erp.db'}"))
        too_long = "B" * (SQLITE_MAX_LENGTH + 1)
    else:
        url = fresh_database(request.getfixturevalue("postgres_admin_url"))
        connector = party_system("erp", url)
        too_long = "B" * 250  # the name column is VARCHAR(200)
    yield connector, too_long
    connector.close()


def _creates(*names: str) -> list[WriteRequest]:
    return [
        WriteRequest(WriteOp.CREATE, "party", f"c{n}", data=Party(name=name))
        for n, name in enumerate(names)
    ]


def _stored_names(connector: SqlConnector) -> list[str]:
    with connector.engine.connect() as db:
        query = select(connector.table.c.name).order_by(connector.key)
        return list(db.execute(query).scalars())


def test_a_too_long_value_in_a_batch_of_creates_fails_its_record_only(
    strict: tuple[SqlConnector, str],
) -> None:
    connector, too_long = strict
    results = connector.write("party", _creates("Alpha", too_long, "Gamma"))
    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert isinstance(error, PermanentError)
    assert error.remote_message in (  # the database's own words
        "value too long for type character varying(200)",
        "string or blob too big",
    )
    assert "rejected the row of a new party" in str(error)
    assert _stored_names(connector) == ["Alpha", "Gamma"]


def test_a_too_long_value_in_a_batch_of_updates_fails_its_record_only(
    strict: tuple[SqlConnector, str],
) -> None:
    connector, too_long = strict
    created = connector.write("party", _creates("Alpha", "Beta", "Gamma"))
    updates = [
        WriteRequest(
            WriteOp.UPDATE,
            "party",
            f"u{n}",
            native_id=c.native_id,
            data=Party(name=name),
            expected_version=c.version,
            fields=frozenset({"name"}),
        )
        for n, (c, name) in enumerate(zip(created, ["Alpha AG", too_long, "Gamma AG"], strict=True))
    ]
    results = connector.write("party", updates)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, PermanentError)
    assert f"party {created[1].native_id}" in str(results[1].error)  # names the record
    assert _stored_names(connector) == ["Alpha AG", "Beta", "Gamma AG"]


def test_sqlite_refusals_of_one_batch_each_fail_their_own_record(tmp_path: Path) -> None:
    """A CHECK constraint and a value longer than the database takes, in one batch."""
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    table = party_table()
    table.append_constraint(CheckConstraint("name NOT LIKE '%<%'", name="no_markup"))
    engine = create_engine(url)
    table.metadata.create_all(engine)
    engine.dispose()
    connector = _limited(SqlConnector("erp", party_settings(url)))
    try:
        names = ["Alpha", "Beta <AS>", "C" * (SQLITE_MAX_LENGTH + 1), "Delta"]
        results = connector.write("party", _creates(*names))
        errors = [r.error.remote_message if isinstance(r.error, PermanentError) else None
                  for r in results]  # fmt: skip
        assert errors == [
            None,
            "CHECK constraint failed: no_markup",
            "string or blob too big",
            None,
        ]
        assert _stored_names(connector) == ["Alpha", "Delta"]
    finally:
        connector.close()


def test_a_value_the_target_refuses_is_a_dead_letter_and_the_cycle_goes_on(
    strict: tuple[SqlConnector, str], tmp_path: Path
) -> None:
    erp, too_long = strict
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    crm = party_system("crm", f"sqlite:///{tmp_path / 'crm.db'}")  # takes any length
    try:
        sync = SyncEngine(store, config(), {"crm": crm, "erp": erp}, clock=FakeClock(), seed=1)
        crm.write("party", _creates("Alpha"))
        sync.run_cycle("parties")
        crm.write("party", _creates(too_long, "Gamma"))
        report = sync.run_cycle("parties")
        assert (report.delivery.dead, report.delivery.delivered) == (1, 1)
        (dead,) = sync.dead_letters()
        assert dead.op == "create" and dead.payload["values"]["name"] == too_long
        assert dead.last_error in (
            "value too long for type character varying(200)",
            "string or blob too big",
        )
        with store.begin() as conn:
            assert not [j for j in list_jobs(conn) if j.state == "running"]
        assert _stored_names(erp) == ["Alpha", "Gamma"]
    finally:
        crm.close()
        store.close()


@pytest.mark.postgres
def test_a_statement_the_database_cannot_run_is_transient_not_a_dead_letter(
    postgres_admin_url: str,
) -> None:
    """A column dropped under the connector: no record is to blame, every write waits."""
    connector = party_system("erp", fresh_database(postgres_admin_url))
    try:
        with connector.engine.begin() as db:
            db.execute(text("ALTER TABLE parties DROP COLUMN website"))
        with pytest.raises(TransientError, match="website"):
            connector.write("party", _creates("Alpha", "Beta"))
    finally:
        connector.close()


@pytest.mark.postgres
def test_a_lookup_of_a_value_the_database_cannot_take_is_permanent(
    postgres_admin_url: str,
) -> None:
    """PostgreSQL text holds no NUL character: asking for one fails the same way every time."""
    connector = party_system("erp", fresh_database(postgres_admin_url))
    try:
        with pytest.raises(PermanentError, match="NUL") as caught:
            connector.lookup("party", "vat_id", ["DE1\x00"])
        assert "parties" in str(caught.value)
    finally:
        connector.close()
