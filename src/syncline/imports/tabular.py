"""Tables from files: CSV (any delimiter, any detected encoding) and XLSX workbooks.

A table is a header and rows, each row with the line (CSV) or sheet row (XLSX) it came from,
so that every message can point at it. A row whose number of fields differs from the header
(a *ragged* row) makes the whole file unusable: its columns cannot be trusted. So does a value
in a column without a header (an empty header cell, a header merged across several cells, a
value to the right of the last header): what it is cannot be known, and it must not be lost.

A workbook is read from its first sheet (or the one named); the other sheets that hold values
are listed, so that none is left out in silence.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from syncline.imports.decode import decode_text
from syncline.imports.errors import ImportFileError
from syncline.imports.formulas import unescape_formula

DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class SourceRow:
    """One data row: its ``line`` in the file and its cells as text."""

    line: int
    cells: list[str]


@dataclass
class SourceTable:
    """A header row and the data rows below it; ``blank_lines`` lists skipped empty rows."""

    file: str
    header: list[str]
    header_line: int
    rows: list[SourceRow]
    encoding: str = ""
    delimiter: str = ""
    blank_lines: list[int] = field(default_factory=list)
    sheet: str = ""
    unread_sheets: list[str] = field(default_factory=list)


def _records(
    text: str, delimiter: str, file: str, limit: int | None = None, *, partial: bool = False
) -> list[SourceRow]:
    """Rows with the line each starts on; ``partial``: the rows before a CSV error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[SourceRow] = []
    start = 1
    try:
        for cells in reader:
            rows.append(SourceRow(start, cells))
            start = reader.line_num + 1
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        if partial:
            return rows
        raise ImportFileError(
            file, start, f"not readable as CSV: {exc} (an opening quote without its closing one?)"
        ) from None
    return rows


