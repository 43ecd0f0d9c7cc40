"""A database table as a system: rows in, canonical records out, and back.

The native version of a row is a hash of its mapped values, so optimistic re-reads work on any
table without a version column. Writes set ``modified_column`` to the current UTC time.
"""

from __future__ import annotations

import contextlib
import hashlib
import types
import typing
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    create_engine,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from syncline.connectors.base import (
    Capabilities,
    Capture,
    ChangeBatch,
    Cursor,
    EntitySupport,
    Health,
    NativeRecord,
    PermanentError,
    TransientError,
    WriteOp,
    WriteRequest,
    WriteResult,
    chunked,
)
from syncline.connectors.sql.settings import SqlSettings
from syncline.model import CanonicalEntity, EntityValidationError, entity_type


def _is_complex(annotation: Any) -> bool:
    """Whether a field's values are lists, dicts or models (stored as JSON text)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_complex(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin in (list, dict, tuple, set):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel | list | dict)


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"modified column holds {type(value).__name__}, not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlConnector:
    """The connector for one table; see :class:`SqlSettings` for the configuration."""

    checks_versions_on_write = True  # an update with a stale expected version is refused

    def __init__(self, system: str, settings: SqlSettings, engine: Engine | None = None) -> None:
        self.system = system
        self.settings = settings
        self.entity = settings.entity
        self.model = entity_type(settings.entity)
        unknown = sorted(set(settings.columns) - set(self.model.model_fields))
        if unknown:
            raise PermanentError(
                f"columns maps unknown {settings.entity} fields: {', '.join(unknown)}",
                system=system,
            )
        self._complex = {
            f for f in settings.columns if _is_complex(self.model.model_fields[f].annotation)
        }
        self._mapped = tuple(settings.columns.values())
        if engine is None:
            if settings.url.startswith("sqlite") and ":memory:" in settings.url:
                engine = create_engine(
                    settings.url,
                    poolclass=StaticPool,
                    connect_args={"check_same_thread": False},
                )
            else:
                engine = create_engine(settings.url)
        self.engine = engine
        try:
            self.table = Table(settings.table, MetaData(), autoload_with=engine)
        except SQLAlchemyError as exc:
            raise TransientError(
                f"cannot read table {settings.table!r}: {exc.__class__.__name__}: {exc}",
                system=system,
            ) from None
        needed = [settings.key_column, *settings.columns.values()]
        needed += [c for c in (settings.modified_column, settings.deleted_column) if c]
        missing = [c for c in needed if c not in self.table.c]
        if missing:
            raise PermanentError(
                f"table {settings.table!r} has no column(s) {', '.join(missing)}", system=system
            )
        self.key: Column[Any] = self.table.c[settings.key_column]
        self.finds_deleted_by_key = settings.deleted_column is not None  # soft deletes are kept
        self._int_key = isinstance(self.key.type, Integer)
        self._naive_time = False
        if settings.modified_column:
            col_type = self.table.c[settings.modified_column].type
            self._naive_time = not getattr(col_type, "timezone", False)
        # a table can always be listed: a cursor finds changes, a periodic scan hard deletes
        capture = {Capture.CURSOR, Capture.SCAN} if settings.modified_column else {Capture.SCAN}
        writable = {WriteOp.CREATE, WriteOp.UPDATE, WriteOp.DELETE}
        if "active" in settings.columns:
            writable.add(WriteOp.ARCHIVE)
        self.capabilities = Capabilities(
            entities=(EntitySupport(self.entity, frozenset(capture), frozenset(writable)),),
            read_batch_size=settings.read_batch_size,
            write_batch_size=settings.write_batch_size,
        )

    # -- conversion -----------------------------------------------------------------------------

    def _native_key(self, native_id: str) -> Any:
        if self._int_key:
            try:
                return int(native_id)
            except ValueError:
                return -1  # never matches a row
        return native_id

    def _time_param(self, value: datetime) -> datetime:
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if self._naive_time else value

    def _now(self) -> datetime:
        return self._time_param(datetime.now(UTC))

    def _version(self, row: RowMapping) -> str:
        """A row's version: a hash of its mapped columns as stored (cheaper than parsing)."""
        stored = repr(tuple(row[c] for c in self._mapped))
        return hashlib.sha256(stored.encode("utf-8")).hexdigest()[:32]

    def _deleted(self, row: RowMapping) -> bool:
        column = self.settings.deleted_column
        return bool(column and row[column])

    def _record(self, row: RowMapping, *, with_values: bool = False) -> NativeRecord:
        native_id = str(row[self.settings.key_column])
        modified = (
            _utc(row[self.settings.modified_column]) if self.settings.modified_column else None
        )
        deleted = self._deleted(row)
        if deleted and not with_values:
            return NativeRecord(self.entity, native_id, None, None, modified, deleted=True)
        values: dict[str, Any] = {}
        for field, column in self.settings.columns.items():
            value = row[column]
            if field in self._complex and isinstance(value, str):
                with contextlib.suppress(orjson.JSONDecodeError):  # else invalid, named below
                    value = orjson.loads(value)
            if value is not None:
                values[field] = value
        try:
            data = self.model.parse(values)
        except EntityValidationError as exc:
            raise PermanentError(
                f"row {native_id} of {self.settings.table} is not a valid {self.entity}: {exc}",
                system=self.system,
                remote_message=str(exc),
            ) from None
        return NativeRecord(self.entity, native_id, data, self._version(row), modified, deleted)

    def _columns(
        self, data: CanonicalEntity, fields: frozenset[str] | None, now: datetime | None = None
    ) -> dict[str, Any]:
        """The row values for ``data`` (only ``fields``, when given); ``now`` stamps the
        modified column (one stamp for a whole batch)."""
        values = data.canonical_values()
        row: dict[str, Any] = {}
        for field, column in self.settings.columns.items():
            if fields is not None and field not in fields:
                continue
            value = values.get(field)
            if field in self._complex and value is not None:
                value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
            row[column] = value
        if self.settings.modified_column:
            row[self.settings.modified_column] = now or self._now()
        return row

    def _check_entity(self, entity: str) -> None:
        if entity != self.entity:
            raise PermanentError(
                f"table {self.settings.table} holds {self.entity} records, not {entity}",
                system=self.system,
            )

    def _transient(self, exc: SQLAlchemyError) -> TransientError:
        return TransientError(
            f"{exc.__class__.__name__}: {exc}".splitlines()[0], system=self.system
        )

    def _alive(self) -> Any:
        if self.settings.deleted_column:
            column = self.table.c[self.settings.deleted_column]
            return or_(column.is_(None), column == False)  # noqa: E712 - SQL comparison
        return text("1=1")

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
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as exc:
            raise self._transient(exc) from None
        records = [self._record(r) for r in rows]
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
                    for row in conn.execute(query).mappings().all():
                        record = self._record(row)
                        found[record.native_id] = record
        except SQLAlchemyError as exc:
            raise self._transient(exc) from None
        return [found[i] for i in dict.fromkeys(native_ids) if i in found]

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """Live rows whose ``field`` equals one of ``values`` (deterministic-key matching);
        with ``include_deleted``, soft-deleted rows too, as tombstones that keep their values."""
        self._check_entity(entity)
        column_name = self.settings.columns.get(field)
        if column_name is None or field in self._complex or not values:
            return []
        column = self.table.c[column_name]
        result: list[NativeRecord] = []
        try:
            with self.engine.connect() as conn:
                for part in chunked(list(values), 500):
                    query = select(self.table).where(column.in_(list(part)))
                    if not include_deleted:
                        query = query.where(self._alive())
                    rows = conn.execute(query).mappings().all()
                    result.extend(self._record(r, with_values=True) for r in rows)
        except SQLAlchemyError as exc:
            raise self._transient(exc) from None
        return result

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
                    rows = conn.execute(query.limit(self.settings.read_batch_size)).mappings().all()
            except SQLAlchemyError as exc:
                raise self._transient(exc) from None
            if not rows:
                return
            last = rows[-1][self.settings.key_column]
            yield [self._record(r) for r in rows]

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
            version = self._version(row) if row is not None else None
            results[i] = WriteResult(request, native_id=native_id, version=version)
        run.clear()

    def _create(self, conn: Connection, requests: list[WriteRequest]) -> list[tuple[str, str]]:
        rows = []
        now = self._now()
        for request in requests:
            if request.data is None:
                raise PermanentError("a create needs data", system=self.system)
            row = self._columns(request.data, None, now)
            if self.settings.deleted_column:
                row[self.settings.deleted_column] = False
            if self.settings.key_kind == "uuid":
                row[self.settings.key_column] = str(uuid.uuid4())
            rows.append(row)
        key = self.settings.key_column
        if conn.dialect.name != "sqlite" or not (self._int_key or self.settings.key_kind == "uuid"):
            statement = insert(self.table).returning(*self.table.c, sort_by_parameter_order=True)
            stored = conn.execute(statement, rows).mappings().all()
        elif self._int_key:
            # SQLite cannot order RETURNING rows (SQLAlchemy would insert row by row). The one
            # writer inside its transaction, it gives the rows of one executemany consecutive
            # keys after the largest: the last key counts them back, and one range read gets
            # the rows as stored (their versions).
            conn.execute(insert(self.table), rows)
            last = int(conn.execute(text("SELECT last_insert_rowid()")).scalar_one())
            first = last - len(rows) + 1
            query = select(self.table).where(self.key >= first, self.key <= last)
            stored = conn.execute(query.order_by(self.key)).mappings().all()
        else:
            # uuid keys are ours: each row finds its request again
            returned = conn.execute(insert(self.table).returning(*self.table.c), rows).mappings()
            by_key = {str(r[key]): r for r in returned}
            stored = [by_key[str(row[key])] for row in rows]
        return [(str(row[key]), self._version(row)) for row in stored]

    def _current(self, conn: Connection, ids: list[str]) -> dict[str, RowMapping]:
        found: dict[str, RowMapping] = {}
        for part in chunked(ids, 500):
            keys = [self._native_key(i) for i in part]
            query = select(self.table).where(self.key.in_(keys), self._alive())
            for row in conn.execute(query).mappings().all():
                found[str(row[self.settings.key_column])] = row
        return found

    def _change(
        self, conn: Connection, request: WriteRequest, row: RowMapping | None
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
        if request.expected_version is not None and self._version(row) != request.expected_version:
            return WriteResult(request, version_conflict=True)
        if request.op == WriteOp.ARCHIVE:
            before = self._record(row).data
            assert before is not None
            data: CanonicalEntity = before.model_copy(update={"active": False})
            fields: frozenset[str] | None = frozenset({"active"})
        else:
            if request.data is None:
                raise PermanentError("an update needs data", system=self.system)
            data, fields = request.data, request.fields
        return self._columns(data, fields)

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
        return Health(ok=True, latency_ms=elapsed, version=self.engine.dialect.name)

    def close(self) -> None:
        self.engine.dispose()


def connect(system: str, settings: SqlSettings) -> SqlConnector:
    """Build the connector for ``system`` from its validated settings."""
    return SqlConnector(system, settings)


__all__ = ["SqlConnector", "connect"]
