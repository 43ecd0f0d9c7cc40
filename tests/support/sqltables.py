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


def party_table(name: str = "parties", *, modified: bool = True, deleted: bool = True) -> Table:
    """A party table: integer key, unique VAT id, JSON text lists, optional change columns."""
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
    return Table(name, MetaData(), *columns)


def party_settings(
    url: str, table: str = "parties", *, modified: bool = True, deleted: bool = True
) -> SqlSettings:
    return SqlSettings(
        url=url,
        table=table,
        entity="party",
        modified_column="modified_at" if modified else None,
        deleted_column="deleted" if deleted else None,
        columns=PARTY_COLUMNS,
    )


def party_system(
    system: str, url: str, table: str = "parties", *, modified: bool = True, deleted: bool = True
) -> SqlConnector:
    """Create the party table at ``url`` (if missing) and a connector for it."""
    engine = create_engine(url)
    party_table(table, modified=modified, deleted=deleted).metadata.create_all(engine)
    engine.dispose()
    return SqlConnector(system, party_settings(url, table, modified=modified, deleted=deleted))
