"""A legacy database of two tables, customers (``kunden``) and their contacts
(``ansprechpartner``), and the ``tables`` of a ``type: sql`` system holding both."""

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

PARTY_TABLE: dict[str, Any] = {
    "table": "kunden",
    "entity": "party",
    "key_column": "nr",
    "modified_column": "geaendert",
    "deleted_column": "geloescht",
    "columns": {
        "name": "firma",
        "vat_id": "ustid",
        "emails": "mails",
        "phones": "telefon",
        "website": "web",
        "language": "sprache",
        "active": "aktiv",
    },
}
"""Parties: cursor capture, soft deletes."""

CONTACT_TABLE: dict[str, Any] = {
    "table": "ansprechpartner",
    "entity": "contact",
    "columns": {
        "first_name": "vorname",
        "last_name": "nachname",
        "party_id": "kunde_id",
        "email": "mail",
        "active": "aktiv",
    },
}
"""Contacts: no change columns (scan capture, hard deletes)."""


def create_legacy_tables(url: str) -> None:
    """Create both tables at ``url``. Keys are never handed out twice (AUTOINCREMENT)."""
    metadata = MetaData()
    Table(
        "kunden",
        metadata,
        Column("nr", Integer, primary_key=True, autoincrement=True),
        Column("firma", String(200), nullable=False),
        Column("ustid", String(64), unique=True),
        Column("mails", Text),
        Column("telefon", Text),
        Column("web", String(200)),
        Column("sprache", String(16)),
        Column("aktiv", Boolean, nullable=False, default=True),
        Column("geaendert", DateTime, index=True),
        Column("geloescht", Boolean, nullable=False, default=False),
        sqlite_autoincrement=True,
    )
    Table(
        "ansprechpartner",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("vorname", String(100), nullable=False, default=""),
        Column("nachname", String(100), nullable=False),
        Column("kunde_id", String(20)),
        Column("mail", String(200), unique=True),
        Column("aktiv", Boolean, nullable=False, default=True),
        sqlite_autoincrement=True,
    )
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def legacy_system(url: str, **tables: dict[str, Any]) -> dict[str, Any]:
    """The ``type: sql`` system at ``url`` with both tables (an item of ``tables`` given by
    its entity replaces the default)."""
    chosen = {"party": PARTY_TABLE, "contact": CONTACT_TABLE, **tables}
    return {"type": "sql", "url": url, "tables": list(chosen.values())}
