"""Everything the engine knows about one map while it works on it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncline.connectors.base import Connector
from syncline.errors import ConfigError
from syncline.mapping import MapConfig, SynclineConfig
from syncline.mapping.config import Direction
from syncline.mapping.transforms import apply
from syncline.model import CanonicalEntity, entity_type
from syncline.store.links import Side
from syncline.sync.fields import SharedField, shared_fields

Checkpoint = Callable[[str], None]
"""Called with a step name at every step of a cycle; tests raise from it to simulate a crash."""

REF_KEY = "$ref"


@dataclass(frozen=True)
class ParentMap:
    """The map that links a referenced entity between the same two systems."""

    name: str
    side_of: dict[str, Side]  # system name -> side in the parent map


@dataclass
class MapContext:
    config: MapConfig
    model: type[CanonicalEntity]
    fields: list[SharedField]
    connectors: dict[Side, Connector]
    parents: dict[str, ParentMap] = field(default_factory=dict)  # by referenced entity
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def entity(self) -> str:
        return self.config.entity

    def system(self, side: Side) -> str:
        return self.config.a if side == "a" else self.config.b

    def side(self, system: str) -> Side:
        return "a" if system == self.config.a else "b"

    def transformed(self, shared: SharedField, value: Any, to: Side) -> Any:
        """``value`` through the field's transform towards side ``to`` (references excluded)."""
        ref = shared.transform_to(to)
        if ref is None or value is None:
            return value
        return apply(
            ref.name, value, ref.args, where=f"map {self.name!r}, field {shared.field_a!r}"
        )

    def shared_values(self, values: Mapping[str, Any], side: Side) -> dict[str, Any]:
        """The shared fields of a full record of ``side``."""
        return {f.name(side): values.get(f.name(side)) for f in self.fields}

    def creates_into(self, target: Side) -> bool:
        """Whether the map's direction lets new records flow into ``target``."""
        direction = self.config.direction
        return direction == Direction.BOTH or (direction == Direction.A_TO_B) == (target == "b")

    def create_payload(
        self,
        side: Side,
        values: Mapping[str, Any],
        version: str | None,
        translate: Callable[[SharedField, Any, Side], Any],
    ) -> dict[str, Any]:
        """The outbox payload creating a record of ``side`` (full canonical ``values`` at
        ``version``) in the other system: what to write, and what both sides then agree on."""
        target: Side = "b" if side == "a" else "a"
        shared: dict[str, Any] = {}  # the same as shared_values(values, side)
        target_values: dict[str, Any] = {}
        for f in self.fields:
            name, target_name = (f.field_a, f.field_b) if side == "a" else (f.field_b, f.field_a)
            shared[name] = value = values.get(name)
            target_values[target_name] = translate(f, value, target)
        return {
            "values": target_values,
            "agreed": {side: shared, target: target_values},
            "reasons": {},
            "source_system": self.system(side),
            "source_version": version,
        }


def _unstored(connector: Connector, entity: str) -> frozenset[str]:
    support = connector.capabilities.support(entity)
    return support.unstored if support is not None else frozenset()


def build_context(
    config: SynclineConfig,
    map_name: str,
    connectors: Mapping[str, Connector],
    clock: Callable[[], datetime],
) -> MapContext:
    """Compile map ``map_name``; ConfigError when a system has no connector."""
    m = config.map(map_name)
    missing = [s for s in (m.a, m.b) if s not in connectors]
    if missing:
        raise ConfigError(f"map {m.name!r}: no connector for system(s) {', '.join(missing)}")
    model = entity_type(m.entity)
    fields = [
        f
        for f in shared_fields(m, model)
        if f.field_a not in _unstored(connectors[m.a], m.entity)
        and f.field_b not in _unstored(connectors[m.b], m.entity)
    ]
    parents: dict[str, ParentMap] = {}
    for ref_entity in {f.ref_entity for f in fields if f.ref_entity}:
        for candidate in config.maps:
            if candidate.entity == ref_entity and {candidate.a, candidate.b} == {m.a, m.b}:
                parents[ref_entity] = ParentMap(
                    candidate.name, {candidate.a: "a", candidate.b: "b"}
                )
                break
    # A reference no map joins between the two systems is not shared: its ids are the other
    # system's and name nothing here (a quote's contact_id without a contact map).
    fields = [f for f in fields if f.ref_entity is None or f.ref_entity in parents]
    return MapContext(
        config=m,
        model=model,
        fields=fields,
        connectors={"a": connectors[m.a], "b": connectors[m.b]},
        parents=parents,
        clock=clock,
    )


__all__ = ["REF_KEY", "Checkpoint", "MapContext", "ParentMap", "build_context"]
