"""Rows merged into other rows of their file, decisions that wait, and running an import
again: nothing a person entered is lost, counts of a dry run are those of the real run, and
the files beside the input are those of the last run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from syncline.cli import main
from syncline.connectors.sql import SqlConnector
from syncline.imports import ContactImport, ImportFileError, ReviewApplier, open_import_groups
from syncline.imports.reviewfile import entered_decisions
from syncline.store import Store
from syncline.store.reviews import list_reviews
from syncline.web.review_decisions import decide_review
from tests.imports.conftest import add_contact, contacts_in
from tests.imports.test_import import SCORES, review_decisions
from tests.load.scripted import ScriptedMatcher

HEADER = "First Name;Last Name;Company;E-mail Address;Business Phone;Mobile Phone;Job Title"
MORE = {**SCORES, frozenset({"Anne Schmidt", "A. Schmidt"}): 0.85}


def importer(state: Store, crm: SqlConnector) -> ContactImport:
    return ContactImport(state, crm, matcher=ScriptedMatcher(MORE))


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_later_row_of_the_same_person_fills_the_empty_fields_and_differences_are_reported(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    source = write(
        tmp_path / "contacts.csv",
        [
            "Dora;Dup;;dora@dup.de;;;",  # 2
            "Dora;Dup;;dora@dup.de;030 1234567;0171 1234567;Chefin",  # 3: fills 2
            "Dora;Dup;;DORA@dup.de;030 999999;;Chefin",  # 4: another phone: 2's is kept
        ],
    )
    report = importer(state, crm).run(source)
    assert (report.created, report.merged_in_file, report.rejected) == (1, 2, [])
    (dora,) = contacts_in(crm).values()
    assert (dora.phone, dora.mobile, dora.role) == ("030 1234567", "0171 1234567", "Chefin")
    assert [(k.line, k.earlier_line, k.field, k.kept, k.dropped) for k in report.kept_values] == [
        (4, 2, "phone", "030 1234567", "030 999999")
    ]  # the e-mail in other case and the same job title are no difference
    again = importer(state, crm).run(source)
    assert again.already_imported == 3 and len(contacts_in(crm)) == 1


def test_a_chain_of_merges_decided_in_the_web_queue_is_done_in_one_import(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    anna = add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(
        tmp_path / "contacts.csv",
        ["Anne;Schmidt;;;;;", "A.;Schmidt;;;040 123456;;"],  # 2: maybe Anna; 3: maybe 2
    )
    first = importer(state, crm).run(source)
    assert first.for_review == 2 and first.created == 0
    with state.begin() as conn:
        items = list_reviews(conn, map_name="import:crm")
    by_ref = {(i.details["line"], i.details["ref"]): i for i in items}
    decide_review(state, by_ref[(2, f"crm:{anna}")].id, "merge", "web-user")
    decide_review(state, by_ref[(3, "line:2")].id, "merge", "web-user")

    second = importer(state, crm).run(source)

    assert second.rejected == [] and second.merged_into_existing == 2
    assert second.rejects_file is None and not (tmp_path / "contacts.rejects.csv").exists()
    (contact,) = contacts_in(crm).values()
    assert contact.phone == "040 123456"  # line 3, through line 2, into Anna


def test_a_dry_run_counts_what_the_real_run_does(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    """Line 3 is line 2 (same name) but line 2 waits for review: line 3 waits too."""
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    rows = ["Anne;Schmidt;;;;;", "Anne;Schmidt;;;040 123456;;", "Kari;Hansen;;;;;"]
    source = write(tmp_path / "contacts.csv", rows)
    dry = importer(state, crm).run(source, dry_run=True)
    real = importer(state, crm).run(source)
    counts = ("created", "merged_in_file", "merged_into_existing", "for_review")
    assert [getattr(dry, c) for c in counts] == [getattr(real, c) for c in counts] == [1, 0, 0, 2]


def test_importing_again_keeps_the_decisions_entered_in_the_review_file(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    add_contact(crm, first_name="Per", last_name="Olsen", email="per@olsen.no")
    source = write(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;", "Pia;Olsen;;;;;"])
    review_file = Path(importer(state, crm).run(source).review_file or "")
    review_decisions(review_file, {"2": "create"})

    again = importer(state, crm).run(source)

    assert sorted(entered_decisions(review_file).values()) == ["", "create"]
    assert again.kept_decisions == 1 and again.review_file == str(review_file)
    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)
    assert outcome.created == 1 and outcome.undecided == 1


def test_an_unreadable_review_file_of_an_earlier_run_stops_the_import(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;"])
    importer(state, crm).run(source)
    review_file = tmp_path / "contacts.review.csv"
    review_file.write_text("my notes\n", encoding="utf-8")
    write(source, ["Anne;Schmidt;;;;;", "Kari;Hansen;;;;;"])
    with pytest.raises(ImportFileError, match=r"cannot be read.*may hold decisions"):
        importer(state, crm).run(source)
    assert review_file.read_text(encoding="utf-8") == "my notes\n"
    assert len(contacts_in(crm)) == 1  # Kari was not created


def test_side_files_of_an_earlier_run_with_nothing_open_are_removed(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;", ";;;x@y.de;;;"])
    first = importer(state, crm).run(source)
    assert first.rejects_file and first.review_file
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="import:crm")
    decide_review(state, item.id, "skip", "web-user")
    write(source, ["Anne;Schmidt;;;;;"])  # the bad row taken out

    second = importer(state, crm).run(source)

    assert (second.rejects_file, second.review_file) == (None, None)
    rejects, review = tmp_path / "contacts.rejects.csv", tmp_path / "contacts.review.csv"
    assert not rejects.exists() and not review.exists()
    assert second.removed_files == [str(rejects), str(review)]


def test_a_file_at_the_rejects_path_that_is_no_rejects_file_is_left_alone(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    source = write(tmp_path / "contacts.csv", ["Kari;Hansen;;;;;"])
    other = tmp_path / "contacts.rejects.csv"
    other.write_text("name,notes\nKari,call back\n", encoding="utf-8")
    report = importer(state, crm).run(source)
    assert report.removed_files == [] and other.read_text(encoding="utf-8").startswith("name")


def test_open_import_review_groups_are_counted_per_system_and_file(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "leads.csv", ["Anne;Schmidt;;;;;", "A.;Schmidt;;;;;"])
    importer(state, crm).run(source)
    with state.begin() as conn:
        assert open_import_groups(conn) == {"crm": {"leads.csv": 2}}


def test_status_names_the_import_rows_waiting_for_review(
    tmp_path: Path,
    config_file: Path,
    state: Store,
    crm: SqlConnector,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "leads.csv", ["Anne;Schmidt;;;;;", "A.;Schmidt;;;;;"])
    importer(state, crm).run(source)  # the store of config_file
    assert main(["status", "-c", str(config_file)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "import into crm: 2 row(s) of leads.csv wait for review" in shown
    assert main(["status", "-c", str(config_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imports"] == {"crm": {"leads.csv": 2}}
    with (tmp_path / "leads.review.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert sum(1 for r in csv.reader(handle) if r[2] == "this row") == 2


def test_the_cli_summary_names_differences_kept_and_side_files_removed(
    tmp_path: Path, cli_app: typer.Typer, config_file: Path, crm: SqlConnector
) -> None:
    source = write(tmp_path / "contacts.csv", ["Dora;Dup;;d@dup.de;030 1;;", ";;;x@y.de;;;"])
    args = ["import", "contacts", str(source), "--into", "crm", "-c", str(config_file), "-q"]
    assert CliRunner().invoke(cli_app, args).exit_code == 1  # line 3 rejected
    write(source, ["Dora;Dup;;d@dup.de;030 12345;;", "Dora;Dup;;d@dup.de;030 99999;;"])
    result = CliRunner().invoke(cli_app, args)
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "line 3 is the contact of line 2 but differs in phone: kept '030 12345'" in output
    assert "removed" in output and "contacts.rejects.csv of an earlier run" in output
    data = json.loads(CliRunner().invoke(cli_app, [*args, "--dry-run", "--json"]).output)
    assert data["already_imported"] == 2 and data["kept_values"] == []
