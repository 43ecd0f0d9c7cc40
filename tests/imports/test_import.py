"""Importing contacts into a SQL-backed CRM: rejects, duplicates, idempotency, crash, review."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from syncline.connectors.base import Connector, WriteOp, WriteRequest
from syncline.connectors.sql import SqlConnector
from syncline.imports import ContactImport, ReviewApplier
from syncline.imports.reviewfile import read_review_file
from syncline.store import Store
from syncline.store.reviews import decide, list_reviews
from tests.imports.conftest import add_contact, contacts_in
from tests.load.scripted import ScriptedMatcher

# which pairs count as possible duplicates, whatever tuning the real matcher gets
SCORES = {
    frozenset({"Anna Schmidt", "A. Schmidt"}): 0.85,
    frozenset({"Anna Schmidt", "Anne Schmidt"}): 0.8,
    frozenset({"Karl Hansen", "K. Hansen"}): 0.85,
    frozenset({"Per Olsen", "P. Olsen"}): 0.8,
    frozenset({"Per Olsen", "Pia Olsen"}): 0.8,
}


def importer(
    state: Store, crm: Connector, checkpoint: Callable[[str], None] | None = None
) -> ContactImport:
    return ContactImport(state, crm, matcher=ScriptedMatcher(SCORES), checkpoint=checkpoint)


HEADER = "First Name;Last Name;Company;E-mail Address;Business Phone;Mobile Phone;Business City"
ROWS = [
    "Jürgen;Müller;Müller GmbH;j.mueller@example.de;+49 30 1234567;;Berlin",  # 2
    "Kari;Hansen;Nordic AS;kari@nordic.no;;+47 912 34 567;Oslo",  # 3
    "Bad;Mail;X GmbH;not-an-email;;;",  # 4: rejected
    ";;Nobody AG;info@nobody.de;;;",  # 5: rejected, no name
    "Ole;Berg;Berg AS;ole@berg.no;ring me;;Bergen",  # 6: rejected, phone
    "Anna;Schmidt;Firma KG;anna@firma.de;;;Hamburg",  # 7
    "A.;Schmidt;Firma KG;;;;Hamburg",  # 8: grey zone with line 7
    "Jürgen;Müller;Müller GmbH;j.mueller@example.de;+49 30 1234567;;Berlin",  # 9: same as 2
]


def write_file(path: Path, rows: list[str] = ROWS) -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    return path


def test_bad_rows_are_rejected_with_line_and_reason_and_nothing_is_lost(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    report = importer(state, crm).run(write_file(tmp_path / "contacts.csv"))
    assert report.rows == 8
    assert report.created == 3  # Müller, Hansen, Anna Schmidt
    assert report.merged_in_file == 1  # line 9 is line 2 again
    assert report.for_review == 1  # "A. Schmidt" may be Anna Schmidt
    assert {r.line for r in report.rejected} == {4, 5, 6}
    accounted = report.created + report.merged_in_file + report.for_review + len(report.rejected)
    assert accounted == report.rows
    with (tmp_path / "contacts.rejects.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "reason", *HEADER.split(";")]
    by_line = {r[0]: r for r in rows[1:]}
    assert "not-an-email" in by_line["4"][1] and by_line["4"][2:] == ROWS[2].split(";")
    assert "last name" in by_line["5"][1]
    assert "'ring me' is not a phone number" in by_line["6"][1]
    names = sorted(c.last_name for c in contacts_in(crm).values())
    assert names == ["Hansen", "Müller", "Schmidt"]
    assert report.matching_only == ["company", "city"]  # reported, not silently dropped


def test_importing_the_same_file_twice_creates_nothing_twice(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    path = write_file(tmp_path / "contacts.csv")
    importer(state, crm).run(path)
    before = contacts_in(crm)
    again = importer(state, crm).run(path)
    assert again.created == 0 and again.merged_into_existing == 0
    assert again.already_imported == 3 and again.merged_in_file == 1  # line 9 is line 2
    assert again.for_review == 1
    assert contacts_in(crm) == before
    with state.begin() as conn:
        assert len(list_reviews(conn, map_name="import:crm")) == 1


def test_a_copy_in_another_format_is_recognised_too(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    importer(state, crm).run(write_file(tmp_path / "contacts.csv", ROWS[:2]))
    vcard = tmp_path / "contacts.vcf"
    vcard.write_text(
        "BEGIN:VCARD\nVERSION:4.0\nN:Hansen;Kari;;;\nFN:Kari Hansen\nORG:Nordic AS\n"
        "EMAIL:kari@nordic.no\nTEL;TYPE=cell:+47 912 34 567\nADR;TYPE=work:;;;Oslo;;;\n"
        "END:VCARD\n",
        encoding="utf-8",
    )
    report = importer(state, crm).run(vcard)
    assert report.created == 0 and report.already_imported + report.merged_into_existing == 1
    assert len(contacts_in(crm)) == 2


def test_duplicates_against_the_crm_are_merged_or_reviewed(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    same = add_contact(crm, first_name="Kari", last_name="Hansen", email="kari@nordic.no")
    maybe = add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    path = write_file(tmp_path / "contacts.csv", [ROWS[1], "Anne;Schmidt;;;;;"])
    report = importer(state, crm).run(path)
    assert report.merged_into_existing == 1 and report.created == 0 and report.for_review == 1
    merged = contacts_in(crm)[same]
    assert merged.mobile == "+47 912 34 567"  # an empty field filled, nothing overwritten
    assert merged.email == "kari@nordic.no"
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="import:crm")
    assert (item.right_system, item.right_id, item.details["line"]) == ("crm", maybe, 3)
    assert len(contacts_in(crm)) == 2


def test_a_file_of_one_row_is_imported_with_the_real_matcher(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Kari", last_name="Hansen", email="kari@nordic.no")
    path = write_file(tmp_path / "contacts.csv", ["Eva;Berg;;eva@berg.no;;;"])
    report = ContactImport(state, crm).run(path)
    assert report.created == 1 and report.rejected == []
    assert sorted(c.last_name for c in contacts_in(crm).values()) == ["Berg", "Hansen"]


class CrashError(Exception):
    """The process dies here."""


def test_a_crash_after_writing_is_resumed_without_duplicates(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    path = write_file(tmp_path / "contacts.csv")

    def crash(step: str) -> None:
        if step == "import.written":
            raise CrashError("killed after the CRM write, before the ids were stored")

    with pytest.raises(CrashError):
        importer(state, crm, checkpoint=crash).run(path)
    assert len(contacts_in(crm)) == 3  # written, but syncline does not know their ids
    report = importer(state, crm).run(path)
    assert report.created == 0 and report.already_imported == 3
    assert len(contacts_in(crm)) == 3
    third = importer(state, crm).run(path)
    assert third.already_imported == 3 and len(contacts_in(crm)) == 3


def test_a_row_the_crm_refuses_goes_to_the_rejects_file(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Someone", last_name="Else", email="kari@nordic.no")
    path = write_file(tmp_path / "contacts.csv", [ROWS[0], "Kari;Olsen;;kari@nordic.no;;;"])
    report = importer(state, crm).run(path, rejects_path=tmp_path / "refused.csv")
    (refused,) = report.rejected
    assert refused.line == 3 and "crm refused it" in refused.reason
    assert "UNIQUE" in refused.reason.upper()
    assert report.created == 1 and len(contacts_in(crm)) == 2
    with (tmp_path / "refused.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[0] for r in rows] == ["line", "3"] and rows[1][2:4] == ["Kari", "Olsen"]


def review_decisions(path: Path, decisions: dict[str, str]) -> None:
    """Fill in the decision cells of a review file (CSV or XLSX) by the row's line."""
    if path.suffix == ".xlsx":
        workbook = load_workbook(path)
        sheet = workbook["review"]
        for cells in sheet.iter_rows(min_row=2):
            if cells[2].value == "this row" and str(cells[1].value) in decisions:
                cells[4].value = decisions[str(cells[1].value)]
        workbook.save(path)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for line in rows[1:]:
        if line[2] == "this row" and line[1] in decisions:
            line[4] = decisions[line[1]]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_review_file_round_trip(
    tmp_path: Path, state: Store, crm: SqlConnector, suffix: str
) -> None:
    anna = add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    rows = [
        "Anne;Schmidt;;;;;",  # 2: maybe Anna (in the CRM)
        "Karl;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo",  # 3
        "K.;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo",  # 4: maybe line 3
        "Per;Olsen;Olsen AS;per@olsen.no;;;Oslo",  # 5
        "P.;Olsen;Olsen AS;;;;Oslo",  # 6: maybe line 5
    ]
    source = write_file(tmp_path / f"contacts{suffix}".replace(".xlsx", ".csv"), rows)
    review_file = tmp_path / f"duplicates{suffix}"
    report = importer(state, crm).run(source, review_path=review_file)
    assert report.review_file == str(review_file)
    assert report.for_review == 3 and report.created == 2
    decisions, problems, groups = read_review_file(review_file)
    assert decisions == [] and problems == [] and len(groups) == 3
    review_decisions(review_file, {"2": f"merge crm:{anna}", "4": "merge line:3", "6": "skip"})
    applier = ReviewApplier(state, lambda system: crm)
    outcome = applier.apply(review_file)
    assert (outcome.merged, outcome.created, outcome.skipped) == (2, 0, 1)
    assert outcome.problems == [] and outcome.undecided == 0
    contacts = contacts_in(crm)
    assert len(contacts) == 3  # Anna, Karl Hansen, Per Olsen: nothing duplicated
    again = applier.apply(review_file)
    assert again.already_decided == 3 and again.merged == 0 and len(contacts_in(crm)) == 3
    rerun = importer(state, crm).run(source, review_path=review_file)
    assert rerun.for_review == 0 and rerun.created == 0
    assert rerun.already_imported == 4 and rerun.skipped == 1


