"""A system of several tables writes each entity in batches of its own table's
``write_batch_size``: before, every entity went in batches of the smallest table's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from syncline.connectors.base import Delegating, WriteRequest, WriteResult
from syncline.connectors.sql import SqlDatabaseConnector, SqlDatabaseSettings, connect
from syncline.store import Store
from tests.connectors.sql.legacy_tables import (
    CONTACT_TABLE,
    PARTY_TABLE,
    create_legacy_tables,
    legacy_system,
)
from tests.sync.harness import FakeClock, Systems, engine


class CountedWrites(Delegating):
    """The ERP, noting the size of every write call."""

    def __init__(self, inner: SqlDatabaseConnector) -> None:
        super().__init__(inner)
        self.sizes: list[int] = []

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        self.sizes.append(len(requests))
        return self.inner.write(entity, requests)

    def close(self) -> None:
        self.inner.close()


def test_each_entity_is_written_in_batches_of_its_own_tables_size(
    store: Store, tmp_path: Path
) -> None:
    """Parties into a two-table ERP whose party table takes 7 rows a write and its contact
    table 2: the initial load and the later updates go 7 at a time."""
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    create_legacy_tables(url)
    tables = {
        "party": {**PARTY_TABLE, "write_batch_size": 7},
        "contact": {**CONTACT_TABLE, "write_batch_size": 2},
    }
    values = {k: v for k, v in legacy_system(url, **tables).items() if k != "type"}
    legacy = connect("erp", SqlDatabaseSettings.model_validate(values))
    assert isinstance(legacy, SqlDatabaseConnector)
    erp = CountedWrites(legacy)
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = [systems.create("crm", name=f"Firm {n}", vat_id=f"DE{n}") for n in range(20)]
    sync = engine(store, systems, clock, connectors={"crm": systems.conn["crm"], "erp": erp})
    try:
        sync.run_cycle("parties")
        assert erp.sizes == [7, 7, 6], "the load's batches"
        assert len(sync.links("parties")) == 20
        erp.sizes.clear()
        for crm_id in crm_ids:
            systems.edit("crm", crm_id, website="https://edited.example")
        sync.run_cycle("parties")
        assert erp.sizes == [7, 7, 6], "the updates' batches"
        assert sync.run_cycle("parties").planned_writes == 0
    finally:
        erp.close()
