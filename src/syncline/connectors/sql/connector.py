"""A database table as a system: rows read as canonical records (:mod:`.table`), records
written as rows.

Writes set ``modified_column`` to the current UTC time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from syncline.connectors.base import (
    ChangeBatch,
    Cursor,
    Health,
    NativeRecord,
    PermanentError,
    WriteOp,
    WriteRequest,
    WriteResult,
    chunked,
)
from syncline.connectors.sql.lookup import loose_match, loosen
from syncline.connectors.sql.settings import SqlSettings
from syncline.connectors.sql.table import TableRows
from syncline.model import CanonicalEntity
from syncline.store.bulk import insert_rows


class SqlConnector(TableRows):
    """The connector for one table; see :class:`SqlSettings` for the configuration."""

    checks_versions_on_write = True  # an update with a stale expected version is refused

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
            raise self._transient(exc) from None
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
            raise self._transient(exc) from None
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
            raise self._transient(exc) from None
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
            raise self._transient(exc) from None
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
            raise self._transient(exc) from None
        return self._records(list(rows.values()), with_values=True)

    def list_ids(self, entity: str) -> list[str]:
        """Every live id (archived rows included, soft-deleted rows not)."""
        self._check_entity(entity)
        try:
            with self.engine.connect() as conn:
                query = select(self.key).where(self._alive()).order_by(self.key)
                return [str(k) for k in conn.execute(query).scalars()]
        except SQLAlchemyError as exc:
            raise self._transient(exc) from None

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
                raise self._transient(exc) from None
            if not rows:
                return
            last = rows[-1][self._key_at]
            yield self._records(rows)

    # -- writing --------------------------------------------------------------------------------

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch in one transaction; on a rejected row, each request on its own."""
        self._check_entity(entity)
        if not requests:
            return []
        try:
            with self.engine.begin() as conn:
                return self._apply(conn, requests)
        except IntegrityError:
            pass  # one row was rejected: find which, writing the others one by one
        except OperationalError as exc:
            raise self._transient(exc) from None
        results: list[WriteResult] = []
        for request in requests:
            try:
                with self.engine.begin() as conn:
                    results.extend(self._apply(conn, [request]))
            except IntegrityError as exc:
                message = str(exc.orig).strip().splitlines()[0]
                results.append(
                    WriteResult(
                        request,
                        error=PermanentError(
                            f"{self.settings.table} rejected the row: {message}",
                            system=self.system,
                            remote_message=message,
                        ),
                    )
                )
            except OperationalError as exc:
                raise self._transient(exc) from None
        return results

    def _apply(self, conn: Connection, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        if all(r.op == WriteOp.CREATE for r in requests):  # a batch of creates (a load)
            created = self._create(conn, list(requests))
            return [
                WriteResult(request, native_id=native_id, version=version)
                for request, (native_id, version) in zip(requests, created, strict=True)
            ]
        results: dict[int, WriteResult] = {}
        creates = [(i, r) for i, r in enumerate(requests) if r.op == WriteOp.CREATE]
        if creates:
            for (i, request), (native_id, version) in zip(
                creates, self._create(conn, [r for _, r in creates]), strict=True
            ):
                results[i] = WriteResult(request, native_id=native_id, version=version)
        others = [(i, r) for i, r in enumerate(requests) if r.op != WriteOp.CREATE]
        if others:
            ids = [str(r.native_id) for _, r in others]
            current = self._current(conn, ids)
            run: list[tuple[int, WriteRequest, dict[str, Any]]] = []  # updates, in order
            for i, request in others:
                if request.op == WriteOp.DELETE:
                    self._update_rows(conn, run, results)
                change = self._change(conn, request, current.get(str(request.native_id)))
                if isinstance(change, WriteResult):
                    results[i] = change
                    continue
                if run and list(run[0][2]) != list(change):
                    self._update_rows(conn, run, results)
                run.append((i, request, change))
            self._update_rows(conn, run, results)
        return [results[i] for i in range(len(requests))]

    def _update_rows(
        self,
        conn: Connection,
        run: list[tuple[int, WriteRequest, dict[str, Any]]],
        results: dict[int, WriteResult],
    ) -> None:
        """Apply consecutive updates of the same columns in one statement, then read back
        the new versions; empties ``run``."""
        if not run:
            return
        columns = list(run[0][2])
        statement = (
            update(self.table)
            .where(self.key == bindparam("k"))
            .values({c: bindparam(f"v{n}") for n, c in enumerate(columns)})
        )
        rows = [
            {"k": self._native_key(str(request.native_id))}
            | {f"v{n}": values[c] for n, c in enumerate(columns)}
            for _, request, values in run
        ]
        conn.execute(statement, rows)
        after = self._current(conn, [str(request.native_id) for _, request, _ in run])
        for i, request, _ in run:
            native_id = str(request.native_id)
            row = after.get(native_id)
            version = self._version(self._stored(row)) if row is not None else None
            results[i] = WriteResult(request, native_id=native_id, version=version)
        run.clear()

    def _create(self, conn: Connection, requests: list[WriteRequest]) -> list[tuple[str, str]]:
        """Insert a row per request; returns each row's key and version, in order."""
        mapped = []
        for request in requests:
            if request.data is None:
                raise PermanentError("a create needs data", system=self.system)
            mapped.append(self._values(request.data))
        # the same stamp and flag for every row of the batch
        fixed: dict[str, Any] = {}
        if self.settings.modified_column:
            fixed[self.settings.modified_column] = self._now()
        if self.settings.deleted_column:
            fixed[self.settings.deleted_column] = False
        origin = self.settings.origin_column  # each row's own: its create's idempotency key
        if conn.dialect.name == "sqlite" and self._int_key and self.settings.key_kind == "auto":
            # SQLite cannot order RETURNING rows (SQLAlchemy would insert row by row). The one
            # writer inside its transaction, it gives the rows of one executemany consecutive
            # keys after the largest: the last key counts them back, and one range read gets
            # the rows as stored (their versions).
            # one driver executemany of tuples; a mapped column also stamped takes the stamp
            keep = [i for i, column in enumerate(self._mapped) if column not in fixed]
            columns = [*(self._mapped[i] for i in keep), *fixed]
            shared = tuple(fixed.values())
            tuples = [(*(v[i] for i in keep), *shared) for v in mapped]
            if origin:
                columns.append(origin)
                tuples = [(*t, r.idempotency_key) for t, r in zip(tuples, requests, strict=True)]
            insert_rows(conn, self.table, columns, tuples)
            last = int(conn.execute(text("SELECT last_insert_rowid()")).scalar_one())
            first = last - len(mapped) + 1
            query = select(self.key, *(self.table.c[c] for c in self._mapped))
            query = query.where(self.key >= first, self.key <= last).order_by(self.key)
            stored = conn.execute(query).all()
            return [(str(row[0]), self._version(tuple(row[1:]))) for row in stored]
        key = self.settings.key_column
        rows = [dict(zip(self._mapped, values, strict=True)) | fixed for values in mapped]
        if origin:
            for row, request in zip(rows, requests, strict=True):
                row[origin] = request.idempotency_key
        if self.settings.key_kind == "uuid":
            for row in rows:
                row[key] = str(uuid.uuid4())
        if conn.dialect.name == "sqlite" and self.settings.key_kind == "uuid":
            # uuid keys are ours: each row finds its request again
            returned = conn.execute(insert(self.table).returning(*self.table.c), rows)
            by_key = {str(r[self._key_at]): r for r in returned}
            stored = [by_key[str(row[key])] for row in rows]
        else:
            statement = insert(self.table).returning(*self.table.c, sort_by_parameter_order=True)
            stored = list(conn.execute(statement, rows))
        return [(str(row[self._key_at]), self._version(self._stored(row))) for row in stored]

    def _current(self, conn: Connection, ids: list[str]) -> dict[str, Row[Any]]:
        found: dict[str, Row[Any]] = {}
        for part in chunked(ids, 500):
            keys = [self._native_key(i) for i in part]
            query = select(self.table).where(self.key.in_(keys), self._alive())
            for row in conn.execute(query).all():
                found[str(row[self._key_at])] = row
        return found

    def _change(
        self, conn: Connection, request: WriteRequest, row: Row[Any] | None
    ) -> WriteResult | dict[str, Any]:
        """Apply a delete, or check an update or archive: its outcome, or the columns to set."""
        native_id = str(request.native_id)
        if request.op == WriteOp.DELETE:
            where = self.key == self._native_key(native_id)
            if row is not None:
                if self.settings.deleted_column:
                    values: dict[str, Any] = {self.settings.deleted_column: True}
                    if self.settings.modified_column:
                        values[self.settings.modified_column] = self._now()
                    conn.execute(update(self.table).where(where).values(values))
                else:
                    conn.execute(delete(self.table).where(where))
            return WriteResult(request, native_id=native_id, version=None)
        if row is None:
            if request.expected_version is not None:
                return WriteResult(request, version_conflict=True)
            return WriteResult(
                request,
                error=PermanentError(
                    f"{self.entity} {native_id} does not exist in {self.settings.table}",
                    system=self.system,
                    remote_message="record not found",
                ),
            )
        expected = request.expected_version
        if expected is not None and self._version(self._stored(row)) != expected:
            return WriteResult(request, version_conflict=True)
        if request.op == WriteOp.ARCHIVE:
            before = self._records([row])[0].data
            assert before is not None
            data: CanonicalEntity = before.model_copy(update={"active": False})
            fields: frozenset[str] | None = frozenset({"active"})
        else:
            if request.data is None:
                raise PermanentError("an update needs data", system=self.system)
            data, fields = request.data, request.fields
        columns = self._columns(data, fields)
        if self.settings.origin_column:  # the origin of what the row now holds: this write
            columns[self.settings.origin_column] = request.idempotency_key
        return columns

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
