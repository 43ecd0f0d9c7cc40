"""Alembic environment: runs on the connection syncline hands over (never reads alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from syncline.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("syncline migrations run through syncline.store.Store.upgrade()")
_run(connection)
