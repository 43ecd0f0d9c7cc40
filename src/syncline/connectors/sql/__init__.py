"""The generic SQL connector: tables reachable through SQLAlchemy as a system, one table or
several of one database (one entity each)."""

from __future__ import annotations

from syncline.connectors.sql.connector import SqlConnector
from syncline.connectors.sql.database import SqlDatabaseConnector, connect
from syncline.connectors.sql.settings import (
    SqlDatabaseSettings,
    SqlSettings,
    SqlTable,
    sql_settings_model,
)

__all__ = [
    "SqlConnector",
    "SqlDatabaseConnector",
    "SqlDatabaseSettings",
    "SqlSettings",
    "SqlTable",
    "connect",
    "sql_settings_model",
]
