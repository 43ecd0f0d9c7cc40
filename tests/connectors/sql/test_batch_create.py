"""The SQL connector's batch create on SQLite (rows straight to the driver, versions from one
range read) stores what SQLAlchemy's own insert stores, and reports the versions that reading
the rows back reports: else the echo of an initial load would plan writes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import orjson
import pytest
from hypothesis import given, settings
from sqlalchemy import create_engine, insert, select

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector
from syncline.errors import PermanentError
from syncline.model import Party
from tests.support.sqltables import PARTY_COLUMNS, party_settings, party_system

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
SERIAL = itertools.count()  # the tables keep the rows of every example: VAT ids stay unique
PARTIES = st.builds(
    Party,
    name=TEXT.filter(lambda t: t.strip() != ""),
    vat_id=st.none() | TEXT,
    emails=st.lists(st.sampled_from(["a@example.com", "B.c@Example.org", "ü@bücher.de"])),
    phones=st.lists(TEXT, max_size=2),
    website=st.none() | TEXT,
    language=st.none() | st.sampled_from(["de", "en", "ß"]),
    active=st.booleans(),
)


def _stored(connector: SqlConnector, keys: list[str]) -> list[tuple[Any, ...]]:
    """The rows as SQLAlchemy reads them, without key and time stamp."""
    columns = [c for c in connector.table.c if c.name not in ("id", "modified_at")]
    query = select(*columns).where(connector.key.in_([int(k) for k in keys]))
    with connector.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query.order_by(connector.key))]


def _plain_row(party: Party) -> dict[str, Any]:
    """The row of ``party`` for SQLAlchemy's insert, as the connector built it before."""
    values = party.canonical_values()
    row = {column: values.get(field) for field, column in PARTY_COLUMNS.items()}
    for column in ("emails", "phones"):
        row[column] = orjson.dumps(row[column], option=orjson.OPT_SORT_KEYS).decode()
    return row | {"modified_at": datetime.now(UTC).replace(tzinfo=None), "deleted": False}


@pytest.fixture(scope="module")
def systems(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SqlConnector, SqlConnector]]:
    folder: Path = tmp_path_factory.mktemp("batch-create")
    fast = party_system("fast", f"sqlite:///{folder / 'fast.db'}")
    plain = party_system("plain", f"sqlite:///{folder / 'plain.db'}")
    yield fast, plain
    fast.close()
    plain.close()


@settings(max_examples=60)
@given(parties=st.lists(PARTIES, min_size=1, max_size=8))
def test_batch_create_stores_rows_and_versions_as_read_back(
    systems: tuple[SqlConnector, SqlConnector], parties: list[Party]
) -> None:
    fast, plain = systems
    parties = [
        p if p.vat_id is None else p.model_copy(update={"vat_id": f"{p.vat_id}#{next(SERIAL)}"})
        for p in parties
    ]
    requests = [
        WriteRequest(WriteOp.CREATE, "party", f"k{i}", data=p) for i, p in enumerate(parties)
    ]
    results = fast.write("party", requests)
    assert all(r.ok for r in results), [r.error for r in results]
    keys = [str(r.native_id) for r in results]
    assert len(set(keys)) == len(keys)

    # versions: what every way of reading reports for the same rows
    read = {r.native_id: r for r in fast.read("party", keys)}
    assert [r.version for r in results] == [read[k].version for k in keys]
    assert [read[k].data for k in keys] == parties
    scanned = {r.native_id: r.version for page in fast.scan("party") for r in page}
    assert [r.version for r in results] == [scanned[k] for k in keys]
    changed = fast.read_changes("party", None, 10_000).records
    captured = {r.native_id: r.version for r in changed}
    assert [r.version for r in results] == [captured[k] for k in keys]

    # rows: what SQLAlchemy's insert of the same values stores
    with plain.engine.begin() as conn:
        rows = [_plain_row(p) for p in parties]
        returned = conn.execute(insert(plain.table).returning(plain.key), rows).scalars()
        plain_keys = sorted(str(k) for k in returned)
    assert _stored(fast, keys) == _stored(plain, plain_keys)


def test_a_rejected_row_fails_alone_and_the_others_keep_their_versions(tmp_path: Path) -> None:
    connector = party_system("legacy", f"sqlite:///{tmp_path / 'legacy.db'}")
    first = Party(name="First", vat_id="DE1")
    requests = [
        WriteRequest(WriteOp.CREATE, "party", "a", data=first),
        WriteRequest(WriteOp.CREATE, "party", "b", data=Party(name="Twin", vat_id="DE1")),
        WriteRequest(WriteOp.CREATE, "party", "c", data=Party(name="Third", vat_id="DE3")),
    ]
    results = connector.write("party", requests)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, PermanentError)
    created = [results[0], results[2]]
    read = connector.read("party", [str(r.native_id) for r in created])
    assert [r.version for r in created] == [r.version for r in read]
    assert [r.data for r in read] == [first, requests[2].data]
    connector.close()


def test_a_driver_taking_named_parameters_gets_the_same_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'named.db'}"
    party_system("named", url).close()
    named = SqlConnector("named", party_settings(url), create_engine(url, paramstyle="named"))
    parties = [Party(name="One", vat_id="DE1", active=False), Party(name="Two", emails=["a@b.de"])]
    requests = [
        WriteRequest(WriteOp.CREATE, "party", f"k{i}", data=p) for i, p in enumerate(parties)
    ]
    results = named.write("party", requests)
    read = named.read("party", [str(r.native_id) for r in results])
    assert [r.data for r in read] == parties
    assert [r.version for r in read] == [r.version for r in results]
    named.close()
