"""Key lookups that find a value however the table happens to write it.

The engine asks a connector for the raw key values and their normal forms
(:func:`syncline.sync.links.lookup_keys`) and holds whatever comes back to the normal form
itself. A legacy table seldom stores keys in normal form: ``de 136.695.976`` for the VAT id
``DE136695976``, ``Info@Example.com`` for an e-mail, ``+49 30 1234-56`` for a phone number, or
an e-mail as one item of a JSON list. An exact comparison misses all of these, and a missed key
means a second copy of the record. So a value the exact (indexed) comparison does not find is
compared once more *loosely*: both sides lower-cased, without spaces, dots, dashes, slashes
and brackets; for a list column, as one quoted item of its JSON text. The loose comparison
reads the whole table (no index can serve it); ``loose_lookup: false`` turns it off for large
tables whose key columns hold normal forms.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Annotated, Any

from sqlalchemy import ColumnElement, func, or_

DROPPED = " .-/()"
"""Characters a loose comparison ignores."""


def loosen(value: str) -> str:
    """``value`` as the loose comparison sees it (the same as :func:`loose` in SQL, for ASCII
    text: SQLite lower-cases only ASCII letters)."""
    return "".join(ch for ch in value.lower() if ch not in DROPPED)


def loose(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The SQL expression of ``column`` as :func:`loosen` sees a value."""
    expression: ColumnElement[Any] = func.lower(column)
    for char in DROPPED:
        expression = func.replace(expression, char, "")
    return expression


def is_text_list(annotation: Any) -> bool:
    """Whether a field holds a list of texts (stored as a JSON list), e.g. ``emails``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(is_text_list(a) for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is not list:
        return False
    (item,) = typing.get_args(annotation) or (Any,)
    if typing.get_origin(item) is Annotated:
        item = typing.get_args(item)[0]
    return item is str


def loose_match(
    column: ColumnElement[Any], values: Sequence[Any], *, text_list: bool
) -> ColumnElement[bool] | None:
    """A condition finding rows whose ``column`` loosely equals one of ``values`` (holds one
    as an item, for a ``text_list``); None when no value has anything left to compare."""
    forms = sorted({form for v in values if isinstance(v, str) and (form := loosen(v))})
    if not forms:
        return None
    if text_list:
        # '["Info@Example.com"]' loosened is '["info@examplecom"]': the item, quoted
        return or_(*(loose(column).contains(f'"{form}"', autoescape=True) for form in forms))
    return loose(column).in_(forms)


__all__ = ["DROPPED", "is_text_list", "loose", "loose_match", "loosen"]
