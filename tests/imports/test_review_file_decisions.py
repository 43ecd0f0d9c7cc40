"""Applying review files: contradictions, merges into rows of the same file, ids in any case,
and values a spreadsheet app would run as formulas."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from syncline.connectors.sql import SqlConnector
from syncline.imports import ContactImport, ReviewApplier, read_contacts
from syncline.imports.reviewfile import entered_decisions
from syncline.store import Store
from syncline.store.reviews import list_reviews
from tests.imports.conftest import add_contact, contacts_in
from tests.imports.test_import import review_decisions
from tests.imports.test_reruns import MORE, importer, write
from tests.load.scripted import ScriptedMatcher


def two_groups(tmp_path: Path, state: Store, crm: SqlConnector) -> tuple[str, Path]:
    """Line 2 may be Anna of the CRM; line 3 may be Anna or line 2. Anna's id, review file."""
    anna = add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;", "A.;Schmidt;;;040 123456;;"])
    report = importer(state, crm).run(source)
    assert report.for_review == 2 and report.review_file is not None
    return anna, Path(report.review_file)


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def rewrite(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_a_group_decided_twice_differently_is_an_error_and_nothing_is_applied_for_it(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    _, review_file = two_groups(tmp_path, state, crm)
    rows = rows_of(review_file)
    first = next(i for i, r in enumerate(rows) if r[1] == "2")
    rows[first][4] = "create"
    rows.insert(first + 1, [*rows[first][:4], "skip", *rows[first][5:]])
    rewrite(review_file, rows)

    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)

    ((line, message),) = outcome.problems
    assert line == first + 1
    assert f"line {first + 1} 'create'" in message and f"line {first + 2} 'skip'" in message
    assert "nothing was applied" in message
    assert (outcome.created, outcome.skipped, outcome.undecided) == (0, 0, 2)
    assert len(contacts_in(crm)) == 1


def test_a_merge_into_a_row_skipped_in_the_same_file_says_it_was_skipped(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    _, review_file = two_groups(tmp_path, state, crm)
    review_decisions(review_file, {"2": "skip", "3": "merge line:2"})
    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)
    ((_, message),) = outcome.problems
    assert "line:2 was skipped" in message and "not imported yet" not in message
    assert outcome.skipped == 1 and outcome.undecided == 1


def test_candidates_are_named_in_any_case(tmp_path: Path, state: Store, crm: SqlConnector) -> None:
    anna, review_file = two_groups(tmp_path, state, crm)
    review_decisions(review_file, {"2": f"MERGE CRM:{anna}", "3": "Merge LINE:2"})
    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)
    assert outcome.problems == [] and outcome.merged == 2
    assert [c.phone for c in contacts_in(crm).values()] == ["040 123456"]


def test_a_chain_of_merges_is_applied_whatever_the_order_of_the_groups(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    anna, review_file = two_groups(tmp_path, state, crm)
    review_decisions(review_file, {"2": f"merge crm:{anna}", "3": "merge line:2"})
    rows = rows_of(review_file)
    line_2 = [r for r in rows[1:] if r[0] == rows[1][0]]
    rewrite(review_file, [rows[0], *[r for r in rows[1:] if r not in line_2], *line_2])

    outcome = ReviewApplier(state, lambda system: crm).apply(review_file)

    assert outcome.problems == [] and outcome.merged == 2
    assert [c.phone for c in contacts_in(crm).values()] == ["040 123456"]


def test_formulas_are_escaped_in_side_files_and_not_in_the_crm(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(
        tmp_path / "contacts.csv",
        [
            '"=HYPERLINK(""http://x.example"")";Inject;;inj@x.de;;;@SUM(1+1)',  # 2: created
            "=cmd|x;;;;+49 30 1234567;;",  # 3: no last name
            "Anne;Schmidt;;;+49 40 123456;;-boss",  # 4: maybe Anna
        ],
    )
    report = importer(state, crm).run(source)
    assert report.created == 1 and [r.line for r in report.rejected] == [3]
    (inject,) = [c for c in contacts_in(crm).values() if c.last_name == "Inject"]
    assert (inject.first_name, inject.role) == ('=HYPERLINK("http://x.example")', "@SUM(1+1)")
    rejects = tmp_path / "contacts.rejects.csv"
    assert rows_of(rejects)[1][2:7] == ["'=cmd|x", "", "", "", "'+49 30 1234567"]
    review = rows_of(Path(report.review_file or ""))
    assert review[1][9:12] == ["'+49 40 123456", "", "'-boss"]
    assert list(entered_decisions(Path(report.review_file or ""))) == [review[1][0]]

    rows = rows_of(rejects)
    rewrite(rejects, [rows[0][2:], [rows[1][2], "Fixed", *rows[1][4:]]])
    (fixed,) = read_contacts(rejects).rows  # a fixed rejects file imports as it was
    assert (fixed.contact.first_name, fixed.contact.phone) == ("=cmd|x", "+49 30 1234567")


def test_formulas_in_an_xlsx_review_file_are_text(
    tmp_path: Path, state: Store, crm: SqlConnector
) -> None:
    add_contact(crm, first_name="Anna", last_name="Schmidt", email="anna@firma.de")
    source = write(tmp_path / "contacts.csv", ["Anne;Schmidt;;;;;=1+1"])
    review_file = tmp_path / "review.xlsx"
    ContactImport(state, crm, matcher=ScriptedMatcher(MORE)).run(source, review_path=review_file)
    cell = load_workbook(review_file)["review"]["L2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)
    with state.begin() as conn:
        assert len(list_reviews(conn, map_name="import:crm")) == 1
