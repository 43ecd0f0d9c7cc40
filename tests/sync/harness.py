"""Two SQL party systems (``crm`` and ``erp``) on SQLite files, a fake clock and an engine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from syncline.connectors.sql import SqlConnector
from syncline.mapping import SynclineConfig
from syncline.model import Party
from syncline.store import Store
from syncline.sync import SyncEngine
from tests.support.sqltables import party_system


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
    """The two systems' tables, edited directly as a user of each system would."""

    def __init__(self, folder: Path) -> None:
        self.conn: dict[str, SqlConnector] = {
            "crm": party_system("crm", f"sqlite:///{folder / 'crm.db'}"),
            "erp": party_system("erp", f"sqlite:///{folder / 'erp.db'}"),
        }
        self.tick = 0

    def _stamp(self) -> datetime:
        # strictly increasing change times on the real clock, which the connector's own
        # writes use too (naive UTC, as the table stores it)
        now = datetime.now(UTC).replace(tzinfo=None)
        self.last = max(now, getattr(self, "last", now) + timedelta(microseconds=1))
        return self.last

    def create(self, system: str, **values: Any) -> str:
        c = self.conn[system]
        row = {"name": "x", "active": True, "deleted": False, **values}
        for k in ("emails", "phones"):
            if k in row and isinstance(row[k], list):
                row[k] = json.dumps(row[k])
        row["modified_at"] = self._stamp()
        with c.engine.begin() as db:
            key = db.execute(insert(c.table).returning(c.key), row).scalar_one()
        return str(key)

    def edit(self, system: str, native_id: str, **values: Any) -> None:
        c = self.conn[system]
        with c.engine.begin() as db:
            db.execute(
                update(c.table)
                .where(c.key == int(native_id))
                .values(**values, modified_at=self._stamp())
            )

    def delete(self, system: str, native_id: str) -> None:
        self.edit(system, native_id, deleted=True)

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


def engine(store: Store, systems: Systems, clock: FakeClock, **options: Any) -> SyncEngine:
    cfg = options.pop("config", None) or config()
    return SyncEngine(store, cfg, dict(systems.conn), clock=clock, seed=1, **options)
