"""Rows of a contact file: read from any supported format, then validated one by one.

A valid row becomes a canonical :class:`~syncline.model.Contact` plus what only matching uses
(company, address, further e-mails and phones); a bad row becomes a :class:`RejectedRow` with
its line and the reason. Nothing is dropped: every row ends up valid or rejected.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from syncline.imports.columns import IDENTIFYING, map_headers, row_fields
from syncline.imports.errors import ImportFileError
from syncline.imports.tabular import read_csv, read_xlsx
from syncline.imports.vcard import read_vcards
from syncline.matching import MatchRecord
from syncline.model import Contact, EntityValidationError

_PHONE = re.compile(r"^\+?[\d\s()./\-]+(\s*(ext\.?|x|dw|durchwahl)\s*\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class RawRow:
    """One row as read: importer fields (``single`` best value, ``multi`` all e-mails and
    phones), and the original cells for the rejects file."""

    line: int
    single: dict[str, str]
    multi: dict[str, list[str]]
    raw: list[str]
    error: str | None = None


@dataclass(frozen=True)
class ImportRow:
    """A valid row: the contact to create and the extra values matching compares."""

    line: int
    contact: Contact
    company: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    raw: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Stable identity of the row's content: the same person in the same file twice, or
        the same file imported again, has the same fingerprint."""
        values = self.values()
        text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def values(self) -> dict[str, Any]:
        """Everything the row holds, as JSON (stored with review items to create it later)."""
        return {
            "contact": self.contact.canonical_values(),
            "company": self.company,
            "street": self.street,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
            "emails": list(self.emails),
            "phones": list(self.phones),
        }

    @classmethod
    def from_values(cls, line: int, values: dict[str, Any]) -> ImportRow:
        """The row back from :meth:`values`."""
        return cls(
            line=line,
            contact=Contact.parse(values["contact"]),
            company=values.get("company", ""),
            street=values.get("street", ""),
            postal_code=values.get("postal_code", ""),
            city=values.get("city", ""),
            country=values.get("country", ""),
            emails=tuple(values.get("emails", [])),
            phones=tuple(values.get("phones", [])),
        )

    def match_record(self, record_id: str) -> MatchRecord:
        c = self.contact
        return MatchRecord(
            id=record_id,
            organisation=self.company,
            given_name=c.first_name,
            family_name=c.last_name,
            street=self.street,
            postal_code=self.postal_code,
            city=self.city,
            country=self.country if len(self.country) == 2 else "",
            emails=self.emails,
            phones=self.phones,
        )

    def label(self) -> dict[str, str]:
        """Values shown in a review file."""
        c = self.contact
        return {
            "first_name": c.first_name,
            "last_name": c.last_name,
            "company": self.company,
            "email": c.email or "",
            "phone": c.phone or "",
            "mobile": c.mobile or "",
            "role": c.role or "",
            "city": self.city,
        }


@dataclass(frozen=True)
class RejectedRow:
    """A row that cannot be imported: its ``line``, the ``reason``, and its original cells."""

    line: int
    reason: str
    raw: list[str]


@dataclass
class ParsedFile:
    """A file read and validated: valid rows, rejected rows, and facts for the summary."""

    file: str
    kind: str
    header: list[str]
    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    encoding: str = ""
    unread_sheets: list[str] = field(default_factory=list)


def _email(value: str) -> str:
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"e-mail {value!r} is not valid: {exc}") from None
    return f"{checked.local_part}@{checked.domain.lower()}"


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value.strip()) or digits < 5:
        raise ValueError(f"phone {value!r} is not a phone number")
    return " ".join(value.split())


def _names(single: dict[str, str]) -> tuple[str, str]:
    first = " ".join(p for p in (single.get("first_name"), single.get("middle_name")) if p)
    last = single.get("last_name", "")
    full = single.get("full_name", "")
    if not last and full:
        if "," in full:
            last, _, rest = full.partition(",")
            first = first or rest.strip()
        else:
            parts = full.split()
            last = parts[-1]
            first = first or " ".join(parts[:-1])
    return first.strip(), last.strip()


