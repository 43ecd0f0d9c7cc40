"""Key lookups that find a value however the table happens to write it.

The engine asks a connector for the raw key values and their normal forms
(:func:`syncline.sync.links.lookup_keys`) and holds whatever comes back to the normal form
itself. A legacy table seldom stores keys in normal form: ``de 136.695.976`` for the VAT id
``DE136695976``, ``Info@Example.com`` for an e-mail, ``+49 30 1234-56`` for a phone number, or
an e-mail as one item of a JSON list. An exact comparison misses all of these, and a missed key
means a second copy of the record. So a value the exact (indexed) comparison does not find is
compared once more *loosely*: both sides case-folded (``MÜLLER`` is ``müller``, ``STRASSE`` is
``straße``, as in the engine's normal form of names), without white space of any kind (tabs,
no-break spaces), dots, dashes, slashes and brackets; for a list column, item by item, each
item as the database's JSON functions decode it (``"m\\u00fcller@x.de"`` is
``"müller@x.de"``). The loose comparison reads the whole table (no index can serve it);
``loose_lookup: false`` turns it off for large tables whose key columns hold normal forms.

The database must fold case exactly as :func:`loosen` does, or the row of a value written in
another case is not found. SQLite's ``lower()`` knows only A-Z, so each SQLite connection gets
:func:`loosen` itself as a SQL function (:func:`add_loosen_function`). PostgreSQL's
``lower()`` knows every script (in a database with a UTF-8 locale or ICU, not ``C``); the few
replacements that make it a case fold are read from Python's own Unicode tables. Other
databases compare with their own ``lower()``, and find an item of a list column only where its
JSON text writes it unescaped.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Annotated, Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Engine,
    LargeBinary,
    String,
    Text,
    case,
    cast,
    event,
    exists,
    func,
    literal,
    or_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import Function, FunctionElement

SPACES = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""White space of every kind, as :meth:`str.isspace` knows it: tabs, line breaks, no-break
spaces (U+00A0, U+202F), the typographic spaces of U+2000 to U+200A, the ideographic space."""

DROPPED = SPACES + ".-/()"
"""Characters a loose comparison ignores."""

_WITHOUT_DROPPED = str.maketrans("", "", DROPPED)
_SQLITE_LOOSEN = "syncline_loosen"


def loosen(value: str) -> str:
    """``value`` as the loose comparison sees it: case-folded, without :data:`DROPPED`."""
    return value.casefold().translate(_WITHOUT_DROPPED)


