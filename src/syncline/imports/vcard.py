"""vCard 2.1, 3.0 and 4.0 files (one or many cards) to rows of importer fields.

vCard 2.1 values in quoted-printable are decoded in the ``CHARSET`` they name (Outlook and
old phones write ``N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller``), and its bare
types count like ``TYPE=`` ones (``TEL;CELL`` is the mobile number).

The file is split into ``BEGIN:VCARD`` ... ``END:VCARD`` blocks first, so that each card knows
its line; each block is parsed with ``vobject``. A card that cannot be parsed is a bad row
(rejected with its line and reason); text outside cards or a card without its end makes the
whole file unusable.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vobject  # type: ignore[import-untyped]

from syncline.imports.decode import decode_text
from syncline.imports.errors import ImportFileError


@dataclass(frozen=True)
class VCardRow:
    """One card: its first ``line``, the importer fields found, its text, or a parse error."""

    line: int
    text: str
    single: dict[str, str] = field(default_factory=dict)
    multi: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None


def _blocks(text: str, file: str) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    current: list[str] | None = None
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        upper = line.upper()
        if current is None:
            if upper == "BEGIN:VCARD":
                current, start = [raw], number
            elif line:
                raise ImportFileError(
                    file, number, f"not a vCard: expected BEGIN:VCARD, found {line[:40]!r}"
                )
            continue
        if upper == "BEGIN:VCARD":
            raise ImportFileError(file, start, "a vCard without END:VCARD before the next one")
        current.append(raw)
        if upper == "END:VCARD":
            blocks.append((start, "\r\n".join(current) + "\r\n"))
            current = None
    if current is not None:
        raise ImportFileError(file, start, "the last vCard has no END:VCARD (file cut short?)")
    if not blocks:
        raise ImportFileError(file, None, "no vCard in the file")
    return blocks


_QP = re.compile(r"^([^:]*;ENCODING=QUOTED-PRINTABLE[^:]*):(.*)$", re.IGNORECASE)
_CHARSET = re.compile(r";CHARSET=([^;:]+)", re.IGNORECASE)


def _decoded(value: str, charset: str | None) -> str:
    """A quoted-printable value as text, its line breaks escaped as vCard 3.0 does. Without a
    charset UTF-8, else Windows-1252, as for files (:mod:`.decode`)."""
    data = quopri.decodestring(value.encode("ascii", "replace"))
    for name in (charset,) if charset else ("utf-8", "cp1252"):
        try:
            text = data.decode(name)
        except (LookupError, UnicodeError) as exc:
            if charset:
                raise ValueError(f"quoted-printable value not in CHARSET={name}: {exc}") from None
            continue
        return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    raise ValueError("quoted-printable value neither in UTF-8 nor in Windows-1252")


def _plain_21(block: str) -> str:
    """A vCard 2.1 block with its quoted-printable values decoded (in their ``CHARSET``) and
    the two parameters taken off, as vCard 3.0 writes them: vobject reads quoted-printable only
    as UTF-8. A value that cannot be decoded raises ValueError."""
    lines: list[str] = []
    pending: list[str] = []
    for line in block.split("\r\n"):
        if pending:  # a soft line break: the value goes on in the next line
            pending.append(line)
        elif _QP.match(line):
            pending = [line]
        else:
            lines.append(line)
            continue
        if pending[-1].endswith("="):
            pending[-1] = pending[-1][:-1]
            continue
        found = _QP.match("".join(pending))
        pending = []
        assert found is not None
        params, value = found.groups()
        charset = _CHARSET.search(params)
        text = _decoded(value, charset.group(1) if charset else None)
        params = re.sub(r";(ENCODING=QUOTED-PRINTABLE|CHARSET=[^;:]+)", "", params, flags=re.I)
        lines.append(f"{params}:{text}")
    return "\r\n".join(lines)


def _values(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def _types(prop: Any) -> set[str]:
    types: set[str] = set()
    for value in prop.params.get("TYPE", []):
        types.update(t.strip().strip('"').lower() for t in str(value).split(","))
    if "PREF" in prop.params:
        types.add("pref")
    # vCard 2.1 names types bare: TEL;CELL, EMAIL;PREF;INTERNET
    types.update(str(t).lower() for t in getattr(prop, "singletonparams", []))
    return types


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v).strip()
    return str(value or "").strip()


def _card_fields(card: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for prop in _values(card, "n")[:1]:
        name = prop.value
        single["last_name"] = _text(getattr(name, "family", ""))
        single["first_name"] = _text(getattr(name, "given", ""))
        single["middle_name"] = _text(getattr(name, "additional", ""))
    for prop in _values(card, "fn")[:1]:
        single["full_name"] = _text(prop.value)
    for prop in _values(card, "org")[:1]:
        value = prop.value
        single["company"] = _text(value[0] if isinstance(value, list) and value else value)
    for prop in _values(card, "title")[:1]:
        single["role"] = _text(prop.value)
    for prop in _values(card, "lang")[:1]:
        single["language"] = _text(prop.value)
    emails = sorted(_values(card, "email"), key=lambda p: "pref" not in _types(p))
    multi["email"] = [e for e in (_text(p.value) for p in emails) if e]
    phones: list[str] = []
    for prop in _values(card, "tel"):
        number = _text(prop.value).removeprefix("tel:")
        if not number:
            continue
        if "cell" in _types(prop) and "mobile" not in single:
            single["mobile"] = number
        else:
            phones.append(number)
    multi["phone"] = phones
    addresses = sorted(_values(card, "adr"), key=lambda p: "work" not in _types(p))
    for prop in addresses[:1]:
        address = prop.value
        single["street"] = _text(getattr(address, "street", ""))
        single["postal_code"] = _text(getattr(address, "code", ""))
        single["city"] = _text(getattr(address, "city", ""))
        single["region"] = _text(getattr(address, "region", ""))
        single["country"] = _text(getattr(address, "country", ""))
    if multi["email"]:
        single["email"] = multi["email"][0]
    if phones:
        single["phone"] = phones[0]
    return {k: v for k, v in single.items() if v}, {k: v for k, v in multi.items() if v}


def read_vcards(path: Path, *, encoding: str | None = None) -> tuple[list[VCardRow], str]:
    """Every card of the file as a row (bad cards carry ``error``), and the encoding used."""
    file = str(path)
    decoded = decode_text(path.read_bytes(), file, encoding)
    rows: list[VCardRow] = []
    for line, block in _blocks(decoded.text, file):
        try:
            card = vobject.readOne(_plain_21(block), validate=False)
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            rows.append(VCardRow(line, block, error=f"not a valid vCard: {reason}"))
            continue
        try:
            single, multi = _card_fields(card)
        except (AttributeError, TypeError, ValueError) as exc:
            rows.append(VCardRow(line, block, error=f"unreadable vCard field: {exc}"))
            continue
        rows.append(VCardRow(line, block, single, multi))
    return rows, decoded.encoding


__all__ = ["VCardRow", "read_vcards"]
