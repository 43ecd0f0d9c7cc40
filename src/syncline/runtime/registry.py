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
from syncline.model import ENTITY_TYPES


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
    #: Settings keys holding a database URL: a relative SQLite path in one is taken relative
    #: to the config file's folder, as ``store.url`` is.
    url_keys: tuple[str, ...] = ()
    #: What ``check`` can tell is wrong in valid settings without connecting: (key path
    #: below the system, reason) of each problem.
    problems: Callable[[Any], list[tuple[tuple[str | int, ...], str]]] | None = None

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

    def problems(
        settings: SqlSettings | SqlDatabaseSettings,
    ) -> list[tuple[tuple[str | int, ...], str]]:
        if isinstance(settings, SqlDatabaseSettings):
            return [
                (("tables", i, *path), reason)
                for i, table in enumerate(settings.tables)
                for path, reason in _table_problems(table.entity, table.columns)
            ]
        return _table_problems(settings.entity, settings.columns)

    return ConnectorType(
        "sql",
        SqlSettings,
        connect,
        "database tables via SQLAlchemy: one table, or several of one database",
        form=sql_settings_model,
        forms=(SqlSettings, SqlDatabaseSettings),
        entities=entities,
        url_keys=("url",),
        problems=problems,
    )


def _table_problems(
    entity: str, columns: Mapping[str, str]
) -> list[tuple[tuple[str | int, ...], str]]:
    """A table's unknown entity, or the keys of ``columns`` its entity has no field for."""
    model = ENTITY_TYPES.get(entity)
    if model is None:
        return [
            (("entity",), f"unknown entity {entity!r}; known: {', '.join(sorted(ENTITY_TYPES))}")
        ]
    fields = model.model_fields
    return [
        (("columns", key), f"{entity} has no field {key!r}; fields: {', '.join(fields)}")
        for key in columns
        if key not in fields
    ]


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
