"""Many-row inserts on the store's hot paths (an initial load writes millions of rows).

SQLAlchemy's ``execute(insert(table), rows)`` builds and converts a parameter dict per row,
which costs more than SQLite's own work for a narrow row. Here the statement is compiled once
per table, columns and dialect, each row is a tuple converted by the columns' own bind
processors (so values are stored exactly as through SQLAlchemy), and the driver's
``executemany`` inserts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.engine import Connection

Processor = Callable[[Any], Any] | None

Compiled = tuple[str, list[Processor], list[str] | None]
_compiled: dict[tuple[str, str, tuple[str, ...]], Compiled] = {}


def _statement(conn: Connection, table: Table, columns: tuple[str, ...]) -> Compiled:
    """The SQL text, each column's bind processor, and the names in positional order (None
    for a driver taking named parameters)."""
    dialect = conn.dialect
    key = (dialect.name, table.name, columns)
    if key not in _compiled:
        statement = insert(table).values({c: bindparam(c) for c in columns})
        compiled = statement.compile(dialect=dialect)
        processors: list[Processor] = [
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns
        ]
        order = list(compiled.positiontup or []) if compiled.positional else None
        _compiled[key] = (compiled.string, processors, order)
    return _compiled[key]


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (value tuples in ``columns`` order); returns how many."""
    names = tuple(columns)
    sql, processors, order = _statement(conn, table, names)
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


def last_row_id(conn: Connection) -> int:
    """SQLite: the rowid of the last row this connection inserted."""
    return int(conn.execute(text("SELECT last_insert_rowid()")).scalar_one())


__all__ = ["insert_rows", "last_row_id"]
