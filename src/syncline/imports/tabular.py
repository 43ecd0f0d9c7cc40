"""Tables from files: CSV (any delimiter, any detected encoding) and XLSX workbooks.

A table is a header and rows, each row with the line (CSV) or sheet row (XLSX) it came from,
so that every message can point at it. A row whose number of fields differs from the header
(a *ragged* row) makes the whole file unusable: its columns cannot be trusted.
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


def read_csv(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None
) -> SourceTable:
    """Read a CSV file: encoding and delimiter detected unless given."""
    file = str(path)
    decoded = decode_text(path.read_bytes(), file, encoding)
    chosen = delimiter or sniff_delimiter(decoded.text, file)
    return _table(file, _records(decoded.text, chosen, file), decoded.encoding, chosen)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path) -> SourceTable:
    """Read the first sheet of an XLSX workbook; the first non-empty row is the header."""
    from openpyxl import load_workbook  # noqa: PLC0415 - only XLSX imports need it
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
        sheet = workbook.worksheets[0]
        rows = [
            SourceRow(number, [_cell(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    width = max((len(r.cells) for r in rows), default=0)
    trimmed = []
    for row in rows:
        cells = row.cells + [""] * (width - len(row.cells))
        trimmed.append(SourceRow(row.line, cells))
    if not trimmed:
        raise ImportFileError(file, None, "the workbook's first sheet is empty")
    header_index = next((i for i, r in enumerate(trimmed) if any(c.strip() for c in r.cells)), None)
    if header_index is None:
        raise ImportFileError(file, None, "the workbook's first sheet is empty")
    used = max((i + 1 for r in trimmed for i, c in enumerate(r.cells) if c.strip()), default=0)
    header_cells = trimmed[header_index].cells[:used]
    named = max((i + 1 for i, c in enumerate(header_cells) if c.strip()), default=0)
    for row in trimmed[header_index + 1 :]:
        extra = [i for i, c in enumerate(row.cells[named:used], start=named) if c.strip()]
        if extra:
            raise ImportFileError(
                file,
                row.line,
                f"ragged row: a value in column {extra[0] + 1} has no header; "
                "give every used column a header",
            )
    cut = [SourceRow(r.line, r.cells[:named]) for r in trimmed]
    return _table(file, cut)


__all__ = ["DELIMITERS", "SourceRow", "SourceTable", "read_csv", "read_xlsx", "sniff_delimiter"]
