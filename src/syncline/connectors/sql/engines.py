"""The SQLAlchemy engine of a database, shared by the tables of a system that reads it."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from syncline.connectors.sql.lookup import add_loosen_function


def open_engine(url: str) -> Engine:
    """An engine for ``url``; an in-memory SQLite database is one connection that every
    thread shares (each new connection would be another, empty database)."""
    if url.startswith("sqlite") and ":memory:" in url:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url)
    add_loosen_function(engine)  # before the first connection: every one gets it
    return engine


__all__ = ["open_engine"]