def sniff_delimiter(text: str, file: str) -> str:
    """The delimiter that splits the first lines into the most, equally many, fields."""
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        rows = [r for r in _records(text, delimiter, file, 50, partial=True) if any(r.cells)]
        if not rows:
            continue
        width = len(rows[0].cells)
        consistent = sum(1 for r in rows if len(r.cells) == width)
        score = (consistent if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _table(
    file: str, rows: list[SourceRow], encoding: str = "", delimiter: str = ""
) -> SourceTable:
    blank: list[int] = []
    data: list[SourceRow] = []
    for row in rows:
        if any(c.strip() for c in row.cells):
            data.append(row)
        else:
            blank.append(row.line)
    if not data:
        raise ImportFileError(file, None, "the file is empty (no rows)")
    header_row, body = data[0], data[1:]
    header = [c.strip() for c in header_row.cells]
    ragged = [r for r in body if len(r.cells) != len(header)]
    if ragged:
        first = ragged[0]
        more = ", ".join(str(r.line) for r in ragged[1:6])
        also = f" (also line(s) {more}{', ...' if len(ragged) > 6 else ''})" if more else ""
        raise ImportFileError(
            file,
            first.line,
            f"ragged row: {len(first.cells)} fields where the header has {len(header)}{also}; "
            "fix the rows or export the file again",
        )
    blank = [b for b in blank if b > header_row.line]
    return SourceTable(file, header, header_row.line, body, encoding, delimiter, blank)


def headerless_value(table: SourceTable) -> tuple[int, SourceRow] | None:
    """The first column (index) without a header that holds a value, with the row holding it."""
    blank = [i for i, h in enumerate(table.header) if not h]
    for row in table.rows if blank else ():
        for index in blank:
            if index < len(row.cells) and row.cells[index].strip():
                return index, row
    return None


def _refuse_headerless(table: SourceTable, column: str, hint: str = "") -> None:
    found = headerless_value(table)
    if found is None:
        return
    index, row = found
    raise ImportFileError(
        table.file,
        row.line,
        f"column {column} has no header but holds a value ({row.cells[index].strip()[:40]!r})"
        f"{hint}; give every used column a header (or delete the column) and import again",
    )


def read_csv(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> SourceTable:
    """Read a CSV file: encoding and delimiter detected unless given."""
    file = str(path)
    decoded = decode_text(path.read_bytes(), file, encoding)
    chosen = delimiter or sniff_delimiter(decoded.text, file)
    records = [
        SourceRow(r.line, [unescape_formula(c) for c in r.cells])
        for r in _records(decoded.text, chosen, file)
    ]
    table = _table(file, records, decoded.encoding, chosen)
    found = headerless_value(table)
    _refuse_headerless(table, str(found[0] + 1) if found else "")
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _sheet_rows(sheet: Any) -> list[SourceRow]:
    """A sheet's rows as text, padded to one width."""
    rows = [
        SourceRow(number, [_cell(v) for v in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    width = max((len(r.cells) for r in rows), default=0)
    return [SourceRow(r.line, r.cells + [""] * (width - len(r.cells))) for r in rows]


def _holds_values(sheet: Any) -> bool:
    return any(
        v is not None and str(v).strip() for values in sheet.iter_rows(values_only=True)
        for v in values
    )  # fmt: skip


def _chosen_sheet(workbook: Any, file: str, name: str | None) -> tuple[Any, list[str]]:
    """The sheet to read (``name``, else the first) and the names of the other sheets that
    hold values."""
    names = [ws.title for ws in workbook.worksheets]
    if name is not None and name not in names:
        raise ImportFileError(
            file, None, f"no sheet {name!r} in the workbook; its sheets: {', '.join(names)}"
        )
    chosen = workbook[name] if name is not None else workbook.worksheets[0]
    others = [
        ws.title for ws in workbook.worksheets if ws.title != chosen.title and _holds_values(ws)
    ]
    return chosen, others


def _merged_hint(path: Path, sheet: str, header_line: int, column: int) -> str:
    """Why column ``column`` (0-based) has no header, when its header cell is merged."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only XLSX imports need it

    workbook = load_workbook(path, data_only=True)  # merged ranges need the full reader
    try:
        for merged in workbook[sheet].merged_cells.ranges:
            if merged.min_row <= header_line <= merged.max_row and (
                merged.min_col <= column + 1 <= merged.max_col
            ):
                return f" (its header cell is merged into {merged.coord})"
    finally:
        workbook.close()
    return ""


def read_xlsx(path: Path, sheet: str | None = None) -> SourceTable:
    """Read the first sheet (or ``sheet``) of an XLSX workbook; the first non-empty row is the
    header."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only XLSX imports need it
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    file = str(path)
    if path.stat().st_size == 0:
        raise ImportFileError(file, None, "the file is empty")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError(
            file, None, f"not an XLSX workbook ({exc}); save it as .xlsx or export as CSV"
        ) from None
    try:
        chosen, others = _chosen_sheet(workbook, file, sheet)
        rows = _sheet_rows(chosen)
    finally:
        workbook.close()
    header_index = next((i for i, r in enumerate(rows) if any(c.strip() for c in r.cells)), None)
    if header_index is None:
        which = f"sheet {chosen.title!r}" if sheet is not None else "first sheet"
        with_data = (
            f'; sheet {others[0]!r} holds values: import it with --sheet "{others[0]}"'
            if others
            else ""
        )
        raise ImportFileError(file, None, f"the workbook's {which} is empty{with_data}")
    used = max((i + 1 for r in rows for i, c in enumerate(r.cells) if c.strip()), default=0)
    table = _table(file, [SourceRow(r.line, r.cells[:used]) for r in rows])
    table.sheet, table.unread_sheets = chosen.title, others
    found = headerless_value(table)
    if found is not None:
        hint = _merged_hint(path, chosen.title, table.header_line, found[0])
        _refuse_headerless(table, get_column_letter(found[0] + 1), hint)
    return table


__all__ = [
    "DELIMITERS",
    "SourceRow",
    "SourceTable",
    "headerless_value",
    "read_csv",
    "read_xlsx",
    "sniff_delimiter",
]
