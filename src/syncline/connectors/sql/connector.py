"""A database table as a system: rows read as canonical records (:mod:`.table`), records
written as rows (:mod:`.writes`).

Writes set ``modified_column`` to the current UTC time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError

from syncline.connectors.base import (
    ChangeBatch,
    Cursor,
    Health,
    NativeRecord,
    PermanentError,
    chunked,
)
from syncline.connectors.sql.errors import read_failure
from syncline.connectors.sql.lookup import loose_match, loosen
from syncline.connectors.sql.settings import SqlSettings
from syncline.connectors.sql.writes import TableWrites


class SqlConnector(TableWrites):
    """The connector for one table; see :class:`SqlSettings` for the configuration."""

    # -- reading --------------------------------------------------------------------------------

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        """Rows changed strictly after ``since``, oldest first, deleted ones as tombstones."""
        self._check_entity(entity)
        column = self.settings.modified_column
        if column is None:
            raise PermanentError(
                f"{self.settings.table} has no modified_column: use scan capture",
                system=self.system,
            )
        modified = self.table.c[column]
        query = select(self.table).order_by(modified, self.key).limit(limit)
        if since is not None:
            at = self._time_param(since.modified_at)
            if since.native_id:
                # ``modified >= at`` first: a range on the modified index, where a bare OR
                # scans the whole index (the cost of a quiet cycle would grow with the table)
                query = query.where(
                    modified >= at,
                    or_(modified > at, self.key > self._native_key(since.native_id)),
                )
            else:
                query = query.where(modified > at)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None
        records = self._records(rows)
        next_cursor = records[-1].cursor() if records else since
        return ChangeBatch(records, next_cursor, has_more=len(records) == limit)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        """Current state of the given rows, in the order asked; missing and deleted omitted."""
        self._check_entity(entity)
        found: dict[str, NativeRecord] = {}
        try:
            with self.engine.connect() as conn:
                for part in chunked(list(native_ids), 500):
                    keys = [self._native_key(i) for i in part]
                    query = select(self.table).where(self.key.in_(keys), self._alive())
                    for record in self._records(conn.execute(query).all()):
                        found[record.native_id] = record
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None
        return [found[i] for i in dict.fromkeys(native_ids) if i in found]

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """Live rows whose ``field`` equals one of ``values`` (deterministic-key matching),
        exactly or, for a value not found so, loosely (:mod:`.lookup`); with
        ``include_deleted``, soft-deleted rows too, as tombstones that keep their values."""
        self._check_entity(entity)
        column_name = self.settings.columns.get(field)
        text_list = field in self._text_lists
        if column_name is None or not values or (field in self._complex and not text_list):
            return []
        column = self.table.c[column_name]
        rows: dict[Any, Row[Any]] = {}
        try:
            with self.engine.connect() as conn:
                missing = list(values)
                if not text_list:  # exactly first: the column's index serves it
                    for part in chunked(missing, 500):
                        self._select_into(rows, conn, column.in_(list(part)), include_deleted)
                    at = self.table.c.keys().index(column_name)
                    seen = {loosen(str(row[at])) for row in rows.values()}
                    missing = [v for v in missing if loosen(str(v)) not in seen]
                if missing and self.settings.loose_lookup:
                    for part in chunked(missing, 50):
                        condition = loose_match(column, part, text_list=text_list)
                        if condition is not None:
                            self._select_into(rows, conn, condition, include_deleted)
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None
        return self._records(list(rows.values()), with_values=True)

    def _select_into(
        self,
        rows: dict[Any, Row[Any]],
        conn: Connection,
        condition: ColumnElement[bool],
        include_deleted: bool,
    ) -> None:
        """Add the rows meeting ``condition`` (alive, unless ``include_deleted``), by key."""
        query = select(self.table).where(condition)
        if not include_deleted:
            query = query.where(self._alive())
        for row in conn.execute(query).all():
            rows[row[self._key_at]] = row

    def marks_origin(self, entity: str) -> bool:
        """Whether ``origin_column`` is set: a row keeps there the key of the create or update
        that last wrote it."""
        return entity == self.entity and self.settings.origin_column is not None

    def origins(self, entity: str, native_ids: Sequence[str]) -> dict[str, str | None]:
        """The ``origin_column`` of each existing row of ``native_ids`` (soft-deleted ones
        too); none without ``origin_column``."""
        self._check_entity(entity)
        if self.settings.origin_column is None:
            return {}
        column = self.table.c[self.settings.origin_column]
        found: dict[str, str | None] = {}
        try:
            with self.engine.connect() as conn:
                for part in chunked(list(native_ids), 500):
                    keys = [self._native_key(i) for i in part]
                    query = select(self.key, column).where(self.key.in_(keys))
                    found.update((str(key), origin) for key, origin in conn.execute(query))
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None
        return found

    def by_origin(self, entity: str, origins: Sequence[str]) -> list[NativeRecord]:
        """Rows last written under one of ``origins`` (soft-deleted ones as tombstones holding
        their values); none without ``origin_column``."""
        self._check_entity(entity)
        if self.settings.origin_column is None or not origins:
            return []
        column = self.table.c[self.settings.origin_column]
        rows: dict[Any, Row[Any]] = {}
        try:
            with self.engine.connect() as conn:
                for part in chunked(list(origins), 500):
                    self._select_into(rows, conn, column.in_(list(part)), include_deleted=True)
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None
        return self._records(list(rows.values()), with_values=True)

    def list_ids(self, entity: str) -> list[str]:
        """Every live id (archived rows included, soft-deleted rows not)."""
        self._check_entity(entity)
        try:
            with self.engine.connect() as conn:
                query = select(self.key).where(self._alive()).order_by(self.key)
                return [str(k) for k in conn.execute(query).scalars()]
        except SQLAlchemyError as exc:
            raise read_failure(self.system, self.settings.table, exc) from None

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        """All live rows in pages of ``read_batch_size``, by key (keyset paging)."""
        self._check_entity(entity)
        last: Any = None
        while True:
            query = select(self.table).where(self._alive()).order_by(self.key)
            if last is not None:
                query = query.where(self.key > last)
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(query.limit(self.settings.read_batch_size)).all()
            except SQLAlchemyError as exc:
                raise read_failure(self.system, self.settings.table, exc) from None
            if not rows:
                return
            last = rows[-1][self._key_at]
            yield self._records(rows)

    # -- the rest -------------------------------------------------------------------------------

    def health(self) -> Health:
        """``SELECT 1`` against the database; never raises."""
        started = datetime.now(UTC)
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return Health(ok=False, detail=str(exc).splitlines()[0])
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        detail = ""
        origin = self.settings.origin_column
        if origin and not any(
            list(i.columns)[:1] == [self.table.c[origin]] for i in self.table.indexes
        ):
            detail = (
                f"note: origin_column {origin} of {self.settings.table} has no index, so each "
                "recovery lookup by it reads the whole table; add one"
            )
        return Health(ok=True, detail=detail, latency_ms=elapsed, version=self.engine.dialect.name)

    def close(self) -> None:
        self.engine.dispose()


def connect(system: str, settings: SqlSettings) -> SqlConnector:
    """Build the connector for ``system`` from its validated settings."""
    return SqlConnector(system, settings)


__all__ = ["SqlConnector", "connect"]
