"""Two SQL party systems (``crm`` and ``erp``) on SQLite files, a fake clock and an engine."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from syncline.connectors.base import (
    ChangeBatch,
    Connector,
    ConnectorError,
    Cursor,
    Health,
    NativeRecord,
    TransientError,
    WriteRequest,
    WriteResult,
)
from syncline.connectors.sql import SqlConnector, SqlDatabaseConnector
from syncline.mapping import SynclineConfig
from syncline.model import Party
from syncline.store import Store
from syncline.sync import SyncEngine
from tests.support.sqltables import party_system

SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None
"""Where the property tests put their SQLite files: tmpfs where there is one, since the
systems' files fsync every commit."""
_MIGRATED: dict[str, Path] = {}


def migrated_store_template() -> Path:
    """An empty, migrated state store file (made once per process): property-test examples
    start from a copy instead of migrating a store each."""
    if "path" not in _MIGRATED:
        folder = Path(tempfile.mkdtemp(prefix="syncline-template-", dir=SCRATCH))
        Store.open(f"sqlite:///{folder / 'state.db'}").close()
        _MIGRATED["path"] = folder / "state.db"
    return _MIGRATED["path"]


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2030, 1, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def config(**map_options: Any) -> SynclineConfig:
    """A config with one party map ``parties`` between ``crm`` (a) and ``erp`` (b)."""
    options: dict[str, Any] = {
        "name": "parties",
        "entity": "party",
        "a": "crm",
        "b": "erp",
        "only_listed_fields": True,
        "fields": [{"field": f} for f in ("name", "vat_id", "emails", "website", "active")],
        "match": {"keys": ["vat_id"]},
        "delete": "propagate",
        "overlap_seconds": 0,
    }
    options.update(map_options)
    return SynclineConfig.model_validate(
        {
            "systems": {"crm": {"type": "sql"}, "erp": {"type": "sql"}},
            "maps": [options],
        }
    )


class Systems:
    """The two systems' tables, edited directly as a user of each system would.

    ``modified=False, deleted=False`` makes tables without change columns: capture by full
    scan, hard deletes. ``origin=True`` gives both tables an origin column.
    """

    def __init__(
        self, folder: Path, *, modified: bool = True, deleted: bool = True, origin: bool = False
    ) -> None:
        self.conn: dict[str, SqlConnector] = {
            name: party_system(
                name,
                f"sqlite:///{folder / f'{name}.db'}",
                modified=modified,
                deleted=deleted,
                origin=origin,
            )
            for name in ("crm", "erp")
        }
        self.modified = modified
        self.soft_delete = deleted
        self.tick = 0

    def _stamp(self) -> datetime:
        # strictly increasing change times on the real clock, which the connector's own
        # writes use too (naive UTC, as the table stores it)
        now = datetime.now(UTC).replace(tzinfo=None)
        self.last = max(now, getattr(self, "last", now) + timedelta(microseconds=1))
        return self.last

    def create(self, system: str, **values: Any) -> str:
        c = self.conn[system]
        row = {"name": "x", "active": True, **values}
        if self.soft_delete:
            row["deleted"] = False
        for k in ("emails", "phones"):
            if k in row and isinstance(row[k], list):
                row[k] = json.dumps(row[k])
        if self.modified:
            row["modified_at"] = self._stamp()
        with c.engine.begin() as db:
            key = db.execute(insert(c.table).returning(c.key), row).scalar_one()
        return str(key)

    def edit(self, system: str, native_id: str, **values: Any) -> None:
        c = self.conn[system]
        if self.modified:
            values["modified_at"] = self._stamp()
        with c.engine.begin() as db:
            db.execute(update(c.table).where(c.key == int(native_id)).values(**values))

    def delete(self, system: str, native_id: str) -> None:
        if self.soft_delete:
            self.edit(system, native_id, deleted=True)
            return
        c = self.conn[system]
        with c.engine.begin() as db:
            db.execute(delete(c.table).where(c.key == int(native_id)))

    def by_vat(self, system: str) -> dict[str, tuple[str, Party]]:
        """Live records that have a VAT id, by VAT id: ``(native id, party)``."""
        return {p.vat_id: (i, p) for i, p in self.rows(system).items() if p.vat_id is not None}

    def execute(self, system: str, statement: str) -> None:
        """Raw SQL in a system's database (triggers that make it reject values)."""
        with self.conn[system].engine.begin() as db:
            db.exec_driver_sql(statement)

    def rows(self, system: str) -> dict[str, Party]:
        """Live records by native id."""
        c = self.conn[system]
        return {
            r.native_id: r.data
            for page in c.scan("party")
            for r in page
            if isinstance(r.data, Party)
        }

    def row(self, system: str, native_id: str) -> dict[str, Any]:
        c = self.conn[system]
        with c.engine.connect() as db:
            return dict(db.execute(select(c.table).where(c.key == int(native_id))).mappings().one())


class Outage:
    """A system that can be down, fail its next writes, or change under a write.

    Wraps a connector: with ``down`` every call raises TransientError (connection refused);
    ``write_failures`` are raised by the next write calls, one each; ``before_write`` runs
    once, right before the next write reaches the system. ``writes`` counts delivered
    requests.
    """

    def __init__(self, inner: SqlConnector) -> None:
        self.inner = inner
        self.system = inner.system
        self.capabilities = inner.capabilities
        self.finds_deleted_by_key = inner.finds_deleted_by_key
        self.down = False
        self.write_failures: list[ConnectorError] = []
        self.before_write: Callable[[], None] | None = None
        self.writes: list[WriteRequest] = []

    def _call(self) -> None:
        if self.down:
            raise TransientError("connection refused", system=self.system)

    def read_changes(self, entity: str, since: Cursor | None, limit: int) -> ChangeBatch:
        self._call()
        return self.inner.read_changes(entity, since, limit)

    def read(self, entity: str, native_ids: Sequence[str]) -> list[NativeRecord]:
        self._call()
        return self.inner.read(entity, native_ids)

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        self._call()
        return self.inner.lookup(entity, field, values, include_deleted)

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        self._call()
        if self.write_failures:
            raise self.write_failures.pop(0)
        if self.before_write is not None:
            hook, self.before_write = self.before_write, None
            hook()
        results = self.inner.write(entity, requests)
        self.writes.extend(r.request for r in results if r.ok)
        return results

    def list_ids(self, entity: str) -> list[str]:
        self._call()
        return self.inner.list_ids(entity)

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        self._call()
        return self.inner.scan(entity)

    def health(self) -> Health:
        return Health(ok=False, detail="down") if self.down else self.inner.health()

    def close(self) -> None:
        self.inner.close()


class Tables(SqlDatabaseConnector):
    """One system holding several entities, one table each (a party and a contact table),
    given by entity: the connector of a ``type: sql`` system with ``tables``."""

    def __init__(self, system: str, tables: Mapping[str, SqlConnector]) -> None:
        super().__init__(system, list(tables.values()))


def engine(store: Store, systems: Systems, clock: FakeClock, **options: Any) -> SyncEngine:
    """An engine over ``systems`` (or the ``connectors`` given) with a fixed jitter seed."""
    cfg = options.pop("config", None) or config()
    connectors: Mapping[str, Connector] = options.pop("connectors", None) or dict(systems.conn)
    return SyncEngine(store, cfg, connectors, clock=clock, seed=1, **options)