def validate(raw: RawRow) -> ImportRow | RejectedRow:
    """Check one row; the reason of a rejection names the field and the value."""
    if raw.error is not None:
        return RejectedRow(raw.line, raw.error, raw.raw)
    single, multi = raw.single, raw.multi
    try:
        first, last = _names(single)
        if not last:
            raise ValueError("no last name (a contact needs at least a last name)")
        emails = tuple(dict.fromkeys(_email(e) for e in multi.get("email", [])))
        phones = tuple(dict.fromkeys(_phone(p) for p in multi.get("phone", [])))
        mobile = _phone(single["mobile"]) if single.get("mobile") else None
        contact = Contact.parse(
            {
                "first_name": first,
                "last_name": last,
                "role": single.get("role") or None,
                "email": emails[0] if emails else None,
                "phone": phones[0] if phones else None,
                "mobile": mobile,
                "language": single.get("language") or None,
            }
        )
    except (ValueError, EntityValidationError) as exc:
        return RejectedRow(raw.line, str(exc), raw.raw)
    return ImportRow(
        line=raw.line,
        contact=contact,
        company=single.get("company", ""),
        street=single.get("street", ""),
        postal_code=single.get("postal_code", ""),
        city=single.get("city", ""),
        country=single.get("country", ""),
        emails=emails,
        phones=tuple(dict.fromkeys((*phones, *([mobile] if mobile else [])))),
        raw=raw.raw,
    )


def _table_rows(path: Path, kind: str, encoding: str | None, sheet: str | None) -> ParsedFile:
    table = read_xlsx(path, sheet) if kind == "xlsx" else read_csv(path, encoding=encoding)
    columns, ignored = map_headers(table.header)
    if not {f for f, _ in columns.values()} & IDENTIFYING:
        shown = ", ".join(repr(h) for h in table.header[:6])
        raise ImportFileError(
            table.file,
            table.header_line,
            f"no header row: the first row must name the columns (e.g. 'First Name', "
            f"'Last Name', 'E-mail Address'); found {shown}",
        )
    parsed = ParsedFile(table.file, kind, table.header, ignored_columns=ignored)
    parsed.blank_lines = table.blank_lines
    parsed.encoding = table.encoding
    parsed.unread_sheets = table.unread_sheets
    for row in table.rows:
        single, multi = row_fields(row.cells, columns)
        result = validate(RawRow(row.line, single, multi, row.cells))
        _keep(parsed, result)
    return parsed


def _keep(parsed: ParsedFile, result: ImportRow | RejectedRow) -> None:
    if isinstance(result, ImportRow):
        parsed.rows.append(result)
    else:
        parsed.rejected.append(result)


def file_kind(path: Path) -> str:
    """``csv``, ``xlsx`` or ``vcard`` from the file name (``.vcf``/``.vcard``/``.xlsx``)."""
    suffix = path.suffix.lower()
    if suffix in (".vcf", ".vcard"):
        return "vcard"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "csv"


def read_contacts(
    path: Path, *, kind: str | None = None, encoding: str | None = None, sheet: str | None = None
) -> ParsedFile:
    """Read and validate a contact file of ``kind`` (default: from its name); of a workbook
    the first sheet, or ``sheet``.

    Raises :class:`ImportFileError` when the file as a whole is unusable; nothing is written
    anywhere before this has succeeded.
    """
    if not path.is_file():
        raise ImportFileError(str(path), None, "no such file")
    kind = kind or file_kind(path)
    if sheet is not None and kind != "xlsx":
        raise ImportFileError(str(path), None, "--sheet is for XLSX workbooks only")
    if kind != "vcard":
        return _table_rows(path, kind, encoding, sheet)
    cards, used = read_vcards(path, encoding=encoding)
    parsed = ParsedFile(str(path), kind, ["vcard"], encoding=used)
    for card in cards:
        raw = RawRow(card.line, card.single, card.multi, [card.text], card.error)
        _keep(parsed, validate(raw))
    return parsed


__all__ = [
    "ImportRow",
    "ParsedFile",
    "RawRow",
    "RejectedRow",
    "file_kind",
    "read_contacts",
    "validate",
]
