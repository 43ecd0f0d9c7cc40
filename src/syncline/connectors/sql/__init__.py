"""The generic SQL connector: any table reachable through SQLAlchemy as a system."""

from __future__ import annotations

from syncline.connectors.sql.connector import SqlConnector, connect
from syncline.connectors.sql.settings import SqlSettings

__all__ = ["SqlConnector", "SqlSettings", "connect"]
