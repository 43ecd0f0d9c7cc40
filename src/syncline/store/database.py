"""Opening the state store: SQLite (WAL) by default, PostgreSQL by URL; migrations on first use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from syncline.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///syncline-state.db"
_MIGRATION_LOCK_KEY = 7_140_101  # advisory lock id that serialises upgrades on PostgreSQL
AUTO_CHECKPOINT_PAGES = 100_000


def normalise_url(url: str) -> URL:
    """Parse a store URL; plain ``postgresql://`` uses the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid state store URL {url!r}: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported state store {parsed.get_backend_name()!r}: use sqlite:///PATH "
            "or postgresql://USER@HOST/DB"
        )
    return parsed


def _json_text(value: Any) -> str:
    # orjson is several times faster than the json module on the store's hot path (snapshots,
    # outbox payloads, audit values: about a tenth of a cycle's time); non-string keys become
    # strings, as json.dumps makes them
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def _json_value(stored: Any) -> Any:
    # A SQLite column declared JSON has numeric affinity: the text of a plain number (a
    # probability, a count of minutes) comes back as that number, not as JSON text.
    if isinstance(stored, int | float):
        return stored
    return orjson.loads(stored)


JSON_ARGS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": _json_value}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: a 1M-link store stays hot
    # The long-running loops (sync --every, worker) checkpoint the WAL while idle, between
    # cycles (Store.checkpoint), so a cycle never waits for the copy and its fsync; this bound
    # (400 MiB) is the safety net for a single long cycle (an initial load) or library use.
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTO_CHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """The state store. ``begin()`` yields a connection inside one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._upgraded = False
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, url: str = DEFAULT_URL, *, upgrade: bool = True, config_file: str | None = None
    ) -> Store:
        """Connect to ``url`` and (by default) apply pending migrations.

        Raises StoreError naming the URL (password hidden) when it cannot be reached, and
        ``config_file``, the file that gave the URL, when known.
        """
        parsed = normalise_url(url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(parsed, connect_args={"timeout": 30}, **JSON_ARGS)
            else:
                engine = create_engine(
                    parsed,
                    connect_args={"check_same_thread": False},
                    poolclass=StaticPool,
                    **JSON_ARGS,
                )
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(
                parsed, pool_pre_ping=True, pool_size=5, max_overflow=5, **JSON_ARGS
            )
        store = cls(engine)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            engine.dispose()
            shown = parsed.render_as_string(hide_password=True)
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            given = f"'store.url' in {config_file}" if config_file else "the state store URL"
            raise StoreError(
                f"cannot reach the state store at {shown}: {reason}. "
                f"Check {given} and that the database server runs."
            ) from None
        if upgrade:
            store.upgrade()
        return store

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _alembic_config(self, connection: Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        return cfg

    def head_revision(self) -> str | None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(cfg).get_current_head()

    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def upgrade(self, revision: str = "head") -> str | None:
        """Apply migrations up to ``revision``; returns the revision now in force."""
        with self._lock:
            try:
                with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY}
                        )
                    current = MigrationContext.configure(conn).get_current_revision()
                    if current != self.head_revision() or revision != "head":
                        command.upgrade(self._alembic_config(conn), revision)
            except OperationalError as exc:
                raise StoreError(f"migrating the state store at {self.url} failed: {exc}") from None
            self._upgraded = True
        return self.current_revision()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        with self.engine.begin() as conn:
            yield conn

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log back into the database file now, as far as no
        reader holds it (a passive checkpoint); loops call it while idle. PostgreSQL keeps
        its own log: nothing to do."""
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self.engine.dispose()
