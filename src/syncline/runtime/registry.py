"""Connector types known to syncline, by the ``type`` key of a system in ``syncline.yaml``.

Each entry is a function that imports its connector package only when that type is used, so
an unused connector's dependencies are never loaded. Types are listed explicitly here (no
string-based plugin lookup) so that the type checker follows every one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    #: The model that reads a system's keys, for a type whose settings take several forms
    #: (``sql``: one table, or several ``tables``); None: always ``settings_model``.
    form: Callable[[Mapping[str, Any]], type[BaseModel]] | None = None
    #: Every form's model (for the JSON Schema); empty: ``settings_model`` alone.
    forms: tuple[type[BaseModel], ...] = ()
    #: The entities a system of this type holds, from its validated settings (``check``
    #: refuses a map of another entity before anything connects).
    entities: Callable[[Any], frozenset[str]] | None = None

    def settings_model_for(self, values: Mapping[str, Any]) -> type[BaseModel]:
        """The settings model that reads ``values`` (a system's keys but ``type``)."""
        return self.settings_model if self.form is None else self.form(values)

    def settings_models(self) -> tuple[type[BaseModel], ...]:
        """The models of every form of the settings."""
        return self.forms or (self.settings_model,)


def _sql() -> ConnectorType:
    from syncline.connectors.sql import (  # noqa: PLC0415 - lazy by design
        SqlDatabaseSettings,
        SqlSettings,
        connect,
        sql_settings_model,
    )

    def entities(settings: SqlSettings | SqlDatabaseSettings) -> frozenset[str]:
        if isinstance(settings, SqlDatabaseSettings):
            return frozenset(t.entity for t in settings.table_settings())
        return frozenset({settings.entity})

    return ConnectorType(
        "sql",
        SqlSettings,
        connect,
        "database tables via SQLAlchemy: one table, or several of one database",
        form=sql_settings_model,
        forms=(SqlSettings, SqlDatabaseSettings),
        entities=entities,
    )


def _tryton() -> ConnectorType:
    from syncline.connectors.tryton import TrytonSettings, connect  # noqa: PLC0415
    from syncline.connectors.tryton.registry import MAPPINGS  # noqa: PLC0415

    held = frozenset(m.entity for m in MAPPINGS)
    return ConnectorType(
        "tryton", TrytonSettings, connect, "Tryton ERP over JSON-RPC", entities=lambda _: held
    )


def _bottlecrm() -> ConnectorType:
    from syncline.connectors.bottlecrm import BottleCrmSettings, connect  # noqa: PLC0415
    from syncline.connectors.bottlecrm.connector import ENTITIES  # noqa: PLC0415

    held = frozenset(ENTITIES)
    return ConnectorType(
        "bottlecrm", BottleCrmSettings, connect, "BottleCRM over its REST API",
        entities=lambda _: held,
    )  # fmt: skip


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
