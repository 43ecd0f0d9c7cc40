"""A row that is not a valid canonical record is read as an unreadable record naming the row
and the reason, in every read path, beside the valid rows of its page; never as a tombstone."""

from __future__ import annotations

from pathlib import Path

from syncline.connectors.base import NativeRecord, WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector
from syncline.errors import PermanentError
from syncline.model import Party
from tests.sync.harness import Systems


def _three(tmp_path: Path) -> tuple[Systems, SqlConnector, list[str]]:
    systems = Systems(tmp_path)
    ids = [
        systems.create("crm", name="Alpha", vat_id="DE1"),
        systems.create("crm", name="Typo", vat_id="DE9", emails=["info(at)typo.de"]),
        systems.create("crm", name="Beta", vat_id="DE2"),
    ]
    return systems, systems.conn["crm"], ids


def _shape(records: list[NativeRecord]) -> list[tuple[str, bool, bool]]:
    """Per record: native id, whether it holds a party, whether it is a tombstone."""
    return [(r.native_id, isinstance(r.data, Party), r.deleted) for r in records]


def test_every_read_path_returns_the_bad_row_as_unreadable(tmp_path: Path) -> None:
    _, crm, (alpha, typo, beta) = _three(tmp_path)
    expected = [(alpha, True, False), (typo, False, False), (beta, True, False)]
    batch = crm.read_changes("party", None, 10)
    assert _shape(batch.records) == expected
    assert batch.next_cursor == batch.records[-1].cursor()
    assert _shape(crm.read("party", [alpha, typo, beta])) == expected
    assert _shape([r for page in crm.scan("party") for r in page]) == expected
    (found,) = crm.lookup("party", "vat_id", ["DE9"])
    assert found.native_id == typo and found.data is None and not found.deleted
    bad = batch.records[1]
    assert bad.problem is not None
    assert bad.problem.startswith(f"row {typo} of parties is not a valid party: party.emails")
    assert "info(at)typo.de" in bad.problem
    assert bad.version is not None and bad.modified_at is not None
    assert all(r.problem is None for r in (batch.records[0], batch.records[2]))


def test_a_deleted_bad_row_is_a_plain_tombstone(tmp_path: Path) -> None:
    systems, crm, (_, typo, _) = _three(tmp_path)
    systems.delete("crm", typo)
    (gone,) = [r for r in crm.read_changes("party", None, 10).records if r.native_id == typo]
    assert gone.deleted and gone.data is None and gone.problem is None
    (kept,) = crm.lookup("party", "vat_id", ["DE9"], include_deleted=True)
    assert kept.deleted and kept.problem is None


def test_archiving_an_unreadable_row_is_refused_and_keeps_the_row(tmp_path: Path) -> None:
    systems, crm, (alpha, typo, _) = _three(tmp_path)
    requests = [
        WriteRequest(WriteOp.ARCHIVE, "party", f"archive-{native_id}", native_id=native_id)
        for native_id in (typo, alpha)
    ]
    refused, archived = crm.write("party", requests)
    assert isinstance(refused.error, PermanentError)
    assert f"party {typo} of parties is not a valid party" in str(refused.error)
    assert archived.error is None, "the other row of the batch is archived"
    assert systems.row("crm", typo)["active"] and systems.row("crm", typo)["name"] == "Typo"
    assert not systems.row("crm", alpha)["active"]
