"""The SQL connector's key lookup: live rows, and soft-deleted ones when asked for them."""

from __future__ import annotations

from pathlib import Path

from syncline.connectors.base import WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector
from syncline.model import Party
from syncline.sync.links import DeletedKeyLookup
from tests.support.sqltables import party_system


def _create_and_delete_one(connector: SqlConnector) -> tuple[str, str]:
    """Two parties, the second deleted again; returns (kept id, deleted id)."""
    parties = [Party(name="Alpha", vat_id="DE1"), Party(name="Beta", vat_id="DE2")]
    created = connector.write(
        "party", [WriteRequest(WriteOp.CREATE, "party", p.name, data=p) for p in parties]
    )
    kept, gone = (str(r.native_id) for r in created)
    (deleted,) = connector.write(
        "party", [WriteRequest(WriteOp.DELETE, "party", "delete beta", native_id=gone)]
    )
    assert deleted.ok
    return kept, gone


def test_soft_deleted_rows_are_found_only_when_asked_for_and_keep_their_values(
    tmp_path: Path,
) -> None:
    connector = party_system("crm", f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        kept, gone = _create_and_delete_one(connector)
        assert isinstance(connector, DeletedKeyLookup) and connector.finds_deleted_by_key
        live = connector.lookup("party", "vat_id", ["DE1", "DE2"])
        assert [(r.native_id, r.deleted) for r in live] == [(kept, False)]
        found = connector.lookup("party", "vat_id", ["DE1", "DE2"], include_deleted=True)
        by_id = {r.native_id: r for r in found}
        assert sorted(by_id) == sorted([kept, gone])
        tombstone = by_id[gone]
        assert tombstone.deleted and isinstance(tombstone.data, Party)
        assert (tombstone.data.name, tombstone.data.vat_id) == ("Beta", "DE2")
        assert connector.read("party", [gone]) == [], "read still sees live rows only"
    finally:
        connector.close()


def test_a_table_with_hard_deletes_cannot_find_deleted_rows(tmp_path: Path) -> None:
    connector = party_system(
        "crm", f"sqlite:///{tmp_path / 'crm.db'}", modified=False, deleted=False
    )
    try:
        kept, _ = _create_and_delete_one(connector)
        assert not connector.finds_deleted_by_key
        found = connector.lookup("party", "vat_id", ["DE1", "DE2"], include_deleted=True)
        assert [(r.native_id, r.deleted) for r in found] == [(kept, False)]
    finally:
        connector.close()
