"""Many-row inserts on the store's hot paths (an initial load writes millions of rows).

SQLAlchemy's ``execute(insert(table), rows)`` builds and converts a parameter dict per row,
which costs more than SQLite's own work for a narrow row. Here the statement is compiled once
per table, columns and dialect, the rows are tuples whose values the columns' own bind
processors convert (so values are stored exactly as through SQLAlchemy; a value that rows share
one after the other, such as a batch's time stamp, once), and the driver's ``executemany``
inserts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

Processor = Callable[[Any], Any]


class _Compiled(NamedTuple):
    """An insert's SQL text; the bind processor of each column that has one, by index; for
    a positional driver whose order is not the columns' own, the row indices in its order;
    whether the driver takes named parameters instead."""

    sql: str
    steps: list[tuple[int, Processor]]
    order: list[int] | None
    named: bool


_NOTHING = object()
_compiled: dict[tuple[str, Table, tuple[str, ...], tuple[str, ...]], _Compiled] = {}
"""By table object, not name: two systems' tables of one name may type a column differently
(their bind processors differ)."""


def _insert(
    dialect: str, table: Table, columns: tuple[str, ...], replace_on: tuple[str, ...]
) -> Any:
    values: dict[str, Any] = {c: bindparam(c) for c in columns}
    if not replace_on:
        return insert(table).values(values)
    upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table).values(values)
    return upsert.on_conflict_do_update(
        index_elements=list(replace_on),
        set_={c: upsert.excluded[c] for c in columns if c not in replace_on},
    )


def _statement(
    conn: Connection, table: Table, columns: tuple[str, ...], replace_on: tuple[str, ...]
) -> _Compiled:
    """The insert of ``columns`` into ``table`` for the connection's dialect, compiled once."""
    dialect = conn.dialect
    key = (dialect.name, table, columns, replace_on)
    if key not in _compiled:
        statement = _insert(dialect.name, table, columns, replace_on)
        compiled = statement.compile(dialect=dialect)
        processors = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]
        steps: list[tuple[int, Processor]] = [
            (i, p) for i, p in enumerate(processors) if p is not None
        ]
        order = [columns.index(n) for n in compiled.positiontup or []]
        positional = bool(compiled.positional)
        identity = not positional or order == list(range(len(columns)))
        _compiled[key] = _Compiled(
            compiled.string, steps, None if identity else order, not positional
        )
    return _compiled[key]


def _converted(process: Processor, values: Iterable[Any]) -> list[Any]:
    """``process`` of each value; a value repeating the one before (a batch's time stamp, a
    null) is converted once."""
    result = []
    before, after = _NOTHING, None
    for value in values:
        if value is not before:
            before, after = value, process(value)
        result.append(after)
    return result


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    replace_on: Sequence[str] = (),
) -> int:
    """Insert ``rows`` (value tuples in ``columns`` order); returns how many. With
    ``replace_on`` (a unique key's columns), a row whose key exists replaces that row's other
    columns instead (an upsert, on SQLite and PostgreSQL alike)."""
    names = tuple(columns)
    statement = _statement(conn, table, names, tuple(replace_on))
    # column by column: zip turns rows into columns and back in C, and only the values of
    # columns with a bind processor pass through Python one by one
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    if not by_column:
        return 0
    if len(by_column) != len(names):
        raise ValueError(f"rows of {len(by_column)} values for {len(names)} columns")
    for index, process in statement.steps:
        by_column[index] = _converted(process, by_column[index])
    if statement.order is not None:
        by_column = [by_column[i] for i in statement.order]
    params: list[Any] = list(zip(*by_column, strict=True))
    if statement.named:
        params = [dict(zip(names, values, strict=True)) for values in params]
    conn.exec_driver_sql(statement.sql, params)
    return len(params)


def insert_dicts(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    replace_on: Sequence[str] = (),
) -> int:
    """:func:`insert_rows` for rows given as column dicts, all with the first one's columns."""
    if not rows:
        return 0
    columns = list(rows[0])
    values = ([row[c] for c in columns] for row in rows)
    return insert_rows(conn, table, columns, values, replace_on=replace_on)


def new_ids(conn: Connection, count: int) -> list[int]:
    """SQLite: the ids, in row order, of the ``count`` rows the connection's last insert made.

    SQLite cannot order RETURNING rows (SQLAlchemy would insert row by row), but the one writer
    inside its transaction gives the rows of one executemany consecutive ids after the largest:
    the last id counts them back."""
    last = int(conn.execute(text("SELECT last_insert_rowid()")).scalar_one())
    return list(range(last - count + 1, last + 1))


__all__ = ["insert_dicts", "insert_rows", "new_ids"]
