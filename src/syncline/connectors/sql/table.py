"""A database table's rows as canonical records, and records as rows: what the SQL connector
reads and writes through (:class:`TableRows`), apart from how it reads and writes them.

The native version of a row is a hash of its mapped values, so optimistic re-reads work on any
table without a version column.
"""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    or_,
    text,
)
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import SQLAlchemyError

from syncline.connectors.base import (
    Capabilities,
    Capture,
    EntitySupport,
    NativeRecord,
    PermanentError,
    TransientError,
    WriteOp,
)
from syncline.connectors.sql.engines import open_engine
from syncline.connectors.sql.lookup import add_loosen_function, is_text_list
from syncline.connectors.sql.rows import from_json, picker, utc
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


_VALIDATED_AT_ONCE = 50
"""Rows validated in one call: cheaper per row than a call each, while few rows' values are
held at once (more would cost the cyclic garbage collector more than the call saves)."""


class TableRows:
    """One table's rows as records of its entity and back (:class:`SqlSettings`): the base of
    :class:`~syncline.connectors.sql.connector.SqlConnector`, which reads and writes them."""

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
        self._text_lists = {
            f for f in settings.columns if is_text_list(self.model.model_fields[f].annotation)
        }
        self._mapped = tuple(settings.columns.values())
        # an engine given is shared with the system's other tables (SqlDatabaseConnector)
        self.engine = open_engine(settings.url) if engine is None else engine
        add_loosen_function(self.engine)
        try:
            self.table = Table(settings.table, MetaData(), autoload_with=self.engine)
        except SQLAlchemyError as exc:
            raise TransientError(
                f"cannot read table {settings.table!r} of "
                f"{self.engine.url.render_as_string(hide_password=True)}: "
                f"{exc.__class__.__name__}: {exc}",
                system=system,
            ) from None
        needed = [settings.key_column, *settings.columns.values()]
        extra = (settings.modified_column, settings.deleted_column, settings.origin_column)
        needed += [c for c in extra if c]
        missing = [c for c in needed if c not in self.table.c]
        if missing:
            raise PermanentError(
                f"table {settings.table!r} has no column(s) {', '.join(missing)}", system=system
            )
        self.key: Column[Any] = self.table.c[settings.key_column]
        # rows are read as tuples, by position: a row of select(table) holds its columns in
        # the table's order
        position = {name: i for i, name in enumerate(self.table.c.keys())}
        self._key_at = position[settings.key_column]
        self._modified_at = position.get(settings.modified_column or "")
        self._deleted_at = position.get(settings.deleted_column or "")
        # (field, position, stored as JSON text) of every mapped column, in ``columns`` order
        self._fields = tuple(
            (field, position[column], field in self._complex)
            for field, column in settings.columns.items()
        )
        self._stored = picker([position[column] for column in self._mapped])
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

    @staticmethod
    def _version(stored: tuple[Any, ...]) -> str:
        """A row's version from its mapped columns as stored, in ``columns`` order (see
        ``_stored``): a hash of their text, cheaper than parsing the row."""
        return hashlib.sha256(repr(stored).encode("utf-8")).hexdigest()[:32]

    def _deleted(self, row: Row[Any]) -> bool:
        return self._deleted_at is not None and bool(row[self._deleted_at])

    def _row_values(self, row: Row[Any]) -> dict[str, Any]:
        """The canonical fields of a row (JSON text parsed), nulls left out."""
        values: dict[str, Any] = {}
        for field, at, is_complex in self._fields:
            value = row[at]
            if is_complex and isinstance(value, str):
                value = from_json(value)
            if value is not None:
                values[field] = value
        return values

    def _records(
        self, rows: Sequence[Row[Any]], *, with_values: bool = False
    ) -> list[NativeRecord]:
        """The records of rows of ``select(self.table)``, in order: deleted rows as tombstones,
        with their values only ``with_values``. A live row that is not a valid entity is an
        unreadable record (``problem`` names the row and the reason), never a tombstone."""
        records: list[NativeRecord] = []
        for start in range(0, len(rows), _VALIDATED_AT_ONCE):
            part = rows[start : start + _VALIDATED_AT_ONCE]
            deleted = [self._deleted(row) for row in part]
            shown = [
                row for row, gone in zip(part, deleted, strict=True) if with_values or not gone
            ]
            parsed = iter(self.model.parse_many([self._row_values(row) for row in shown]))
            for row, gone in zip(part, deleted, strict=True):
                native_id = str(row[self._key_at])
                modified = utc(row[self._modified_at]) if self._modified_at is not None else None
                if gone and not with_values:
                    records.append(NativeRecord(self.entity, native_id, None, None, modified, True))
                    continue
                data = next(parsed)
                version = self._version(self._stored(row))
                if isinstance(data, EntityValidationError):
                    records.append(self._unreadable(native_id, data, version, modified, gone))
                    continue
                records.append(NativeRecord(self.entity, native_id, data, version, modified, gone))
        return records

    def _unreadable(
        self,
        native_id: str,
        error: EntityValidationError,
        version: str,
        modified: datetime | None,
        gone: bool,
    ) -> NativeRecord:
        """A row that is not a valid entity: a tombstone without values if it is deleted
        anyway, else an unreadable record saying which row and why."""
        if gone:
            return NativeRecord(self.entity, native_id, None, None, modified, True)
        problem = f"row {native_id} of {self.settings.table} is not a valid {self.entity}: {error}"
        return NativeRecord.unreadable(
            self.entity, native_id, problem, version=version, modified_at=modified
        )

    def _values(self, data: CanonicalEntity) -> list[Any]:
        """The mapped columns' values for ``data``, in ``columns`` order."""
        values = data.canonical_values()
        row = [values.get(field) for field, _, _ in self._fields]
        for index, (_, _, is_complex) in enumerate(self._fields):
            if is_complex and row[index] is not None:
                row[index] = orjson.dumps(row[index], option=orjson.OPT_SORT_KEYS).decode()
        return row

    def _columns(self, data: CanonicalEntity, fields: frozenset[str] | None) -> dict[str, Any]:
        """The row values updating a row to ``data`` (only ``fields``, when given), the
        modified column stamped."""
        row = {
            column: value
            for (field, _, _), column, value in zip(
                self._fields, self._mapped, self._values(data), strict=True
            )
            if fields is None or field in fields
        }
        if self.settings.modified_column:
            row[self.settings.modified_column] = self._now()
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


__all__ = ["TableRows"]
