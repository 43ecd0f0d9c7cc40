"""Every supported format and encoding reads to the same validated contacts."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from openpyxl import Workbook

from syncline.imports import read_contacts

OUTLOOK_EN = (
    "First Name,Middle Name,Last Name,Title,Company,Job Title,Business Street,Business City,"
    "Business Postal Code,Business Country/Region,Business Phone,Mobile Phone,E-mail Address,"
    "E-mail 2 Address,Notes\r\n"
    'Jürgen,,Müller,Dr.,Müller GmbH,Leiter Vertrieb,"Hauptstraße 12",Berlin,10115,Germany,'
    '+49 30 1234567,0171 2345678,J.Mueller@Example.DE,jm@privat.de,"Kunde seit 2019, A"\r\n'
    "Kari,,Hansen,,Nordic AS,,Storgata 1,Oslo,0155,Norway,,+47 912 34 567,kari@nordic.no,,\r\n"
)
OUTLOOK_DE = (
    "Anrede;Vorname;Weitere Vornamen;Nachname;Firma;Position;Straße geschäftlich;"
    "Ort geschäftlich;Postleitzahl geschäftlich;Land/Region geschäftlich;Telefon geschäftlich;"
    "Mobiltelefon;E-Mail-Adresse;Notizen\r\n"
    "Herr;Jürgen;;Müller;Müller GmbH;Leiter Vertrieb;Hauptstraße 12;Berlin;10115;Deutschland;"
    "+49 30 1234567;0171 2345678;J.Mueller@Example.DE;\r\n"
    "Frau;Kari;;Hansen;Nordic AS;;Storgata 1;Oslo;0155;Norwegen;;+47 912 34 567;kari@nordic.no;\r\n"
)


def check(path: Path) -> None:
    parsed = read_contacts(path)
    assert parsed.rejected == []
    first, second = parsed.rows
    assert (first.contact.first_name, first.contact.last_name) == ("Jürgen", "Müller")
    assert first.contact.email == "J.Mueller@example.de"
    assert first.contact.phone == "+49 30 1234567"
    assert first.contact.mobile == "0171 2345678"
    assert first.contact.role == "Leiter Vertrieb"
    assert (first.company, first.city, first.postal_code) == ("Müller GmbH", "Berlin", "10115")
    assert (second.contact.last_name, second.contact.mobile) == ("Hansen", "+47 912 34 567")
    assert second.contact.email == "kari@nordic.no"
    assert [r.line for r in parsed.rows] == [2, 3]


@pytest.mark.parametrize(
    ("text", "encoding", "bom"),
    [
        (OUTLOOK_EN, "utf-8", codecs.BOM_UTF8),
        (OUTLOOK_EN, "utf-8", b""),
        (OUTLOOK_EN, "cp1252", b""),
        (OUTLOOK_DE, "cp1252", b""),
        (OUTLOOK_DE, "utf-8", codecs.BOM_UTF8),
        (OUTLOOK_DE, "utf-16-le", codecs.BOM_UTF16_LE),
        (OUTLOOK_DE.replace(";", "\t"), "utf-16-le", codecs.BOM_UTF16_LE),
        (OUTLOOK_EN, "utf-16-be", codecs.BOM_UTF16_BE),
        (OUTLOOK_EN, "utf-16-le", b""),
    ],
    ids=[
        "en-utf8-bom", "en-utf8", "en-cp1252", "de-cp1252", "de-utf8-bom", "de-utf16-bom",
        "de-utf16-tabs", "en-utf16be-bom", "en-utf16le-no-bom",
    ],
)  # fmt: skip
def test_outlook_csv_in_every_encoding(
    tmp_path: Path, text: str, encoding: str, bom: bytes
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(bom + text.encode(encoding))
    check(path)
    assert read_contacts(path).encoding.replace("-sig", "") in (encoding, "utf-8")


def test_generic_csv_with_a_full_name_column_and_pipes(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Name|Company|Email|Phone\nJürgen Müller|Müller GmbH|j.mueller@example.de|030 1234567\n"
        "Hansen, Kari|Nordic AS|kari@nordic.no|\n",
        encoding="utf-8",
    )
    parsed = read_contacts(path)
    names = [(r.contact.first_name, r.contact.last_name) for r in parsed.rows]
    assert names == [("Jürgen", "Müller"), ("Kari", "Hansen")]
    assert parsed.rows[0].contact.phone == "030 1234567"


VCARD_3 = """BEGIN:VCARD
VERSION:3.0
N:Müller;Jürgen;;Dr.;
FN:Dr. Jürgen Müller
ORG:Müller GmbH;Vertrieb
TITLE:Leiter Vertrieb
EMAIL;TYPE=INTERNET:jm@privat.de
EMAIL;TYPE=INTERNET,PREF:J.Mueller@Example.DE
TEL;TYPE=WORK,VOICE:+49 30 1234567
TEL;TYPE=CELL:0171 2345678
ADR;TYPE=WORK:;;Hauptstraße 12;Berlin;;10115;Germany
END:VCARD
"""
VCARD_4 = """BEGIN:VCARD
VERSION:4.0
N:Hansen;Kari;;;
FN:Kari Hansen
ORG:Nordic AS
EMAIL;TYPE=work:kari@nordic.no
TEL;VALUE=uri;TYPE="voice,cell":tel:+47 912 34 567
ADR;TYPE=work:;;Storgata 1;Oslo;;0155;Norway
LANG:nb
END:VCARD
"""


def test_vcard_3_and_4_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARD_3 + "\n" + VCARD_4, encoding="utf-8")
    parsed = read_contacts(path)
    assert parsed.rejected == []
    first, second = parsed.rows
    assert first.contact.email == "J.Mueller@example.de"  # the preferred address comes first
    assert first.emails == ("J.Mueller@example.de", "jm@privat.de")
    assert (first.contact.phone, first.contact.mobile) == ("+49 30 1234567", "0171 2345678")
    assert (first.company, first.city, first.contact.role) == (
        "Müller GmbH",
        "Berlin",
        "Leiter Vertrieb",
    )
    assert (second.contact.mobile, second.contact.language) == ("+47 912 34 567", "nb")
    assert [r.line for r in parsed.rows] == [1, 14]


def test_a_bad_vcard_is_rejected_with_its_line_and_the_others_kept(tmp_path: Path) -> None:
    broken = "BEGIN:VCARD\nVERSION:3.0\nN Müller without colon\nEND:VCARD\n"
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARD_3 + broken + VCARD_4, encoding="utf-8")
    parsed = read_contacts(path)
    assert [r.line for r in parsed.rows] == [1, 17]
    (bad,) = parsed.rejected
    assert bad.line == 13 and "not a valid vCard" in bad.reason


def test_xlsx_first_sheet_with_outlook_headers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    lines = OUTLOOK_EN.strip().split("\r\n")
    import csv

    for cells in csv.reader(lines):
        sheet.append([int(c) if c.isdigit() and len(c) == 5 else c for c in cells])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)
    check(path)


def test_vcard_21_quoted_printable_and_bare_types(tmp_path: Path) -> None:
    path = tmp_path / "old-phone.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
        b"EMAIL;PREF;INTERNET:j@example.de\r\nTEL;WORK;VOICE:030 7654321\r\n"
        b"TEL;CELL:0171 7654321\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=96zt=C3=BCrk;Ay=C5=9Fe\r\n"
        b"NOTE;ENCODING=QUOTED-PRINTABLE:line one=0D=0A=\r\nline two\r\n"
        b"TITLE;ENCODING=QUOTED-PRINTABLE:Gesch=E4ftsf=FChrerin\r\n"
        b"EMAIL;INTERNET:ayse@example.de\r\nEND:VCARD\r\n"
    )
    parsed = read_contacts(path)
    assert parsed.rejected == []
    juergen, ayse = (r.contact for r in parsed.rows)
    assert (juergen.first_name, juergen.last_name) == ("Jürgen", "Müller")
    assert (juergen.phone, juergen.mobile) == ("030 7654321", "0171 7654321")
    assert (ayse.first_name, ayse.last_name, ayse.role) == ("Ayşe", "Öztürk", "Geschäftsführerin")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_mark_in_another_script(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "kontakty.csv"
    rows = [f"Константин Александрович;Рождественский{n};k{n}@x.ru" for n in range(3)]
    path.write_bytes("\r\n".join(["First Name;Last Name;E-mail", *rows]).encode(encoding))
    parsed = read_contacts(path)
    assert parsed.encoding == encoding
    assert [r.contact.last_name for r in parsed.rows][-1] == "Рождественский2"