def test_review_create_and_unknown_decisions(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    add_contact(crm, first_name="Per", last_name="Olsen", email="per@olsen.no")
    source = write_file(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;", "Pia;Olsen;;;;;"])
    report = importer(state, crm).run(source)
    assert report.for_review == 2 and report.review_file is not None
    review_file = Path(report.review_file)
    review_decisions(review_file, {"2": "create", "3": "maybe later"})
    lines = review_file.read_text(encoding="utf-8-sig").splitlines()
    olsen_line = next(n for n, text in enumerate(lines, start=1) if ",3,this row," in text)
    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)
    assert outcome.created == 1 and outcome.undecided == 1
    assert len(outcome.problems) == 1
    assert outcome.problems[0][0] == olsen_line
    assert "unknown decision 'maybe later'" in outcome.problems[0][1]
    names = sorted(f"{c.first_name} {c.last_name}" for c in contacts_in(crm).values())
    assert names == ["Anna Schmidt", "Anne Schmidt", "Per Olsen"]


def test_cli_import_and_review(
    tmp_path: Path,
    cli_app: typer.Typer,
    config_file: Path,
    crm: SqlConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "syncline.imports.runner.matcher_for", lambda thresholds: ScriptedMatcher(SCORES)
    )
    source = write_file(tmp_path / "contacts.csv")
    runner = CliRunner()
    args = ["import", "contacts", str(source), "--into", "crm", "-c", str(config_file), "-q"]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 1, result.output  # rows were rejected
    assert "line 4" in result.output and "not-an-email" in result.output
    assert "contacts.rejects.csv" in result.output.replace("\n", "")
    assert "contacts.review.csv" in result.output.replace("\n", "")
    assert len(contacts_in(crm)) == 3
    review_decisions(tmp_path / "contacts.review.csv", {"8": "create"})
    applied = runner.invoke(
        cli_app, ["import", "review", str(tmp_path / "contacts.review.csv"), "-c",
                  str(config_file)]
    )  # fmt: skip
    assert applied.exit_code == 0, applied.output
    assert "created 1" in applied.output
    assert len(contacts_in(crm)) == 4
    dry = runner.invoke(cli_app, [*args, "--dry-run", "--json"])
    assert (
        '"already_imported": 4' in dry.output
        and '"created": 0' in dry.output
        and len(contacts_in(crm)) == 4
    )


def test_a_decision_made_in_the_review_queue_is_applied_by_the_next_import(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    rows = ["Karl;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo",
            "K.;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo"]  # fmt: skip
    source = write_file(tmp_path / "contacts.csv", rows)
    first = importer(state, crm).run(source)
    assert first.created == 1 and first.for_review == 1
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="import:crm")
        assert item.details["ref"] == "line:2"
        decide(conn, item.id, "merge", "ops@example.com")  # as the web UI does
    second = importer(state, crm).run(source)
    assert second.merged_into_existing == 1 and second.created == 0 and second.for_review == 0
    assert len(contacts_in(crm)) == 1
    third = importer(state, crm).run(source)
    assert third.already_imported == 2 and len(contacts_in(crm)) == 1


def test_a_merge_that_cannot_be_applied_goes_to_the_rejects_file(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    """A decided merge into a contact deleted since: the row is refused, named in the
    summary and kept in the rejects file, also when nothing else of the run was refused."""
    rows = ["Karl;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo",
            "K.;Hansen;Nordic AS;;+47 22 33 44 55;;Oslo"]  # fmt: skip
    source = write_file(tmp_path / "contacts.csv", rows)
    first = importer(state, crm).run(source)
    assert first.created == 1 and first.for_review == 1 and first.rejects_file is None
    with state.begin() as conn:
        (item,) = list_reviews(conn, map_name="import:crm")
        decide(conn, item.id, "merge", "ops@example.com")
    (karl,) = contacts_in(crm)
    deleted = crm.write(
        "contact", [WriteRequest(WriteOp.DELETE, "contact", "gone", native_id=karl)]
    )
    assert deleted[0].ok, deleted[0].error

    second = importer(state, crm).run(source)

    assert [r.line for r in second.rejected] == [3] and "no longer exists" in second.rejected[
        0
    ].reason
    assert second.rejects_file is not None
    with Path(second.rejects_file).open(encoding="utf-8-sig", newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert [r["line"] for r in kept] == ["3"]
