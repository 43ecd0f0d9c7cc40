"""Tables for SQL-connector systems in tests and benchmarks: a party table on any database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
)

from syncline.connectors.sql import SqlConnector, SqlSettings

PARTY_COLUMNS = {
    "name": "name",
    "vat_id": "vat_id",
    "emails": "emails",
    "phones": "phones",
    "website": "website",
    "language": "language",
    "active": "active",
}


ORIGIN_COLUMN = "syncline_origin"
"""The column of a table with an origin: the idempotency key of the create that made a row."""


def party_table(
    name: str = "parties", *, modified: bool = True, deleted: bool = True, origin: bool = False
) -> Table:
    """A party table: integer key, unique VAT id, JSON text lists, optional change columns and
    origin column."""
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("vat_id", String(64), unique=True),
        Column("emails", Text),
        Column("phones", Text),
        Column("website", String(200)),
        Column("language", String(16)),
        Column("active", Boolean, nullable=False, default=True),
    ]
    if modified:
        columns.append(Column("modified_at", DateTime, index=True))
    if deleted:
        columns.append(Column("deleted", Boolean, nullable=False, default=False))
    if origin:
        columns.append(Column(ORIGIN_COLUMN, String(80), index=True))
    # AUTOINCREMENT: SQLite would otherwise hand a deleted row's id to the next new row, and a
    # system that reuses ids cannot be told apart from one that edited a record
    return Table(name, MetaData(), *columns, sqlite_autoincrement=True)


def party_settings(
    url: str,
    table: str = "parties",
    *,
    modified: bool = True,
    deleted: bool = True,
    origin: bool = False,
) -> SqlSettings:
    return SqlSettings(
        url=url,
        table=table,
        entity="party",
        modified_column="modified_at" if modified else None,
        deleted_column="deleted" if deleted else None,
        origin_column=ORIGIN_COLUMN if origin else None,
        columns=PARTY_COLUMNS,
    )


def party_system(
    system: str,
    url: str,
    table: str = "parties",
    *,
    modified: bool = True,
    deleted: bool = True,
    origin: bool = False,
) -> SqlConnector:
    """Create the party table at ``url`` (if missing) and a connector for it."""
    engine = create_engine(url)
    columns = {"modified": modified, "deleted": deleted}
    party_table(table, **columns, origin=origin).metadata.create_all(engine)
    engine.dispose()
    return SqlConnector(system, party_settings(url, table, **columns, origin=origin))


CONTACT_COLUMNS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "party_id": "party_id",
    "email": "email",
    "active": "active",
}


def contact_system(system: str, url: str, table: str = "contacts") -> SqlConnector:
    """A contact table (``party_id`` holds the native id of a party) and its connector."""
    engine = create_engine(url)
    Table(
        table,
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("first_name", String(100), nullable=False, default=""),
        Column("last_name", String(100), nullable=False),
        Column("party_id", String(64)),
        Column("email", String(200), unique=True),
        Column("active", Boolean, nullable=False, default=True),
        Column("modified_at", DateTime, index=True),
        Column("deleted", Boolean, nullable=False, default=False),
    ).metadata.create_all(engine)
    engine.dispose()
    settings = SqlSettings(
        url=url,
        table=table,
        entity="contact",
        modified_column="modified_at",
        deleted_column="deleted",
        columns=CONTACT_COLUMNS,
    )
    return SqlConnector(system, settings)
