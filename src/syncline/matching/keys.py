"""Deterministic keys (``match.keys`` of a map) in one normal form, for the initial load and
for continuous sync alike: equal forms link records outright.

VAT ids are compacted (``DE 136 695 976`` is ``DE136695976``), e-mails lower-cased, phone
numbers put in E.164, other text case-folded with single spaces. A list field contributes each
item; a dict field (``numbers``) each ``key:value`` pair.
"""

from __future__ import annotations

from typing import Any

from syncline.matching.normalize import normalize_email, normalize_phone, normalize_vat


def key_text(field: str, value: str) -> str:
    """The normal form of one text value of key field ``field``."""
    if "vat" in field:
        return normalize_vat(value) or " ".join(value.split()).casefold()
    if "email" in field:
        return normalize_email(value) or value.strip().casefold()
    if "phone" in field or "mobile" in field:
        return normalize_phone(value, None) or "".join(c for c in value if c.isdigit())
    return " ".join(value.split()).casefold()


def key_forms(field: str, value: Any) -> set[str]:
    """The comparable forms of one value of key field ``field`` (several for lists, dicts)."""
    if value is None or value in ("", [], {}):
        return set()
    if isinstance(value, dict):
        return {f"{k}:{key_text(field, str(v))}" for k, v in value.items() if v not in (None, "")}
    if isinstance(value, list | tuple | set | frozenset):
        return {v for item in value for v in key_forms(field, item)}
    return {text} if (text := key_text(field, str(value))) else set()


__all__ = ["key_forms", "key_text"]
