"""Records written as rows of a table: creates, updates, archives and deletes in batches.

An update, archive or delete that expects a version writes only if the row still holds what
it held when its version was checked: the statement's WHERE names the row's mapped values as
read, as the database renders them in text (so every column type compares, exactly as
stored). A row a person changed between the read and the write matches nothing, and the
request gets ``version_conflict``, as when the version differed at the read: the engine merges
again instead of overwriting. One statement checks and writes, so no transaction isolation
or row lock is needed, on any database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    bindparam,
    cast,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Delete, Update

from syncline.connectors.base import (
    PermanentError,
    WriteOp,
    WriteRequest,
    WriteResult,
    chunked,
)
from syncline.connectors.sql.errors import concerns_record, refused, unavailable
from syncline.connectors.sql.table import TableRows
from syncline.model import CanonicalEntity
from syncline.store.bulk import insert_rows

_KEY = "syncline_key"
"""Parameter names of the write statements, apart from any column's name."""


def _set(n: int) -> str:
    return f"syncline_set_{n}"


def _was(n: int) -> str:
    return f"syncline_was_{n}"


@dataclass(frozen=True)
class _RowChange:
    """The columns an update or archive sets, and the row's mapped values as text as they were
    read (None: no version expected, nothing to check)."""

    columns: dict[str, Any]
    was: tuple[str | None, ...] | None

    @property
    def shape(self) -> tuple[tuple[str, ...], bool]:
        """What makes two changes one statement: the same columns set, checked or not."""
        return tuple(self.columns), self.was is not None


class _ChangedMeanwhileError(Exception):
    """A batch's update matched fewer rows than it names: which, the writes one by one find."""


Run = list[tuple[int, WriteRequest, _RowChange]]


