"""Files that cannot be imported at all: a clear error naming file and line, exit code 2,
nothing written to the CRM or the state store, and the input file left as it was."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from syncline.connectors.sql import SqlConnector
from syncline.imports import ImportFileError, read_contacts
from syncline.store import Store
from syncline.store.schema import links, review_items
from tests.imports.conftest import contacts_in

HEADER = "First Name;Last Name;E-mail Address\n"
CASES: dict[str, tuple[str, bytes, int | None, str]] = {
    # name: (file name, content, line in the message, words in the message)
    "empty": ("contacts.csv", b"", None, "empty"),
    "only blank lines": ("contacts.csv", b"\r\n\r\n  \r\n", None, "empty"),
    "bom only": ("contacts.csv", b"\xef\xbb\xbf", None, "empty"),
    "missing header": (
        "contacts.csv",
        "Jürgen;Müller;j@example.de\nKari;Hansen;kari@nordic.no\n".encode(),
        1,
        "no header row",
    ),
    "ragged rows": (
        "contacts.csv",
        (HEADER + "Jürgen;Müller;j@example.de\nKari;Hansen\nOle;Berg;o@b.no;extra\n").encode(),
        3,
        "ragged row: 2 fields where the header has 3 (also line(s) 4)",
    ),
    "unterminated quote": (
        "contacts.csv",
        (HEADER + 'Jürgen;"Müller;j@example.de\nKari;Hansen;kari@nordic.no\n').encode(),
        2,
        "not readable as CSV",
    ),
    "undecodable bytes": (
        "contacts.csv",
        HEADER.encode() + b"J\xfcrgen;M\x81ller;j@example.de\n",
        2,
        "unknown text encoding: byte 0x81",
    ),
    "mixed encodings": (
        "contacts.csv",
        HEADER.encode() + "Jürgen;Müller;j@example.de\n".encode() + b"Bj\xf6rn;Gro\xdf;b@x.de\n",
        3,
        "mixed encodings: line 3 is not valid UTF-8 (byte 0xF6) while line 2 is UTF-8",
    ),
    "column without header": (
        "contacts.csv",
        b"First Name;;Last Name\nHans;Meier-Extra;Meier\n",
        2,
        "column 2 has no header but holds a value ('Meier-Extra')",
    ),
    "binary garbage": (
        "contacts.csv",
        bytes(range(256)) * 4,
        1,
        "binary data",
    ),
    "png renamed": ("contacts.csv", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" * 8, 3, "binary"),
    "utf-16 mark, odd length": (
        "contacts.csv",
        b"\xff\xfe" + HEADER.encode("utf-16-le") + b"\x00\xd8",
        2,
        "the file says it is utf-16-le",
    ),
    "xlsx that is not a workbook": (
        "contacts.xlsx",
        b"First Name,Last Name\n",
        None,
        "not an XLSX",
    ),
    "vcard without end": (
        "contacts.vcf",
        b"BEGIN:VCARD\nVERSION:3.0\nN:Hansen;Kari;;;\n",
        1,
        "no END:VCARD",
    ),
    "vcard with text around": (
        "contacts.vcf",
        b"hello\nBEGIN:VCARD\nVERSION:3.0\nN:Hansen;Kari;;;\nEND:VCARD\n",
        1,
        "expected BEGIN:VCARD",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_file_is_refused_with_file_line_and_reason(tmp_path: Path, case: str) -> None:
    name, content, line, words = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        read_contacts(path)
    error = caught.value
    assert error.file == str(path)
    assert error.line == line
    assert words.lower() in str(error).lower()
    assert str(error).startswith(f"{path}:{line}:" if line is not None else f"{path}:")
    assert error.exit_code == 2


def test_a_file_in_another_encoding_than_given_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes((HEADER + "Kari;Hansen;kari@nordic.no\nJürgen;Müller;j@example.de\n")
                     .encode("cp1252"))  # fmt: skip
    with pytest.raises(ImportFileError, match=r"contacts.csv:3: not valid utf-8: byte 0xFC"):
        read_contacts(path, encoding="utf-8")
    assert [r.contact.last_name for r in read_contacts(path).rows] == ["Hansen", "Müller"]


@pytest.mark.parametrize("case", ["missing header", "ragged rows", "binary garbage", "empty"])
def test_the_cli_exits_2_and_nothing_is_lost(
    tmp_path: Path,
    case: str,
    cli_app: typer.Typer,
    config_file: Path,
    crm: SqlConnector,
) -> None:
    name, content, line, words = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    before = hashlib.sha256(content).hexdigest()
    result = CliRunner().invoke(
        cli_app, ["import", "contacts", str(path), "--into", "crm", "-c", str(config_file), "-q"]
    )
    assert result.exit_code == 2, result.output
    where = f"{path}:{line}" if line is not None else str(path)
    assert where in " ".join(result.output.split()) or where in result.output.replace("\n", "")
    assert words.split(":")[0].lower() in result.output.lower().replace("\n", " ")
    assert "Nothing was imported" in result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert contacts_in(crm) == {}
    assert not (tmp_path / "contacts.rejects.csv").exists()
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    with store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(links)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(review_items)).scalar_one() == 0
    store.close()


def test_an_xlsx_zip_without_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ImportFileError, match="not an XLSX workbook"):
        read_contacts(path)
