"""Bytes of a text file to text: the encoding is detected, never guessed silently.

Order: a byte-order mark (UTF-8, UTF-16 LE/BE) wins; UTF-16 without a mark is recognised by
its zero bytes; then strict UTF-8; then Windows-1252 (what Excel and Outlook write on
Western European Windows). A file that is none of these, or that holds binary data, is an
:class:`~syncline.imports.errors.ImportFileError` naming the line. So is a file of *mixed*
encodings (lines in UTF-8 and lines that are not): read as Windows-1252 its UTF-8 letters
would become mojibake (``JÃ¼rgen``), read line by line the encoding of each odd line would
be a guess, so it stops and names the first line that is not UTF-8.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from syncline.imports.errors import ImportFileError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALLOWED_CONTROL = {"\t", "\n", "\r", "\f"}


@dataclass(frozen=True)
class DecodedText:
    """The text of a file and the encoding it was read with."""

    text: str
    encoding: str


def _line_of(data: bytes, position: int, width: int = 1) -> int:
    newline = "\n".encode("utf-16-le") if width == 2 else b"\n"
    return data[:position].count(newline) + 1


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` when zero bytes stand only at odd (even) positions and often
    there: the ASCII letters, digits and delimiters of UTF-16 text. Text in another script
    (Cyrillic, Greek) has no zero bytes in its own letters, so a quarter is enough; binary
    data has zeros at both positions (and its control characters are refused later)."""
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd > 0.25 and even < 0.02:
        return "utf-16-le"
    if even > 0.25 and odd < 0.02:
        return "utf-16-be"
    return None


def _check_text(text: str, file: str) -> None:
    for position, char in enumerate(text):
        if char in _ALLOWED_CONTROL or unicodedata.category(char) != "Cc":
            continue
        line = text.count("\n", 0, position) + 1
        raise ImportFileError(
            file,
            line,
            f"binary data (control character U+{ord(char):04X}): this is not a text export; "
            "export the contacts as CSV, vCard or XLSX",
        )


def decode_text(data: bytes, file: str, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` (the content of ``file``) with ``encoding`` or a detected one."""
    if not data.strip(b" \t\r\n\x00") or data in (codecs.BOM_UTF8,):
        raise ImportFileError(file, None, "the file is empty")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise ImportFileError(file, None, f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                file,
                _line_of(data, exc.start),
                f"not valid {encoding}: byte 0x{data[exc.start]:02X} cannot be decoded; "
                "leave out --encoding to detect it, or give the right one",
            ) from None
        _check_text(text.removeprefix("\ufeff"), file)
        return DecodedText(text.removeprefix("\ufeff"), encoding)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], file, name)
    wide = _utf16_without_bom(data[:400])
    if wide is not None:
        return _strict(data, file, wide)
    if b"\x00" in data:
        raise ImportFileError(
            file,
            _line_of(data, data.index(b"\x00")),
            "binary data (zero bytes): this is not a text export; "
            "export the contacts as CSV, vCard or XLSX",
        )
    try:
        text = data.decode("utf-8")
        encoding_used = "utf-8"
    except UnicodeDecodeError as utf8_error:
        _refuse_mixed(data, file, utf8_error.start)
        try:
            text = data.decode("cp1252")
            encoding_used = "cp1252"
        except UnicodeDecodeError as cp_error:
            raise ImportFileError(
                file,
                _line_of(data, cp_error.start),
                f"unknown text encoding: byte 0x{data[cp_error.start]:02X} is neither "
                "UTF-8, UTF-16 nor Windows-1252; give --encoding (e.g. latin-1)",
            ) from None
    _check_text(text, file)
    return DecodedText(text, encoding_used)


def _refuse_mixed(data: bytes, file: str, bad: int) -> None:
    """Raise when ``data``, not valid UTF-8 at byte ``bad``, holds valid UTF-8 letters (bytes
    above ASCII) elsewhere: then it is a file of mixed encodings, not Windows-1252."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        odd = _line_of(data, bad)
        raise ImportFileError(
            file,
            odd,
            f"mixed encodings: line {odd} is not valid UTF-8 (byte 0x{data[bad]:02X}) while "
            f"line {number} is UTF-8; save the file again as UTF-8 (fix line {odd}), or give "
            "--encoding if the whole file is in one encoding (e.g. --encoding cp1252)",
        )


def _strict(data: bytes, file: str, encoding: str) -> DecodedText:
    width = 2 if encoding.startswith("utf-16") else 1
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            file,
            _line_of(data, exc.start, width),
            f"the file says it is {encoding} but byte {exc.start} is not; save it again as UTF-8",
        ) from None
    if not text.strip():
        raise ImportFileError(file, None, "the file is empty")
    _check_text(text, file)
    return DecodedText(text, encoding)


__all__ = ["DecodedText", "decode_text"]
