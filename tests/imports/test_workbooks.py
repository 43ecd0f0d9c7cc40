"""XLSX workbooks: which sheet is read, the sheets that are not, and header cells that do not
name their column."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from syncline.imports import ImportFileError, read_contacts

HEADER = ["First Name", "Last Name", "E-mail Address"]


def workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = Workbook()
    for index, (title, rows) in enumerate(sheets.items()):
        sheet = book.worksheets[0] if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_the_sheets_not_read_are_named_and_one_can_be_chosen(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "contacts.xlsx",
        {
            "Kunden": [HEADER, ["Kari", "Hansen", "kari@nordic.no"]],
            "Notes": [],
            "Lieferanten": [HEADER, ["Ole", "Berg", "ole@berg.no"]],
        },
    )
    first = read_contacts(path)
    assert [r.contact.last_name for r in first.rows] == ["Hansen"]
    assert first.unread_sheets == ["Lieferanten"]  # an empty sheet is no loss
    chosen = read_contacts(path, sheet="Lieferanten")
    assert [r.contact.last_name for r in chosen.rows] == ["Berg"]
    assert chosen.unread_sheets == ["Kunden"]
    with pytest.raises(ImportFileError, match=r"no sheet 'Lager'.*Kunden, Notes, Lieferanten"):
        read_contacts(path, sheet="Lager")


def test_an_empty_first_sheet_names_the_sheet_that_holds_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "c.xlsx", {"Leer": [], "Kontakte": [HEADER, ["A", "B", ""]]})
    with pytest.raises(ImportFileError, match="first sheet is empty; sheet 'Kontakte' holds"):
        read_contacts(path)


def test_a_header_merged_across_two_columns_is_refused_an_empty_column_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.xlsx"
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(["Name", None, "E-mail Address"])
    sheet.append(["Hans", "Meier", "hm@x.de"])
    sheet.merge_cells("A1:B1")
    book.save(path)
    with pytest.raises(ImportFileError) as caught:
        read_contacts(path)
    assert caught.value.line == 2
    assert "column B has no header but holds a value ('Meier')" in caught.value.reason
    assert "merged into A1:B1" in caught.value.reason
    empty = workbook(tmp_path / "e.xlsx", {"S": [["Name", "", "E-mail Address"],
                                                ["Hans Meier", "", "hm@x.de"]]})  # fmt: skip
    assert [r.contact.last_name for r in read_contacts(empty).rows] == ["Meier"]
    csv_path = tmp_path / "e.csv"
    csv_path.write_text("Name,,E-mail Address\nHans Meier,,hm@x.de\n", encoding="utf-8")
    assert [r.contact.last_name for r in read_contacts(csv_path).rows] == ["Meier"]
