"""A Runtime: the loaded config, the opened state store and the connectors it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from syncline.connectors.base import Connector
from syncline.errors import ConfigError
from syncline.mapping.config import TransformRef
from syncline.mapping.loader import InvalidConfigError, LoadedConfig, load_config
from syncline.mapping.transforms import argument_problems
from syncline.model import ENTITY_TYPES
from syncline.runtime.registry import ConnectorType, connector_type
from syncline.store import Store, normalise_url
from syncline.sync.fields import shared_fields


def resolve_store_url(url: str, config_file: Path) -> str:
    """A relative SQLite path is taken relative to the config file's folder."""
    normalise_url(url)  # StoreError for a URL the store cannot use
    return resolve_database_url(url, config_file)


def resolve_database_url(url: str, config_file: Path) -> str:
    """``url`` with a relative SQLite path taken relative to the config file's folder; any
    other URL (and one that does not parse, which validation reports) as it is."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database)).expanduser()
        if not path.is_absolute():
            path = (config_file.parent / path).resolve()
            return parsed.set(database=str(path)).render_as_string(hide_password=False)
    return url


class Runtime:
    """Everything a command needs, built lazily from one config file."""

    def __init__(self, loaded: LoadedConfig, config_path: Path) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.config_path = config_path
        self._store: Store | None = None
        self._connectors: dict[str, Connector] = {}

    @classmethod
    def from_file(cls, path: Path) -> Runtime:
        return cls(load_config(path), path)

    @property
    def store(self) -> Store:
        """The state store, opened (and migrated) on first use."""
        if self._store is None:
            self._store = Store.open(
                resolve_store_url(self.config.store.url, self.config_path),
                config_file=str(self.config_path),
            )
        return self._store

    def system_settings(self, system: str) -> BaseModel:
        """The validated settings of ``system``; ConfigError with file and line when invalid."""
        cfg = self.config.systems.get(system)
        if cfg is None:
            raise ConfigError(f"no system named {system!r} under 'systems'", file=self.loaded.file)
        kind = connector_type(cfg.type)
        values = self._located(kind, cfg.settings())
        try:
            return kind.settings_model_for(values).model_validate(values)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                path = ("systems", system, *[p for p in err["loc"] if isinstance(p, str | int)])
                message = err["msg"]
                if err["type"] == "extra_forbidden":
                    message = f"unknown key for a {cfg.type} system"
                problems.append(self.loaded.error(path, message))
            raise InvalidConfigError(problems) from None

    def _located(self, kind: ConnectorType, values: dict[str, Any]) -> dict[str, Any]:
        """A system's settings with its database URLs' relative SQLite paths taken relative
        to the config file (a table's database is found wherever the command runs)."""
        return {
            key: resolve_database_url(value, self.config_path)
            if key in kind.url_keys and isinstance(value, str)
            else value
            for key, value in values.items()
        }

    def connector(self, system: str) -> Connector:
        """The connector for ``system``, built on first use."""
        if system not in self._connectors:
            settings = self.system_settings(system)
            kind = connector_type(self.config.systems[system].type)
            self._connectors[system] = kind.factory(system, settings)
        return self._connectors[system]

    def connectors(self) -> dict[str, Connector]:
        return {name: self.connector(name) for name in self.config.systems}

    def validate(self) -> list[ConfigError]:
        """Checks that need more than the schema: connector settings, entities, transforms."""
        problems: list[ConfigError] = []
        held: dict[str, frozenset[str]] = {}  # entities of each valid system, where known
        for name, system in self.config.systems.items():
            try:
                kind = connector_type(system.type)
                settings = self.system_settings(name)
            except InvalidConfigError as exc:
                problems.extend(exc.problems)
            except ConfigError as exc:
                problems.append(self.loaded.error(("systems", name, "type"), str(exc)))
            else:
                if kind.entities is not None:
                    held[name] = kind.entities(settings)
                if kind.problems is not None:
                    problems += [
                        self.loaded.error(("systems", name, *path), reason)
                        for path, reason in kind.problems(settings)
                    ]
        for i, m in enumerate(self.config.maps):
            if m.entity not in ENTITY_TYPES:
                known = ", ".join(sorted(ENTITY_TYPES))
                problems.append(
                    self.loaded.error(
                        ("maps", i, "entity"), f"unknown entity {m.entity!r}; known: {known}"
                    )
                )
                continue
            for side, system_name in (("a", m.a), ("b", m.b)):
                entities = held.get(system_name)
                if entities is not None and m.entity not in entities:
                    problems.append(
                        self.loaded.error(
                            ("maps", i, side),
                            f"system {system_name} holds no {m.entity}; it holds: "
                            f"{', '.join(sorted(entities))}",
                        )
                    )
            fields = ENTITY_TYPES[m.entity].model_fields
            for j, rule in enumerate(m.fields):
                for key, field_name in (("field", rule.field), ("target", rule.target)):
                    if field_name is not None and field_name not in fields:
                        problems.append(
                            self.loaded.error(
                                ("maps", i, "fields", j, key),
                                f"{m.entity} has no field {field_name!r}; "
                                f"fields: {', '.join(fields)}",
                            )
                        )
                for key, ref in (
                    ("transform", rule.transform),
                    ("reverse_transform", rule.reverse_transform),
                ):
                    if ref is not None:
                        problems += self._transform_problems(("maps", i, "fields", j, key), ref)
            for k, key_field in enumerate(m.match.keys):
                if key_field.split(".")[0] not in fields:
                    problems.append(
                        self.loaded.error(
                            ("maps", i, "match", "keys", k),
                            f"{m.entity} has no field {key_field!r}",
                        )
                    )
        return problems

    def _transform_problems(
        self, path: tuple[str | int, ...], ref: TransformRef
    ) -> list[ConfigError]:
        """An unknown transform, or arguments its signature and types do not take."""
        try:
            found = argument_problems(ref.name, ref.args)
        except ConfigError as exc:  # no transform of that name
            return [self.loaded.error((*path, "name"), str(exc))]
        return [
            self.loaded.error((*path, "args") if arg is None else (*path, "args", arg), reason)
            for arg, reason in found.items()
        ]

    def notes(self) -> list[ConfigError]:
        """What the config leaves out that a user may not expect, without being wrong: a
        reference field (``party_id``, ``contact_id``) a map lists but no map translates is
        not shared."""
        notes: list[ConfigError] = []
        for i, m in enumerate(self.config.maps):
            model = ENTITY_TYPES.get(m.entity)
            if model is None:
                continue
            joined = {x.entity for x in self.config.maps if {x.a, x.b} == {m.a, m.b}}
            for shared in shared_fields(m, model):
                listed = m.rule(shared.field_a) is not None
                if listed and shared.ref_entity is not None and shared.ref_entity not in joined:
                    notes.append(
                        self.loaded.error(
                            ("maps", i, "entity"),
                            f"{shared.field_a} names a {shared.ref_entity}, and no map joins "
                            f"{shared.ref_entity} between {m.a} and {m.b}: it is not shared",
                        )
                    )
        return notes

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
        if self._store is not None:
            self._store.close()
            self._store = None
