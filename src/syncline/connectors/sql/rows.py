"""Rows of a table in and out: JSON text, change times, values picked by position, and many
rows inserted at once."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection, Dialect, Row


def from_json(text: str) -> Any:
    """The value of JSON ``text``; other text as it is (the model names it invalid)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def utc(value: Any) -> datetime | None:
    """A change time (a datetime or ISO text) as an aware UTC datetime; naive means UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"modified column holds {type(value).__name__}, not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def picker(positions: Sequence[int]) -> Callable[[Row[Any]], tuple[Any, ...]]:
    """A function taking the values at ``positions`` of a row, as a tuple."""
    if len(positions) > 1:
        pick: Callable[[Row[Any]], tuple[Any, ...]] = operator.itemgetter(*positions)
        return pick
    return lambda row: tuple(row[i] for i in positions)


class BatchInsert:
    """An INSERT of ``columns`` (each row's own values) and ``fixed`` (one value for every
    row), compiled once: the driver's executemany takes the rows as tuples, each value
    converted by its column's bind processor as SQLAlchemy would, but without SQLAlchemy's
    parameter dict per row (more work than SQLite's insert itself)."""

    def __init__(
        self, table: Table, columns: Sequence[str], fixed: Sequence[str], dialect: Dialect
    ) -> None:
        names = [*columns, *fixed]
        last = {name: i for i, name in enumerate(names)}  # a column given twice: its last value
        compiled = insert(table).values({c: bindparam(c) for c in last}).compile(dialect=dialect)
        if not compiled.positional:
            raise ValueError(f"{dialect.name} takes named parameters")
        self.sql = compiled.string
        order = [last[name] for name in compiled.positiontup or []]
        self.order = None if order == list(range(len(names))) else order
        processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in names]
        self.processors = [(i, p) for i, p in enumerate(processors[: len(columns)]) if p]
        self.fixed_processors = processors[len(columns) :]

    def run(self, conn: Connection, rows: Sequence[Sequence[Any]], fixed: Sequence[Any]) -> None:
        """Insert ``rows`` (values in ``columns`` order), each with the ``fixed`` values."""
        if not rows:
            return
        # column by column: zip turns rows into columns and back in C
        by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, process in self.processors:
            by_column[i] = [process(value) for value in by_column[i]]
        for convert, value in zip(self.fixed_processors, fixed, strict=True):
            by_column.append([convert(value) if convert else value] * len(rows))
        if self.order is not None:
            by_column = [by_column[i] for i in self.order]
        conn.exec_driver_sql(self.sql, list(zip(*by_column, strict=True)))


__all__ = ["BatchInsert", "from_json", "picker", "utc"]
