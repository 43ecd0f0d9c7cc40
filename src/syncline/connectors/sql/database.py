"""Several tables of one database as one system, one entity each (config ``tables``).

A legacy database keeps its customers and their contacts in two tables; as one system, a
contact's ``party_id`` refers to a party of the same system, which the engine translates
through the links of the party map between the same two systems.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine

from syncline.connectors.base import (
    Capabilities,
    ChangeBatch,
    Cursor,
    Health,
    NativeRecord,
    PermanentError,
    WriteRequest,
    WriteResult,
)
from syncline.connectors.sql.connector import SqlConnector
from syncline.connectors.sql.engines import open_engine
from syncline.connectors.sql.settings import SqlDatabaseSettings, SqlSettings


class SqlDatabaseConnector:
    """The connector for a system of several tables: every call goes to the table of its
    entity (a :class:`SqlConnector` each). Made from settings, the tables share one engine.

    A batch of writes is at most the ``write_batch_size`` of its entity's table (each entity
    declares its own); a read of changes at most the table's own ``read_batch_size``.
    """

    checks_versions_on_write = True  # every table refuses an update with a stale version

    def __init__(self, system: str, tables: Sequence[SqlConnector]) -> None:
        self.system = system
        self.tables: dict[str, SqlConnector] = {}
        for table in tables:
            if table.entity in self.tables:
                raise PermanentError(
                    f"tables {self.tables[table.entity].settings.table} and "
                    f"{table.settings.table} both hold {table.entity}: one table per entity",
                    system=system,
                )
            self.tables[table.entity] = table
        if not self.tables:
            raise PermanentError("a sql system needs at least one table", system=system)
        # where a table has no deleted column, include_deleted finds its live rows only
        self.finds_deleted_by_key = any(t.finds_deleted_by_key for t in tables)
        self.capabilities = Capabilities(
            entities=tuple(
                replace(e, write_batch_size=t.capabilities.write_batch_size)
                for t in tables
                for e in t.capabilities.entities
            ),
            read_batch_size=max(t.capabilities.read_batch_size for t in tables),
            write_batch_size=min(t.capabilities.write_batch_size for t in tables),
        )

    @classmethod
    def from_settings(cls, system: str, settings: SqlDatabaseSettings) -> SqlDatabaseConnector:
        """The tables of ``settings`` on one engine (disposed again when a table fails)."""
        engine = open_engine(settings.url)
        try:
            return cls(system, [SqlConnector(system, s, engine) for s in settings.table_settings()])
        except BaseException:
            engine.dispose()
            raise

    def table(self, entity: str) -> SqlConnector:
        """The table holding ``entity``; PermanentError naming the system's tables if none."""
        try:
            return self.tables[entity]
        except KeyError:
            held = ", ".join(f"{t.settings.table} ({e})" for e, t in self.tables.items())
            raise PermanentError(
                f"system {self.system} holds no {entity} table (its tables: {held}); "
                f"add one under its 'tables'",
                system=self.system,
            ) from None

    def _engines(self) -> list[Engine]:
        """Each engine of the tables once (one, when made from settings)."""
        return list({id(t.engine): t.engine for t in self.tables.values()}.values())

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        table = self.table(entity)
        return table.read_changes(entity, since, min(limit, table.settings.read_batch_size))

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        return self.table(entity).read(entity, native_ids)

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        """:meth:`SqlConnector.lookup` of the entity's table."""
        return self.table(entity).lookup(entity, field, values, include_deleted)

    def marks_origin(self, entity: str) -> bool:
        """Whether the entity's table has an ``origin_column``."""
        return entity in self.tables and self.tables[entity].marks_origin(entity)

    def by_origin(self, entity: str, origins: Sequence[str]) -> list[NativeRecord]:
        """:meth:`SqlConnector.by_origin` of the entity's table."""
        return self.table(entity).by_origin(entity, origins)

    def origins(self, entity: str, native_ids: Sequence[str]) -> dict[str, str | None]:
        """:meth:`SqlConnector.origins` of the entity's table."""
        return self.table(entity).origins(entity, native_ids)

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        return self.table(entity).write(entity, requests)

    def list_ids(self, entity: str) -> list[str]:
        return self.table(entity).list_ids(entity)

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        return self.table(entity).scan(entity)

    def health(self) -> Health:
        """``SELECT 1`` on each engine: the first failure, else the last answer."""
        health = Health(ok=True)
        for engine in self._engines():
            table = next(t for t in self.tables.values() if t.engine is engine)
            health = table.health()
            if not health.ok:
                return health
        return health

    def close(self) -> None:
        for engine in self._engines():
            engine.dispose()


def connect(
    system: str, settings: SqlSettings | SqlDatabaseSettings
) -> SqlConnector | SqlDatabaseConnector:
    """Build the connector for ``system`` from its validated settings, of either form."""
    if isinstance(settings, SqlDatabaseSettings):
        return SqlDatabaseConnector.from_settings(system, settings)
    return SqlConnector(system, settings)


__all__ = ["SqlDatabaseConnector", "connect"]
