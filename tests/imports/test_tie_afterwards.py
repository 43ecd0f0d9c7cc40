"""A contact imported before without a party is tied to its company's party on a re-run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from syncline.connectors.base import WriteOp, WriteRequest, WriteResult
from syncline.connectors.sql import SqlDatabaseConnector
from syncline.imports import ContactImport
from syncline.imports.rows import read_contacts
from syncline.model import Contact
from syncline.store import Store
from syncline.store.audit import AuditEvent, query_events
from syncline.store.links import links_by_native_ids
from tests.imports.conftest import add_account, contacts_in
from tests.imports.test_company_link import by_name, contacts_file
from tests.imports.test_import import importer, write_file
from tests.load.scripted import ScriptedMatcher


class WriteSpy:
    """Records every contact write the import sends to the CRM, then passes it on."""

    def __init__(self, crm: SqlDatabaseConnector, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[WriteRequest] = []
        self.crm = crm
        self._write = crm.write
        monkeypatch.setattr(crm, "write", self.write)

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        self.requests += requests
        return self._write(entity, requests)


def untied_import(state: Store, crm: SqlDatabaseConnector, path: Path) -> None:
    """Import ``path`` without tying (as with --no-company-link or an older syncline)."""
    report = ContactImport(state, crm, matcher=ScriptedMatcher(), company_link=False).run(path)
    assert report.created > 0 and report.companies.tied == 0


def party_events(state: Store) -> list[AuditEvent]:
    with state.begin() as conn:
        return query_events(conn, map_name="import:crm", field="party_id")


def native_id_of(state: Store, path: Path, line: int) -> str:
    """The contact the row on ``line`` of ``path`` was imported as."""
    row = next(r for r in read_contacts(path).rows if r.line == line)
    with state.begin() as conn:
        (link,) = links_by_native_ids(conn, "import:crm", "a", [row.fingerprint])[row.fingerprint]
    assert link.id_b is not None
    return link.id_b


def test_a_rerun_ties_a_contact_imported_without_its_party_once_and_audits_it(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    berg_as = add_account(accounts_crm, "Berg AS")
    berg_asa = add_account(accounts_crm, "Berg ASA")
    path = contacts_file(tmp_path, ["Müller GmbH", "Nowhere AS", "Berg", ""])
    untied_import(state, accounts_crm, path)
    kari = native_id_of(state, path, 2)
    before = contacts_in(accounts_crm)

    spy = WriteSpy(accounts_crm, monkeypatch)
    report = importer(state, accounts_crm).run(path)
    assert report.created == 0 and report.already_imported == 4 and report.rejected == []
    (update,) = spy.requests  # exactly one write: the party of the one contact tied
    assert (update.op, update.native_id, update.fields) == (
        WriteOp.UPDATE,
        kari,
        frozenset({"party_id"}),
    )
    after = contacts_in(accounts_crm)
    assert after[kari] == before[kari].model_copy(update={"party_id": mueller})  # only that
    assert {i: c for i, c in after.items() if i != kari} == {
        i: c for i, c in before.items() if i != kari
    }
    ties = report.companies
    assert (ties.tied, ties.tied_afterwards, ties.kept) == (1, 1, 0)
    # the untied rest is listed as for new rows: nothing guessed
    assert ties.not_found == {"Nowhere AS": 1}
    assert ties.ambiguous == {"Berg": [f"Berg AS (crm:{berg_as})", f"Berg ASA (crm:{berg_asa})"]}
    (event,) = party_events(state)
    assert (event.reason, event.new_value, event.target_system) == ("link", mueller, "crm")
    assert event.detail is not None and "tied afterwards" in event.detail and kari in event.detail

    spy.requests.clear()
    again = importer(state, accounts_crm).run(path)
    assert spy.requests == []  # tied once, nothing to do any more
    assert (again.companies.tied, again.companies.tied_afterwards) == (0, 0)
    assert contacts_in(accounts_crm) == after
    assert len(party_events(state)) == 1


def test_a_contact_imported_before_its_account_existed_is_tied_when_it_exists(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    path = contacts_file(tmp_path, ["Nordic AS"])
    first = importer(state, accounts_crm).run(path)
    assert first.created == 1 and first.companies.not_found == {"Nordic AS": 1}
    nordic = add_account(accounts_crm, "Nordic AS")
    report = importer(state, accounts_crm).run(path)
    assert report.created == 0 and report.companies.tied == 1
    assert by_name(accounts_crm) == {"P1 Person1": nordic}


def test_a_party_a_person_set_meanwhile_is_never_replaced(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    chosen = add_account(accounts_crm, "Müller Holding AG")
    path = contacts_file(tmp_path, ["Müller GmbH", "Müller GmbH"])
    untied_import(state, accounts_crm, path)
    set_by_person, untied = native_id_of(state, path, 2), native_id_of(state, path, 3)
    person = contacts_in(accounts_crm)[set_by_person].model_copy(update={"party_id": chosen})
    request = WriteRequest(WriteOp.UPDATE, "contact", "p", native_id=set_by_person, data=person)
    assert accounts_crm.write("contact", [request])[0].ok
    spy = WriteSpy(accounts_crm, monkeypatch)
    report = importer(state, accounts_crm).run(path)
    assert [r.native_id for r in spy.requests] == [untied]  # only the contact without a party
    assert by_name(accounts_crm) == {"P1 Person1": chosen, "P2 Person2": mueller}
    assert (report.companies.tied, report.companies.kept) == (1, 0)
    assert [e.detail is not None and untied in e.detail for e in party_events(state)] == [True]


def test_a_dry_run_counts_the_contacts_it_would_tie_and_writes_nothing(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    path = contacts_file(tmp_path, ["Müller GmbH", "müller", "Nowhere AS"])
    untied_import(state, accounts_crm, path)
    before = contacts_in(accounts_crm)
    spy = WriteSpy(accounts_crm, monkeypatch)
    dry = importer(state, accounts_crm).run(path, dry_run=True)
    assert spy.requests == [] and contacts_in(accounts_crm) == before
    assert party_events(state) == []
    assert dry.already_imported == 3 and dry.created == 0
    ties = dry.companies
    assert ties.tied == 2 and ties.tied_afterwards == 2
    assert ties.not_found == {"Nowhere AS": 1}

    report = importer(state, accounts_crm).run(path)  # what the dry run said
    assert (report.companies.tied, report.companies.not_found) == (2, {"Nowhere AS": 1})
    assert by_name(accounts_crm) == {
        "P1 Person1": mueller,
        "P2 Person2": mueller,
        "P3 Person3": None,
    }


def test_a_contact_deleted_in_the_target_is_skipped_quietly(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    path = contacts_file(tmp_path, ["Müller GmbH", "Müller GmbH", "Nowhere AS"])
    untied_import(state, accounts_crm, path)
    gone, kept = native_id_of(state, path, 2), native_id_of(state, path, 3)
    accounts_crm.write("contact", [WriteRequest(WriteOp.DELETE, "contact", "x", native_id=gone)])
    spy = WriteSpy(accounts_crm, monkeypatch)
    report = importer(state, accounts_crm).run(path)
    assert [r.native_id for r in spy.requests] == [kept]  # nothing written for the deleted one
    assert report.rejected == [] and report.created == 0
    assert (report.companies.tied, report.companies.tied_afterwards) == (1, 1)
    assert contacts_in(accounts_crm)[kept].party_id == mueller


def test_a_contact_changed_before_its_party_is_written_is_not_overwritten(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_account(accounts_crm, "Müller GmbH")
    path = contacts_file(tmp_path, ["Müller GmbH"])
    untied_import(state, accounts_crm, path)
    kari = native_id_of(state, path, 2)
    write = accounts_crm.write

    def person_edits_first(entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        if any(r.op == WriteOp.UPDATE for r in requests):
            edited = contacts_in(accounts_crm)[kari].model_copy(update={"role": "CEO"})
            write(entity, [WriteRequest(WriteOp.UPDATE, entity, "p", native_id=kari, data=edited)])
        return write(entity, requests)

    monkeypatch.setattr(accounts_crm, "write", person_edits_first)
    report = importer(state, accounts_crm).run(path)
    contact = contacts_in(accounts_crm)[kari]
    assert contact.role == "CEO" and contact.party_id is None  # the person's edit stands
    (refused,) = report.rejected
    assert (
        refused.line == 2 and "refused to tie" in refused.reason and "run again" in refused.reason
    )
    assert report.companies.tied == 0 and party_events(state) == []


def test_only_the_party_is_written_over_the_contact_as_read(
    tmp_path: Path,
    state: Store,
    accounts_crm: SqlDatabaseConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    path = write_file(tmp_path / "contacts.csv", ["Jürgen;Müller;Müller GmbH;j@m.de;;;"])
    untied_import(state, accounts_crm, path)
    jm = native_id_of(state, path, 2)
    # a person completed the contact after the import; the re-run must keep that
    edited = contacts_in(accounts_crm)[jm].model_copy(update={"role": "CFO", "email": "jm@m.de"})
    accounts_crm.write(
        "contact", [WriteRequest(WriteOp.UPDATE, "contact", "p", native_id=jm, data=edited)]
    )
    spy = WriteSpy(accounts_crm, monkeypatch)
    importer(state, accounts_crm).run(path)
    (update,) = spy.requests
    assert isinstance(update.data, Contact)
    assert update.data == edited.model_copy(update={"party_id": mueller})
    assert update.expected_version is not None  # refused if it changed meanwhile
    assert contacts_in(accounts_crm)[jm] == edited.model_copy(update={"party_id": mueller})