def loose(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The SQL expression of ``column`` as :func:`loosen` sees a value (on SQLite, for an
    engine given to :func:`add_loosen_function`)."""
    return _Loosened(column)


def loose_match(
    column: ColumnElement[Any], values: Sequence[Any], *, text_list: bool
) -> ColumnElement[bool] | None:
    """A condition finding rows whose ``column`` loosely equals one of ``values`` (holds one
    as an item, for a ``text_list``); None when no value has anything left to compare."""
    forms = sorted({form for v in values if isinstance(v, str) and (form := loosen(v))})
    if not forms:
        return None
    if text_list:
        return _HoldsItem(column, forms)
    return loose(column).in_(forms)


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


def add_loosen_function(engine: Engine) -> None:
    """Give each connection ``engine`` opens to SQLite the SQL function :func:`loose` calls
    there (connections open already are left without it); nothing for other databases."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function(_SQLITE_LOOSEN, 1, _loosen_sql, deterministic=True)


@lru_cache(maxsize=256)  # a table often holds one value many times
def _loosen_sql(value: object) -> str | None:
    if isinstance(value, bytes):  # an item of a JSON list: see _holds_item_on_sqlite()
        return loosen(value.decode("utf-8", "replace"))
    return None if value is None else loosen(str(value))


# -- loose() in each database's SQL -------------------------------------------------------------


class _Loosened(FunctionElement[str]):
    type = String()
    inherit_cache = True


@compiles(_Loosened, "sqlite")
def _loosened_on_sqlite(element: _Loosened, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(Function(_SQLITE_LOOSEN, *element.clauses), **kw)


@compiles(_Loosened, "postgresql")
def _loosened_on_postgresql(element: _Loosened, compiler: SQLCompiler, **kw: Any) -> str:
    # SQL text, not nested func.replace(): the compiler would recurse once per replacement
    def call(name: str, sql: str, *texts: str) -> str:
        args = ", ".join(compiler.render_literal_value(t, String()) for t in texts)
        return f"{name}({sql}, {args})"

    fold = _postgresql_fold()
    column = compiler.process(element.clauses, **kw)
    common = column
    for char, folded in fold.before_lower:
        common = call("replace", common, char, folded)
    common = f"lower({common})"
    for char, folded in _COMMON_FOLDS.items():
        common = call("replace", common, char, folded)
    rare = common
    for char, folded in fold.rare_several:
        rare = call("replace", rare, char, folded)
    rare = call("translate", rare, fold.rare_single_from, fold.rare_single_to)
    letters = compiler.render_literal_value(f"[{fold.rare_letters}]", String())
    # each value takes the cheapest branch that folds it: ASCII text, text with a rare letter
    sql = (
        f"(CASE WHEN octet_length({column}) = char_length({column}) THEN lower({column})"
        f" WHEN {column} ~ {letters} THEN {rare} ELSE {common} END)"
    )
    return call("translate", sql, DROPPED, "")


@compiles(_Loosened)
def _loosened_elsewhere(element: _Loosened, compiler: SQLCompiler, **kw: Any) -> str:
    # the database's lower(), which may fold fewer letters than Python's casefold()
    text: ColumnElement[Any] = func.lower(*element.clauses)
    for char in DROPPED:
        text = func.replace(text, char, "")
    return compiler.process(text, **kw)


_COMMON_FOLDS = {"ß": "ss", "ς": "σ"}
"""Lower-case letters folding to others that German and Greek text holds often: PostgreSQL
folds these in every value, the rarer ones only in values holding one."""


class _PostgresqlFold(typing.NamedTuple):
    """What turns PostgreSQL's lower() into Python's casefold(), beside ``_COMMON_FOLDS``."""

    before_lower: list[tuple[str, str]]
    """Letters whose lower case is two letters (``İ``), which lower() may make one."""
    rare_several: list[tuple[str, str]]
    """Lower-case letters folding to several (``ﬁ`` -> ``fi``)."""
    rare_single_from: str
    """Lower-case letters folding to one other (``ſ`` -> ``s``), as translate() takes them ..."""
    rare_single_to: str
    """... and what they fold to."""
    rare_letters: str
    """The letters lower() makes one of the two kinds above (``ﬁ``, ``Ꭰ``)."""


@cache
def _postgresql_fold() -> _PostgresqlFold:
    """Read from Python's Unicode tables once (in a quarter of a second)."""
    before: list[tuple[str, str]] = []
    several: list[tuple[str, str]] = []
    single: dict[str, str] = {}
    for char in map(chr, range(sys.maxunicode + 1)):
        folded = char.casefold()
        if folded == char or char in _COMMON_FOLDS:
            continue
        lower = char.lower()
        if len(lower) > 1:
            before.append((char, folded))
        elif lower == char and len(folded) > 1:
            several.append((char, folded))
        elif lower == char:
            single[char] = folded
    rare = {char for char, _ in several} | set(single)
    letters = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.lower() in rare)
    return _PostgresqlFold(before, several, "".join(single), "".join(single.values()), letters)


class _HoldsItem(FunctionElement[bool]):
    """Whether the JSON list in a text column holds a text item whose loose form is one of
    ``forms``."""

    type = Boolean()
    inherit_cache = False  # the forms are not among its clauses

    def __init__(self, column: ColumnElement[Any], forms: list[str]) -> None:
        super().__init__(column)
        self.forms = forms


@compiles(_HoldsItem, "sqlite")
def _holds_item_on_sqlite(element: _HoldsItem, compiler: SQLCompiler, **kw: Any) -> str:
    # json_each() decodes each item ("m\u00fcller" is "müller"); as bytes, since an escaped
    # lone surrogate ("\ud83d") decodes to text the sqlite3 module cannot read (nor match)
    column = element.clauses.clauses[0]
    array = case((func.json_type(column) == "array", column))
    items = func.json_each(case((func.json_valid(column) == 1, array))).table_valued(
        "value", "type"
    )
    holds = exists().select_from(items)
    holds = holds.where(items.c.type == "text")
    holds = holds.where(loose(cast(items.c.value, LargeBinary)).in_(element.forms))
    return compiler.process(holds, **kw)


@compiles(_HoldsItem, "postgresql")
def _holds_item_on_postgresql(element: _HoldsItem, compiler: SQLCompiler, **kw: Any) -> str:
    # a jsonb cast decodes each item ("m\u00fcller" is "müller"), but fails the whole query
    # on one row that is no JSON: only text that _JSON_LIST describes is cast
    text = cast(element.clauses.clauses[0], Text)
    array = case((text.regexp_match(_JSON_LIST), cast(text, JSONB)))
    items = func.jsonb_array_elements(array).table_valued("value")
    item_text = items.c.value.op("#>>", return_type=Text)(cast(literal("{}"), ARRAY(Text)))
    holds = exists().select_from(items)
    holds = holds.where(func.jsonb_typeof(items.c.value) == "string")
    holds = holds.where(loose(item_text).in_(element.forms))
    return compiler.process(holds, **kw)


@compiles(_HoldsItem)
def _holds_item(element: _HoldsItem, compiler: SQLCompiler, **kw: Any) -> str:
    # '["Info@Example.com"]' loosened is '["info@examplecom"]': the item, quoted
    loosened = loose(*element.clauses)
    items = [loosened.contains(f'"{form}"', autoescape=True) for form in element.forms]
    return compiler.process(or_(*items), **kw)


def _json_list_pattern() -> str:
    r"""A PostgreSQL regular expression matching JSON text of a list of texts, numbers,
    booleans and nulls that a jsonb cast accepts (it refuses ``\u0000`` and lone surrogates)."""
    space = r"[ \t\n\r]*"
    escape = (
        r'\\["\\/bfnrt]'
        r"|\\u(?![dD][89a-fA-F]|0000)[0-9a-fA-F]{4}"  # any but NUL and surrogates
        r"|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair
    )
    text = rf'"(?:[^"\\\x01-\x1f]|{escape})*"'
    number = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    item = f"(?:{text}|{number}|true|false|null)"
    return rf"^{space}\[{space}(?:{item}(?:{space},{space}{item})*)?{space}\]{space}$"


_JSON_LIST = _json_list_pattern()


__all__ = [
    "DROPPED",
    "SPACES",
    "add_loosen_function",
    "is_text_list",
    "loose",
    "loose_match",
    "loosen",
]
