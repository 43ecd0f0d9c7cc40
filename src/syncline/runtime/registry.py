"""Connector types known to syncline, by the ``type`` key of a system in ``syncline.yaml``.

Each entry is a function that imports its connector package only when that type is used, so
an unused connector's dependencies are never loaded. Types are listed explicitly here (no
string-based plugin lookup) so that the type checker follows every one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from syncline.connectors.base import Connector
from syncline.errors import ConfigError


@dataclass(frozen=True)
class ConnectorType:
    """A connector type: its settings model and a factory ``(system_name, settings)``."""

    name: str
    settings_model: type[BaseModel]
    factory: Callable[[str, Any], Connector]
    summary: str


def _sql() -> ConnectorType:
    from syncline.connectors.sql import SqlSettings, connect  # noqa: PLC0415 - lazy by design

    return ConnectorType("sql", SqlSettings, connect, "any database table via SQLAlchemy")


def _tryton() -> ConnectorType:
    from syncline.connectors.tryton import TrytonSettings, connect  # noqa: PLC0415

    return ConnectorType("tryton", TrytonSettings, connect, "Tryton ERP over JSON-RPC")


def _bottlecrm() -> ConnectorType:
    from syncline.connectors.bottlecrm import BottleCrmSettings, connect  # noqa: PLC0415

    return ConnectorType("bottlecrm", BottleCrmSettings, connect, "BottleCRM over its REST API")


_TYPES: dict[str, Callable[[], ConnectorType]] = {
    "bottlecrm": _bottlecrm,
    "sql": _sql,
    "tryton": _tryton,
}


def connector_types() -> list[str]:
    """Names of all known connector types."""
    return sorted(_TYPES)


def connector_type(name: str) -> ConnectorType:
    """The connector type ``name``; ConfigError listing the known types if there is none."""
    try:
        loader = _TYPES[name]
    except KeyError:
        known = ", ".join(connector_types()) or "(none)"
        raise ConfigError(f"unknown connector type {name!r}; known types: {known}") from None
    return loader()
