"""Cells that a spreadsheet app would run as a formula (CSV or formula injection).

A rejects or review file holds values of the imported file, and people open those in Excel or
LibreOffice: a value starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return)
would be taken for a formula there. Such a value is written with a single quote in front (the
OWASP rule), and reading a CSV file takes that quote off again, so the value round-trips.
Values written to the target system are data and stay as they are.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: str) -> str:
    """``value`` safe for a spreadsheet cell: ``'=1+1`` for ``=1+1``; others unchanged."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def unescape_formula(value: str) -> str:
    """:func:`escape_formula` undone: ``'=1+1`` is ``=1+1``; others unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


__all__ = ["FORMULA_STARTS", "escape_formula", "unescape_formula"]