class TableWrites(TableRows):
    """Writing records into the table (the base of the SQL connector, which reads them too)."""

    checks_versions_on_write = True  # an update with a stale expected version is refused

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply a batch in one transaction; on a rejected row or a row changed meanwhile,
        each request on its own. TransientError when the database, not a row, failed."""
        self._check_entity(entity)
        if not requests:
            return []
        try:
            with self.engine.begin() as conn:
                return self._apply(conn, requests)
        except _ChangedMeanwhileError:
            pass  # a row changed between its read and its write: find which, one by one
        except SQLAlchemyError as exc:
            if not concerns_record(exc):
                raise unavailable(self.system, exc) from None
            # one row was rejected: find which, writing the others one by one
        return [self._write_one(request) for request in requests]

    def _write_one(self, request: WriteRequest) -> WriteResult:
        try:
            with self.engine.begin() as conn:
                (result,) = self._apply(conn, [request])
                return result
        except SQLAlchemyError as exc:
            if not concerns_record(exc):
                raise unavailable(self.system, exc) from None
            what = (
                f"a new {self.entity}"
                if request.op == WriteOp.CREATE
                else f"{self.entity} {request.native_id}"
            )
            return WriteResult(request, error=refused(self.system, self.settings.table, what, exc))

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
            checked = any(r.expected_version is not None for _, r in others)
            current = self._current(conn, ids, as_text=checked)
            run: Run = []  # updates, in order
            for i, request in others:
                row = current.get(str(request.native_id))
                if request.op == WriteOp.DELETE:
                    self._update_rows(conn, run, results)
                    results[i] = self._delete(conn, request, row)
                    continue
                change = self._change(request, row)
                if isinstance(change, WriteResult):
                    results[i] = change
                    continue
                if run and run[0][2].shape != change.shape:
                    self._update_rows(conn, run, results)
                run.append((i, request, change))
            self._update_rows(conn, run, results)
        return [results[i] for i in range(len(requests))]

    def _unchanged(self, checked: bool) -> list[ColumnElement[bool]]:
        """The WHERE of a write of one live row (parameter ``syncline_key``); ``checked``, only
        while its mapped values are as read (parameters ``syncline_was_N``, text)."""
        conditions: list[ColumnElement[bool]] = [self.key == bindparam(_KEY), self._alive()]
        if checked:
            conditions += [
                cast(self.table.c[column], Text).is_not_distinct_from(
                    bindparam(_was(n), type_=Text)
                )
                for n, column in enumerate(self._mapped)
            ]
        return conditions

    def _params(self, request: WriteRequest, was: tuple[str | None, ...] | None) -> dict[str, Any]:
        params: dict[str, Any] = {_KEY: self._native_key(str(request.native_id))}
        if was is not None:
            params.update((_was(n), value) for n, value in enumerate(was))
        return params

    def _update_rows(self, conn: Connection, run: Run, results: dict[int, WriteResult]) -> None:
        """Apply consecutive updates of the same columns in one statement, then read back
        the new versions; empties ``run``. A row that changed meanwhile is not written: its
        request gets ``version_conflict`` (or, in a batch, :class:`_ChangedMeanwhileError`)."""
        if not run:
            return
        change = run[0][2]
        columns = list(change.columns)
        statement = (
            update(self.table)
            .where(*self._unchanged(change.was is not None))
            .values({c: bindparam(_set(n)) for n, c in enumerate(columns)})
        )
        rows = [
            self._params(request, values.was)
            | {_set(n): values.columns[c] for n, c in enumerate(columns)}
            for _, request, values in run
        ]
        missed = self._guarded(conn, statement, rows)
        after = self._current(conn, [str(request.native_id) for _, request, _ in run])
        for n, (i, request, _) in enumerate(run):
            native_id = str(request.native_id)
            row = after.get(native_id)
            if n in missed:
                results[i] = self._changed_meanwhile(request)
                continue
            version = self._version(self._stored(row)) if row is not None else None
            results[i] = WriteResult(request, native_id=native_id, version=version)
        run.clear()

    @staticmethod
    def _guarded(
        conn: Connection, statement: Update | Delete, rows: list[dict[str, Any]]
    ) -> set[int]:
        """Run ``statement`` for each of ``rows``; the positions of the rows it matched none
        for. Many rows go in one executemany, whose count of matched rows says whether all
        matched (if not: :class:`_ChangedMeanwhileError`)."""
        if len(rows) > 1 and conn.dialect.supports_sane_multi_rowcount:
            if conn.execute(statement, rows).rowcount != len(rows):
                raise _ChangedMeanwhileError
            return set()
        return {n for n, row in enumerate(rows) if conn.execute(statement, row).rowcount == 0}

    def _changed_meanwhile(self, request: WriteRequest) -> WriteResult:
        """The outcome of a write whose row changed, or went, between its read and its write."""
        if request.expected_version is not None:
            return WriteResult(request, version_conflict=True)
        return self._missing(request)

    def _missing(self, request: WriteRequest) -> WriteResult:
        return WriteResult(
            request,
            error=PermanentError(
                f"{self.entity} {request.native_id} does not exist in {self.settings.table}",
                system=self.system,
                remote_message="record not found",
            ),
        )

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

    def _current(
        self, conn: Connection, ids: list[str], *, as_text: bool = False
    ) -> dict[str, Row[Any]]:
        """The live rows of ``ids`` by key; ``as_text``, each followed by its mapped values
        as the database renders them in text (:meth:`_was_text`)."""
        texts = [cast(self.table.c[c], Text) for c in self._mapped] if as_text else []
        found: dict[str, Row[Any]] = {}
        for part in chunked(ids, 500):
            keys = [self._native_key(i) for i in part]
            query = select(self.table, *texts).where(self.key.in_(keys), self._alive())
            for row in conn.execute(query).all():
                found[str(row[self._key_at])] = row
        return found

    def _was_text(self, row: Row[Any]) -> tuple[str | None, ...]:
        """The mapped values as text of a row read by ``_current(..., as_text=True)``."""
        return tuple(row)[len(self.table.c) :]

    def _checked(self, request: WriteRequest, row: Row[Any]) -> tuple[str | None, ...] | None:
        """What the row must still hold when written, if the request expects a version."""
        return self._was_text(row) if request.expected_version is not None else None

    def _stale(self, request: WriteRequest, row: Row[Any]) -> bool:
        expected = request.expected_version
        return expected is not None and self._version(self._stored(row)) != expected

    def _delete(self, conn: Connection, request: WriteRequest, row: Row[Any] | None) -> WriteResult:
        """Delete the row (or mark it deleted), unless it changed since the expected version."""
        native_id = str(request.native_id)
        if row is not None:
            if self._stale(request, row):
                return WriteResult(request, version_conflict=True)
            was = self._checked(request, row)
            statement: Update | Delete
            if self.settings.deleted_column:
                values: dict[str, Any] = {self.settings.deleted_column: True}
                if self.settings.modified_column:
                    values[self.settings.modified_column] = self._now()
                statement = update(self.table).where(*self._unchanged(was is not None))
                statement = statement.values(values)
            else:
                statement = delete(self.table).where(*self._unchanged(was is not None))
            if self._guarded(conn, statement, [self._params(request, was)]) and was is not None:
                return WriteResult(request, version_conflict=True)
            # without a version expected, a row deleted meanwhile is as good as deleted now
        return WriteResult(request, native_id=native_id, version=None)

    def _change(self, request: WriteRequest, row: Row[Any] | None) -> WriteResult | _RowChange:
        """Check an update or archive: its outcome, or the columns to set."""
        if row is None:
            if request.expected_version is not None:
                return WriteResult(request, version_conflict=True)
            return self._missing(request)
        if self._stale(request, row):
            return WriteResult(request, version_conflict=True)
        if request.op == WriteOp.ARCHIVE:
            before = self._records([row])[0].data
            if before is None:  # the row is not a valid entity: its values cannot be kept
                return WriteResult(
                    request,
                    error=PermanentError(
                        f"{self.entity} {request.native_id} of {self.settings.table} is not a "
                        f"valid {self.entity}, so it is not archived: correct the row first",
                        system=self.system,
                    ),
                )
            data: CanonicalEntity = before.model_copy(update={"active": False})
            fields: frozenset[str] | None = frozenset({"active"})
        else:
            if request.data is None:
                raise PermanentError("an update needs data", system=self.system)
            data, fields = request.data, request.fields
        columns = self._columns(data, fields)
        if self.settings.origin_column:  # the origin of what the row now holds: this write
            columns[self.settings.origin_column] = request.idempotency_key
        return _RowChange(columns, self._checked(request, row))


__all__ = ["TableWrites"]
