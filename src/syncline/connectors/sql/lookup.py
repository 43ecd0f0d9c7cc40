"""Key lookups that find a value however the table happens to write it.

The engine asks a connector for the raw key values and their normal forms
(:func:`syncline.sync.links.lookup_keys`) and holds whatever comes back to the normal form
itself. A legacy table seldom stores keys in normal form: ``de 136.695.976`` for the VAT id
``DE136695976``, ``Info@Example.com`` for an e-mail, ``+49 30 1234-56`` for a phone number, or
an e-mail as one item of a JSON list. An exact comparison misses all of these, and a missed key
means a second copy of the record. So a value the exact (indexed) comparison does not find is
compared once more *loosely*: both sides case-folded (``MÜLLER`` is ``müller``, ``STRASSE`` is
``straße``, as in the engine's normal form of names), without spaces, dots, dashes, slashes
and brackets; for a list column, as one quoted item of its JSON text. The loose comparison
reads the whole table (no index can serve it); ``loose_lookup: false`` turns it off for large
tables whose key columns hold normal forms.

The database must fold case exactly as :func:`loosen` does, or the row of a value written in
another case is not found. SQLite's ``lower()`` knows only A-Z, so each SQLite connection gets
:func:`loosen` itself as a SQL function (:func:`add_loosen_function`). PostgreSQL's
``lower()`` knows every script (in a database with a UTF-8 locale or ICU, not ``C``); the few
replacements that make it a case fold are read from Python's own Unicode tables. Other
databases compare with their own ``lower()``.
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
    String,
    any_,
    event,
    func,
    literal,
    or_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import Function, FunctionElement

DROPPED = " .-/()"
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
        # '["Info@Example.com"]' loosened is '["info@examplecom"]': the item, quoted
        return _HoldsItem(column, [f'"{form}"' for form in forms])
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


@lru_cache(maxsize=256)  # a list lookup calls it once per item asked for, on the same value
def _loosen_sql(value: object) -> str | None:
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
    for char in DROPPED:
        sql = call("replace", sql, char, "")
    return sql


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
    """Whether the loosened JSON text of a list column holds one of ``items``."""

    type = Boolean()
    inherit_cache = False  # the items are written into the SQL, not bound

    def __init__(self, column: ColumnElement[Any], items: list[str]) -> None:
        super().__init__(column)
        self.items = items


@compiles(_HoldsItem)
def _holds_item(element: _HoldsItem, compiler: SQLCompiler, **kw: Any) -> str:
    loosened = loose(*element.clauses)
    items = [loosened.contains(item, autoescape=True) for item in element.items]
    return compiler.process(or_(*items), **kw)


@compiles(_HoldsItem, "postgresql")
def _holds_item_on_postgresql(element: _HoldsItem, compiler: SQLCompiler, **kw: Any) -> str:
    # one fold of each value for all items, where an OR of LIKEs folds it once per item; LIKE
    # ANY takes no ESCAPE clause, so the escape character is PostgreSQL's default, a backslash
    escaped = ["".join("\\" + ch if ch in "\\%_" else ch for ch in i) for i in element.items]
    patterns = literal([f"%{item}%" for item in escaped], ARRAY(String))
    return compiler.process(loose(*element.clauses).like(any_(patterns)), **kw)


__all__ = ["DROPPED", "add_loosen_function", "is_text_list", "loose", "loose_match", "loosen"]
