"""Review files (CSV or XLSX): one group per row in doubt, a decision column to fill in.

Each group starts with the imported row itself (``candidate`` = ``this row``), followed by its
candidates (``SYSTEM:ID`` for a record of the target system, ``line:N`` for another row of the
file) with their scores. A person writes the decision into the ``decision`` cell of the group's
first row: ``merge SYSTEM:ID`` (or ``merge line:N``), ``create`` or ``skip``. Empty: undecided.

Rejects files list every rejected row with its line, the reason and its original cells.

Values that a spreadsheet app would take for a formula are written escaped
(:mod:`.formulas`); reading a CSV file takes the escape off again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from syncline.imports.errors import ImportFileError
from syncline.imports.formulas import FORMULA_STARTS, escape_formula
from syncline.imports.rows import RejectedRow
from syncline.imports.tabular import SourceTable, read_csv, read_xlsx

VALUE_COLUMNS = ("first_name", "last_name", "company", "email", "phone", "mobile", "role", "city")
COLUMNS = ("group", "line", "candidate", "score", "decision", *VALUE_COLUMNS)
SUBJECT = "this row"
HOW_TO = (
    "One group per imported row that may be a duplicate. The first row of a group is the "
    "imported row ('this row'); below it are its candidates with their scores (1.0 = equal).",
    "Write the decision into the 'decision' cell of the group's first row:",
    "  merge CRM:ID   - the row is that record: fill its empty fields, create nothing",
    "  merge line:N   - the row is row N of the same file (which must be imported)",
    "  create         - the row is a different person: create it",
    "  skip           - import nothing for this row",
    "Leave it empty to decide later. Then run: syncline import review THIS-FILE",
    "(For a file written by 'syncline load': the decisions are recorded; run the load again.)",
)


@dataclass(frozen=True)
class ReviewCandidate:
    ref: str
    score: float
    label: dict[str, str]


@dataclass(frozen=True)
class ReviewGroup:
    """A row in doubt: its group key (the row's fingerprint), line, values and candidates."""

    key: str
    line: int | str
    label: dict[str, str]
    candidates: list[ReviewCandidate]


@dataclass(frozen=True)
class GroupDecision:
    """A decision read from a review file: ``action`` create|skip|merge, ``ref`` for merge."""

    key: str
    file_line: int
    action: str
    ref: str | None


def _rows(groups: list[ReviewGroup], decisions: Mapping[str, str]) -> list[list[str]]:
    rows: list[list[str]] = []
    for group in groups:
        rows.append(
            [group.key, str(group.line), SUBJECT, "", decisions.get(group.key, "")]
            + [group.label.get(c, "") for c in VALUE_COLUMNS]
        )
        rows.extend(
            [group.key, "", c.ref, f"{c.score:.3f}", ""]
            + [c.label.get(col, "") for col in VALUE_COLUMNS]
            for c in group.candidates
        )
    return rows


def write_review_file(
    path: Path, groups: list[ReviewGroup], decisions: Mapping[str, str] | None = None
) -> None:
    """Write ``groups`` as CSV (UTF-8 with BOM, for Excel) or XLSX, by the file's suffix;
    ``decisions`` (group key -> text) fill the decision cells, as entered before."""
    rows = _rows(groups, decisions or {})
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, groups, rows)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows([escape_formula(c) for c in row] for row in rows)


