"""Duplicate finding compares the target's contacts with their account (party), as it compares
an imported row with its company: one name at two companies is two people. The real matcher
decides here; the names are chosen so that its decision is clear."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncline.connectors.base import Connector, Delegating, NativeRecord
from syncline.connectors.sql import SqlDatabaseConnector
from syncline.imports import ContactImport
from syncline.imports.companies import OFF_BY_CHOICE
from syncline.store import Store
from tests.imports.conftest import (
    add_account,
    add_contact,
    contacts_in,
)
from tests.imports.test_import import write_file


class CountedCrm(Delegating):
    """A CRM with accounts that counts how often its parties are read."""

    party_reads = 0

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        if entity == "party":
            self.party_reads += 1
        return super().scan(entity)

    def list_ids(self, entity: str) -> list[str]:
        if entity == "party":
            self.party_reads += 1
        return super().list_ids(entity)


@pytest.fixture
def crm(accounts_crm: SqlDatabaseConnector) -> CountedCrm:
    return CountedCrm(accounts_crm)


def people(crm: Connector) -> list[tuple[str, str | None]]:
    """Every contact as ``("First Last", party id)``, sorted."""
    return sorted((f"{c.first_name} {c.last_name}", c.party_id) for c in contacts_in(crm).values())


@pytest.mark.parametrize("company_link", [True, False])
def test_one_name_at_another_company_is_created_and_at_the_same_company_merged(
    tmp_path: Path, state: Store, crm: CountedCrm, company_link: bool
) -> None:
    firma = add_account(crm, "Firma KG")
    other = add_account(crm, "Other AG")
    anna = add_contact(crm, first_name="Anna", last_name="Schmidt", party_id=firma)
    path = write_file(
        tmp_path / "contacts.csv",
        [
            "Anna;Schmidt;Other AG;anna@other.de;;;",  # 2: another Anna Schmidt
            "Anna;Schmidt;Firma KG;anna@firma.de;;;",  # 3: the one in the CRM
        ],
    )
    importer = ContactImport(state, crm, company_link=company_link)

    report = importer.run(path)

    assert (report.created, report.merged_into_existing, report.for_review) == (1, 1, 0)
    assert crm.party_reads == 1  # one read serves tying and matching
    contacts = contacts_in(crm)
    assert contacts[anna].email == "anna@firma.de"  # the merge filled its empty e-mail
    created = next(c for i, c in contacts.items() if i != anna)
    assert created.email == "anna@other.de"
    # tying is separate from matching: with --no-company-link nothing is tied
    assert created.party_id == (other if company_link else None)
    assert report.companies.off == (None if company_link else OFF_BY_CHOICE)


def test_the_review_file_shows_the_company_of_the_contact_in_the_crm(
    tmp_path: Path, state: Store, crm: CountedCrm
) -> None:
    firma = add_account(crm, "Firma KG", city="Flensburg")
    anna = add_contact(
        crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de", party_id=firma
    )
    path = write_file(
        tmp_path / "contacts.csv",
        [
            "Anna;Schmidt;Firma KG;a.schmidt@firma.de;;;",  # 2: another address: maybe her
            "Eva;Berg;Nordic AS;eva@berg.no;;;",  # 3: nobody in the CRM
        ],
    )

    report = ContactImport(state, crm).run(path)

    assert report.for_review == 1 and report.created == 1 and report.review_file is not None
    with Path(report.review_file).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_candidate = {r["candidate"]: r for r in rows}
    assert by_candidate["this row"]["company"] == "Firma KG"
    assert by_candidate[f"crm:{anna}"]["company"] == "Firma KG"
    assert by_candidate[f"crm:{anna}"]["city"] == "Flensburg"  # her company's
    assert by_candidate[f"crm:{anna}"]["email"] == "anna@firma.de"
    assert people(crm) == [("Anna Schmidt", firma), ("Eva Berg", None)]
