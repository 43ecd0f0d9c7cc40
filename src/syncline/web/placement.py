"""The data placement matrix, derived from the config: per entity and field, where it lives,
whether it is copied, linked (a reference translated through links) or not shared, and which
system leads."""

from __future__ import annotations

from syncline.mapping import Direction, Leading, MapConfig, SynclineConfig
from syncline.model import ENTITY_TYPES
from syncline.sync.fields import SharedField, shared_fields
from syncline.web.schemas import PlacementField, PlacementMap, PlacementOut


def _leader(m: MapConfig, shared: SharedField) -> str | None:
    if shared.owner is not None:
        return m.a if shared.owner == "a" else m.b
    if shared.policy != "manual":
        return m.a if shared.policy == "a" else m.b
    return None


def _conflict(m: MapConfig, field: str) -> str:
    rule = m.rule(field)
    policy = rule.conflict if rule is not None and rule.conflict is not None else m.conflict
    return f"leading: {policy.leading}" if isinstance(policy, Leading) else "manual"


def _flow(m: MapConfig, shared: SharedField) -> str:
    if shared.owner == "a":
        return f"{m.a} -> {m.b}"
    if shared.owner == "b":
        return f"{m.b} -> {m.a}"
    arrow = {Direction.BOTH: "<->", Direction.A_TO_B: "->", Direction.B_TO_A: "<-"}[m.direction]
    return f"{m.a} {arrow} {m.b}"


def placement(config: SynclineConfig) -> PlacementOut:
    """One row per field of each mapped entity; entities no map shares are listed apart."""
    maps = []
    for m in config.maps:
        model = ENTITY_TYPES.get(m.entity)
        if model is None:
            continue
        shared = {s.field_a: s for s in shared_fields(m, model)}
        rows = []
        for name in model.model_fields:
            rule = m.rule(name)
            field = shared.get(name)
            if field is None:
                rows.append(
                    PlacementField(
                        field=name,
                        target=rule.target_field if rule is not None else name,
                        sharing="not shared",
                        flow="-",
                        leads=None,
                        conflict="-",
                    )
                )
                continue
            rows.append(
                PlacementField(
                    field=name,
                    target=field.field_b,
                    sharing="linked" if field.ref_entity is not None else "copied",
                    flow=_flow(m, field),
                    leads=_leader(m, field),
                    conflict=_conflict(m, name),
                )
            )
        maps.append(
            PlacementMap(
                map_name=m.name,
                entity=m.entity,
                a=m.a,
                b=m.b,
                direction=m.direction.value,
                fields=rows,
            )
        )
    mapped = {m.entity for m in config.maps}
    return PlacementOut(maps=maps, unmapped_entities=sorted(set(ENTITY_TYPES) - mapped))


__all__ = ["placement"]