def _write_xlsx(path: Path, groups: list[ReviewGroup], rows: list[list[str]]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 - only XLSX files need it
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "review"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    shades = (PatternFill("solid", fgColor="F2F2F2"), PatternFill("solid", fgColor="FFFFFF"))
    decision = PatternFill("solid", fgColor="FFF2CC")
    keys = [g.key for g in groups]
    for row in rows:
        sheet.append(row)
        number = sheet.max_row
        shade = shades[keys.index(row[0]) % 2]
        for cell in sheet[number]:
            cell.fill = shade
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type, cell.quotePrefix = "s", True  # text, never a formula
        if row[2] == SUBJECT:
            sheet.cell(number, COLUMNS.index("decision") + 1).fill = decision
            sheet.cell(number, COLUMNS.index("candidate") + 1).font = Font(bold=True)
    widths = (34, 6, 14, 7, 22, 14, 16, 22, 28, 16, 16, 18, 14)
    for letter, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    help_sheet = workbook.create_sheet("how to decide")
    for line in HOW_TO:
        help_sheet.append([line])
    workbook.save(path)


_MERGE = re.compile(r"^(?:merge|merge into|merge:)\s*(?:into\s+)?(\S+)$", re.IGNORECASE)


def parse_decision(text: str) -> tuple[str, str | None] | None:
    """``("create", None)``, ``("skip", None)``, ``("merge", ref)``; None when empty.

    Raises ValueError for anything else.
    """
    value = " ".join(text.split())
    if not value:
        return None
    if value.casefold() in ("create", "skip"):
        return value.casefold(), None
    found = _MERGE.match(value)
    if found is not None:
        return "merge", found.group(1)
    raise ValueError(f"unknown decision {value!r}: write 'merge ID', 'create' or 'skip'")


def _review_table(path: Path) -> tuple[SourceTable, dict[str, int]]:
    """The table of a review file and the index of its group, candidate and decision columns."""
    table = read_xlsx(path) if path.suffix.lower() == ".xlsx" else read_csv(path)
    header = [h.strip().casefold() for h in table.header]
    missing = [c for c in ("group", "candidate", "decision") if c not in header]
    if missing:
        raise ImportFileError(
            table.file,
            table.header_line,
            f"not a syncline review file: no column(s) {', '.join(missing)}",
        )
    return table, {name: header.index(name) for name in ("group", "candidate", "decision")}


def entered_decisions(path: Path) -> dict[str, str]:
    """Every group of a review file with the text of its decision cell ("" when undecided),
    as a person entered it."""
    table, at = _review_table(path)
    return {
        row.cells[at["group"]].strip(): " ".join(row.cells[at["decision"]].split())
        for row in table.rows
        if row.cells[at["candidate"]].strip() == SUBJECT and row.cells[at["group"]].strip()
    }


def read_review_file(
    path: Path,
) -> tuple[list[GroupDecision], list[tuple[int, str]], set[str]]:
    """Decisions of a review file, problems as ``(line, message)`` (unknown decisions), and
    the keys of every group in the file."""
    table, at = _review_table(path)
    decisions: list[GroupDecision] = []
    problems: list[tuple[int, str]] = []
    groups: set[str] = set()
    for row in table.rows:
        groups.add(row.cells[at["group"]].strip())
        if row.cells[at["candidate"]].strip() != SUBJECT:
            if row.cells[at["decision"]].strip():
                problems.append(
                    (row.line, "a decision belongs in the group's first row ('this row')")
                )
            continue
        try:
            parsed = parse_decision(row.cells[at["decision"]])
        except ValueError as exc:
            problems.append((row.line, str(exc)))
            continue
        if parsed is not None:
            key = row.cells[at["group"]].strip()
            decisions.append(GroupDecision(key, row.line, parsed[0], parsed[1]))
    return decisions, problems, groups - {""}


def write_rejects(path: Path, header: list[str], rejected: list[RejectedRow]) -> None:
    """The rejected rows: line, reason, then the row's original cells under its header."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "reason", *(escape_formula(h) for h in header)])
        for row in sorted(rejected, key=lambda r: r.line):
            writer.writerow([escape_formula(c) for c in (str(row.line), row.reason, *row.raw)])


__all__ = [
    "COLUMNS",
    "SUBJECT",
    "GroupDecision",
    "ReviewCandidate",
    "ReviewGroup",
    "entered_decisions",
    "parse_decision",
    "read_review_file",
    "write_rejects",
    "write_review_file",
]
