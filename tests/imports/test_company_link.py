"""Imported contacts are tied to the account (party) of their company in the target system."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from syncline.connectors.sql import SqlConnector, SqlDatabaseConnector
from syncline.imports import ContactImport, ReviewApplier
from syncline.imports.companies import OFF_BY_CHOICE, company_key, shorten
from syncline.imports.rows import read_contacts
from syncline.store import Store
from syncline.store.links import links_by_native_ids
from tests.imports.conftest import (
    add_account,
    add_contact,
    contacts_in,
)
from tests.imports.test_import import importer, review_decisions, write_file
from tests.load.scripted import ScriptedMatcher

SCORES = {
    frozenset({"Anna Schmidt", "Anne Schmidt"}): 0.8,
    frozenset({"Per Olsen", "Pia Olsen"}): 0.8,
}


def by_name(crm: SqlDatabaseConnector) -> dict[str, str | None]:
    """Each contact's "first last" -> its party id."""
    return {f"{c.first_name} {c.last_name}": c.party_id for c in contacts_in(crm).values()}


def contacts_file(tmp_path: Path, companies: list[str], name: str = "contacts.csv") -> Path:
    """One contact per company: "P1 Person" works at companies[0], and so on."""
    rows = [f"P{i};Person{i};{company};;;;" for i, company in enumerate(companies, start=1)]
    return write_file(tmp_path / name, rows)


