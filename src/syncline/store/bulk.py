"""Many-row inserts on the store's hot paths (an initial load writes millions of rows).

SQLAlchemy's ``execute(insert(table), rows)`` builds and converts a parameter dict per row,
which costs more than SQLite's own work for a narrow row. Here the statement is compiled once
per table, columns and dialect, each row is a tuple converted by the columns' own bind
processors (so values are stored exactly as through SQLAlchemy), and the driver's
``executemany`` inserts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

Processor = Callable[[Any], Any] | None

Compiled = tuple[str, list[Processor], list[str] | None]
_compiled: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Compiled] = {}


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
) -> Compiled:
    """The SQL text, each column's bind processor, and the names in positional order (None
    for a driver taking named parameters)."""
    dialect = conn.dialect
    key = (dialect.name, table.name, columns, replace_on)
    if key not in _compiled:
        statement = _insert(dialect.name, table, columns, replace_on)
        compiled = statement.compile(dialect=dialect)
        processors: list[Processor] = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]
        order = list(compiled.positiontup or []) if compiled.positional else None
        _compiled[key] = (compiled.string, processors, order)
    return _compiled[key]


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
    sql, processors, order = _statement(conn, table, names, tuple(replace_on))
    converted: list[Any] = []
    steps = list(enumerate(processors))
    for row in rows:
        values = list(row)
        for index, process in steps:
            if process is not None:
                values[index] = process(values[index])
        converted.append(values)
    if not converted:
        return 0
    if order is None:
        params: list[Any] = [dict(zip(names, v, strict=True)) for v in converted]
    elif order == list(names):
        params = [tuple(v) for v in converted]
    else:
        where = [names.index(n) for n in order]
        params = [tuple(v[i] for i in where) for v in converted]
    conn.exec_driver_sql(sql, params)
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
