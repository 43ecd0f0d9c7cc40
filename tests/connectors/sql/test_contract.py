"""The SQL connector passes the connector contract on SQLite (cursor and scan) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.contract import ConnectorContract
from syncline.connectors.sql import SqlConnector
from syncline.model import CanonicalEntity, Party
from tests.support.postgres import fresh_database
from tests.support.sqltables import party_system


class PartyContract(ConnectorContract):
    entity = "party"

    def sample(self, n: int) -> CanonicalEntity:
        return Party(
            name=f"Contract {n} GmbH",
            vat_id=f"DE{n}",
            emails=[f"info{n}@example.com"],
            phones=["+49 30 1234"],
            language="de",
        )

    def modify(self, record: CanonicalEntity) -> CanonicalEntity:
        assert isinstance(record, Party)
        return record.model_copy(update={"name": record.name + " AG", "website": "https://x.de"})

    def invalid(self, existing: CanonicalEntity) -> CanonicalEntity | None:
        assert isinstance(existing, Party)
        return Party(name="Duplicate VAT", vat_id=existing.vat_id)

    def comparable(self, record: CanonicalEntity) -> dict[str, Any]:
        values = record.canonical_values()
        return {k: values[k] for k in ("name", "vat_id", "emails", "phones", "website", "active")}


class TestSqliteCursor(PartyContract):
    @pytest.fixture
    def connector(self, tmp_path: Path) -> Iterator[SqlConnector]:
        conn = party_system("legacy", f"sqlite:///{tmp_path / 'legacy.db'}")
        yield conn
        conn.close()


class TestSqliteScanHardDelete(PartyContract):
    @pytest.fixture
    def connector(self, tmp_path: Path) -> Iterator[SqlConnector]:
        conn = party_system(
            "legacy", f"sqlite:///{tmp_path / 'legacy.db'}", modified=False, deleted=False
        )
        yield conn
        conn.close()


@pytest.mark.postgres
class TestPostgresCursor(PartyContract):
    @pytest.fixture
    def connector(self, postgres_admin_url: str) -> Iterator[SqlConnector]:
        conn = party_system("legacy", fresh_database(postgres_admin_url))
        yield conn
        conn.close()