@pytest.mark.parametrize(
    "company", ["Müller GmbH", "müller gmbh", "  MÜLLER   GmbH ", "Mueller G.m.b.H.", "Müller"]
)
def test_a_contact_is_tied_to_the_account_whatever_the_spelling_of_its_company(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector, company: str
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    add_account(accounts_crm, "Müller & Söhne GmbH")  # another company, not a candidate
    report = importer(state, accounts_crm).run(contacts_file(tmp_path, [company]))
    assert report.created == 1
    assert by_name(accounts_crm) == {"P1 Person1": mueller}
    assert report.companies.tied == 1
    assert report.companies.not_found == {} and report.companies.ambiguous == {}
    assert "company" not in report.matching_only  # it is used now, not only for matching


def test_a_company_without_account_is_listed_and_the_contact_created_without_one(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    nordic = add_account(accounts_crm, "Nordic AS")
    add_account(accounts_crm, "Fjord Shipping AS", active=False)  # closed: not tied to
    path = contacts_file(
        tmp_path, ["Nordic AS", "Unknown Ltd", "unknown ltd.", "Fjord Shipping", "Solo AB", ""]
    )
    report = importer(state, accounts_crm).run(path)
    assert report.created == 6
    assert by_name(accounts_crm) == {
        "P1 Person1": nordic,
        "P2 Person2": None,
        "P3 Person3": None,
        "P4 Person4": None,
        "P5 Person5": None,
        "P6 Person6": None,
    }
    ties = report.companies
    assert ties.tied == 1 and ties.off is None
    # one entry per company however it was spelled, with its number of rows
    assert ties.not_found == {"Unknown Ltd": 2, "Fjord Shipping": 1, "Solo AB": 1}


def test_several_matching_accounts_are_ambiguous_and_a_different_legal_form_is_no_match(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    gmbh = add_account(accounts_crm, "Müller GmbH")
    ag = add_account(accounts_crm, "Müller AG")
    add_account(accounts_crm, "Berg KG")
    path = contacts_file(tmp_path, ["Müller", "Müller AG", "mueller gmbh", "Berg GmbH", "MÜLLER"])
    report = importer(state, accounts_crm).run(path)
    assert by_name(accounts_crm) == {
        "P1 Person1": None,  # GmbH or AG? Never guessed
        "P2 Person2": ag,
        "P3 Person3": gmbh,
        "P4 Person4": None,  # "Berg GmbH" is not "Berg KG"
        "P5 Person5": None,
    }
    ties = report.companies
    assert ties.tied == 2
    assert ties.ambiguous == {"Müller": [f"Müller GmbH (crm:{gmbh})", f"Müller AG (crm:{ag})"]}
    assert ties.not_found == {"Berg GmbH": 1}


def test_the_account_written_with_the_same_legal_form_is_preferred(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    plain = add_account(accounts_crm, "Dahl")
    dahl_as = add_account(accounts_crm, "Dahl A/S")
    path = contacts_file(tmp_path, ["Dahl AS", "DAHL"])
    importer(state, accounts_crm).run(path)
    assert by_name(accounts_crm) == {"P1 Person1": dahl_as, "P2 Person2": plain}


def test_a_merge_fills_an_empty_account_and_never_replaces_one(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    nordic = add_account(accounts_crm, "Nordic AS")
    other = add_account(accounts_crm, "Other AS")
    kari = add_contact(accounts_crm, first_name="Kari", last_name="Hansen", email="kari@nordic.no")
    per = add_contact(accounts_crm, first_name="Per", last_name="Olsen", party_id=other)
    path = write_file(
        tmp_path / "contacts.csv",
        ["Kari;Hansen;Nordic AS;;;;", "Per;Olsen;Nordic AS;per@olsen.no;;;"],
    )
    report = importer(state, accounts_crm).run(path)
    assert report.merged_into_existing == 2 and report.created == 0
    contacts = contacts_in(accounts_crm)
    assert contacts[kari].party_id == nordic  # was empty: filled
    assert contacts[per].party_id == other  # had one: kept
    assert contacts[per].email == "per@olsen.no"  # its other empty fields are still filled
    assert (report.companies.tied, report.companies.kept) == (1, 1)


def test_reimporting_creates_nothing_twice_and_the_fingerprint_ignores_tying(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    path = contacts_file(tmp_path, ["Müller GmbH", "Nowhere AS"])
    first = importer(state, accounts_crm).run(path)
    assert first.created == 2 and first.companies.tied == 1
    after_first = contacts_in(accounts_crm)
    again = importer(state, accounts_crm).run(path)
    assert again.created == 0 and again.already_imported == 2
    assert again.companies.tied == 0
    # the contact still without a party is checked again: its company is still not found
    assert again.companies.not_found == {"Nowhere AS": 1}
    assert contacts_in(accounts_crm) == after_first
    assert by_name(accounts_crm) == {"P1 Person1": mueller, "P2 Person2": None}
    # the links are keyed by the fingerprint of the row as read, without the party
    fingerprints = [r.fingerprint for r in read_contacts(path).rows]
    with state.begin() as conn:
        linked = links_by_native_ids(conn, "import:crm", "a", fingerprints)
    assert set(linked) == set(fingerprints)


def test_a_contact_created_from_the_review_file_is_tied_too(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    firma = add_account(accounts_crm, "Firma KG")
    add_contact(accounts_crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    per = add_contact(accounts_crm, first_name="Per", last_name="Olsen")
    path = write_file(
        tmp_path / "contacts.csv",
        ["Anne;Schmidt;Firma KG;anne@firma.de;;;", "Pia;Olsen;firma;;;;Hamburg"],
    )
    matcher = ScriptedMatcher(SCORES)
    report = ContactImport(state, accounts_crm, matcher=matcher).run(path)
    assert report.for_review == 2 and report.created == 0
    assert report.companies.tied == 0  # nothing written yet
    assert report.review_file is not None
    review_file = Path(report.review_file)
    review_decisions(review_file, {"2": "create", "3": f"merge crm:{per}"})
    outcome = ReviewApplier(state, lambda system: accounts_crm).apply(review_file)
    assert (outcome.created, outcome.merged) == (1, 1) and outcome.problems == []
    contacts = contacts_in(accounts_crm)
    created = next(c for c in contacts.values() if c.email == "anne@firma.de")
    assert created.party_id == firma
    assert contacts[per].party_id == firma  # the merge filled the empty account
    assert outcome.companies.tied == 2 and outcome.companies.system == "crm"


def test_no_company_link_leaves_contacts_without_account(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    add_account(accounts_crm, "Müller GmbH")
    importer_off = ContactImport(state, accounts_crm, matcher=ScriptedMatcher(), company_link=False)
    report = importer_off.run(contacts_file(tmp_path, ["Müller GmbH"]))
    assert report.created == 1 and by_name(accounts_crm) == {"P1 Person1": None}
    assert report.companies.off == OFF_BY_CHOICE and report.companies.tied == 0
    assert "company" in report.matching_only


def test_a_dry_run_counts_what_would_be_tied_and_writes_nothing(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    add_account(accounts_crm, "Müller GmbH")
    add_account(accounts_crm, "Berg AS")
    add_account(accounts_crm, "Berg ASA")
    other = add_account(accounts_crm, "Other AS")
    add_contact(accounts_crm, first_name="Kari", last_name="Hansen")
    add_contact(accounts_crm, first_name="Per", last_name="Olsen", party_id=other)
    path = write_file(
        tmp_path / "contacts.csv",
        [
            "Jürgen;Müller;müller gmbh;;;;",
            "Ola;Berg;Berg;;;;",
            "Kari;Hansen;Müller;;;;",  # merge: would fill the empty account
            "Per;Olsen;Müller;;;;",  # merge: has an account, kept
            "Eva;Lund;Lund Consulting;;;;",
        ],
    )
    before = contacts_in(accounts_crm)
    report = importer(state, accounts_crm).run(path, dry_run=True)
    assert report.dry_run and report.created == 3 and report.merged_into_existing == 2
    ties = report.companies
    assert (ties.tied, ties.kept) == (2, 1)
    assert ties.not_found == {"Lund Consulting": 1}
    assert list(ties.ambiguous) == ["Berg"]
    assert contacts_in(accounts_crm) == before  # nothing written


def test_a_system_without_accounts_imports_untied_and_says_why(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    report = importer(state, crm).run(contacts_file(tmp_path, ["Müller GmbH"]))
    assert report.created == 1
    assert report.companies.off is not None and "holds no party entity" in report.companies.off
    assert report.companies.system == "crm" and report.companies.tied == 0


def test_a_crash_after_writing_keeps_the_account_and_creates_nothing_twice(
    tmp_path: Path, state: Store, accounts_crm: SqlDatabaseConnector
) -> None:
    mueller = add_account(accounts_crm, "Müller GmbH")
    path = contacts_file(tmp_path, ["Müller GmbH", "Müller"])

    def crash(step: str) -> None:
        if step == "import.written":
            raise RuntimeError("killed after the CRM write")

    with pytest.raises(RuntimeError):
        importer(state, accounts_crm, checkpoint=crash).run(path)
    report = importer(state, accounts_crm).run(path)
    assert report.created == 0 and report.already_imported == 2
    assert by_name(accounts_crm) == {"P1 Person1": mueller, "P2 Person2": mueller}


def test_company_names_compare_in_the_matchers_normal_form() -> None:
    assert company_key("Müller GmbH") == company_key("  mueller g.m.b.h. ")
    assert company_key("Müller GmbH").name == company_key("Muller").name
    assert company_key("Müller GmbH") != company_key("Müller AG")
    assert company_key("Nordic A/S") == company_key("nordic as")
    assert company_key("Acme", "Inc") == company_key("ACME Inc.")


def test_long_lists_of_companies_are_shortened() -> None:
    names = [f"Company {i}" for i in range(12)]
    assert shorten(names, shown=3) == "Company 0, Company 1, Company 2 and 9 more"
    long = "Internationale Handelsgesellschaft für Maschinenbau mbH"
    assert shorten([long], width=20) == "Internationale Hand…"
    assert shorten(["A", "B"]) == "A, B"


@pytest.fixture
def runtime_crm(
    accounts_crm: SqlDatabaseConnector, monkeypatch: pytest.MonkeyPatch
) -> SqlDatabaseConnector:
    """The CRM with accounts that the CLI reaches through ``accounts_config`` (the same
    database), and the scripted matcher for the CLI's imports."""
    monkeypatch.setattr(
        "syncline.imports.runner.matcher_for", lambda thresholds: ScriptedMatcher(SCORES)
    )
    return accounts_crm


@pytest.fixture
def accounts_config(tmp_path: Path, accounts_crm: SqlDatabaseConnector) -> Path:
    """syncline.yaml naming the CRM's contact and account tables as system ``crm``."""
    (url,) = {t.settings.url for t in accounts_crm.tables.values()}
    tables = "".join(
        f"\n      - {json.dumps(t.settings.model_dump(exclude={'url'}))}"
        for t in accounts_crm.tables.values()
    )
    path = tmp_path / "syncline.yaml"
    path.write_text(
        f"""version: 1
store:
  url: sqlite:///{tmp_path / "state.db"}
systems:
  crm:
    type: sql
    url: {url}
    tables:{tables}
""",
        encoding="utf-8",
    )
    return path


def test_cli_reports_ties_and_no_company_link_turns_them_off(
    tmp_path: Path, cli_app: typer.Typer, accounts_config: Path, runtime_crm: SqlDatabaseConnector
) -> None:
    config_file = accounts_config
    mueller = add_account(runtime_crm, "Müller GmbH")
    many = [f"Gone {i} GmbH" for i in range(10)]
    source = contacts_file(tmp_path, ["Müller GmbH", *many])
    args = ["import", "contacts", str(source), "--into", "crm", "-c", str(config_file), "-q"]
    dry = CliRunner().invoke(cli_app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    output = " ".join(dry.output.split())
    assert "would be tied to their company's party (crm account): 1" in output
    assert "company not found in crm, would be left without a party: 10 contact(s)" in output
    assert "Gone 0 GmbH" in output and "and 2 more" in output
    assert contacts_in(runtime_crm) == {}

    off = CliRunner().invoke(cli_app, [*args, "--no-company-link"])
    assert off.exit_code == 0, off.output
    assert "contacts not tied to their company: turned off (--no-company-link)" in " ".join(
        off.output.split()
    )
    assert set(by_name(runtime_crm).values()) == {None}

    other = write_file(tmp_path / "more.csv", ["Eva;Lund;müller;;;;"])
    tied = CliRunner().invoke(
        cli_app, ["import", "contacts", str(other), "--into", "crm", "-c", str(config_file)]
    )
    assert tied.exit_code == 0, tied.output
    assert "tied to their company's party (crm account): 1" in " ".join(tied.output.split())
    contacts = by_name(runtime_crm)
    assert contacts["Eva Lund"] == mueller
    assert contacts["P1 Person1"] is None  # imported before with --no-company-link: left alone


def test_cli_summary_counts_contacts_tied_on_a_rerun(
    tmp_path: Path, cli_app: typer.Typer, accounts_config: Path, runtime_crm: SqlDatabaseConnector
) -> None:
    mueller = add_account(runtime_crm, "Müller GmbH")
    source = write_file(tmp_path / "contacts.csv", ["Eva;Lund;müller;;;;"])
    args = ["import", "contacts", str(source), "--into", "crm", "-c", str(accounts_config), "-q"]
    off = CliRunner().invoke(cli_app, [*args, "--no-company-link"])
    assert off.exit_code == 0, off.output
    assert by_name(runtime_crm) == {"Eva Lund": None}
    rerun = CliRunner().invoke(cli_app, args)
    assert rerun.exit_code == 0, rerun.output
    summary = " ".join(rerun.output.split())
    assert "tied to their company's party (crm account): 1 (1 imported before)" in summary
    assert by_name(runtime_crm) == {"Eva Lund": mueller}  # the same contact, not a new one


def test_cli_review_with_no_company_link_creates_untied(
    tmp_path: Path, cli_app: typer.Typer, accounts_config: Path, runtime_crm: SqlDatabaseConnector
) -> None:
    add_account(runtime_crm, "Firma KG")
    add_contact(runtime_crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write_file(tmp_path / "contacts.csv", ["Anne;Schmidt;Firma KG;anne@firma.de;;;"])
    config = ["-c", str(accounts_config)]
    imported = CliRunner().invoke(
        cli_app, ["import", "contacts", str(source), "--into", "crm", *config, "-q"]
    )
    assert imported.exit_code == 0, imported.output
    review_file = tmp_path / "contacts.review.csv"
    review_decisions(review_file, {"2": "create"})
    applied = CliRunner().invoke(
        cli_app, ["import", "review", str(review_file), "--no-company-link", *config]
    )
    assert applied.exit_code == 0, applied.output
    assert "created 1" in applied.output
    assert by_name(runtime_crm) == {"Anna Schmidt": None, "Anne Schmidt": None}
