"""A map's shared fields, compiled once from its config: names per side, owner, policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from syncline.mapping import Direction, Leading, MapConfig, OwnershipPolicy
from syncline.mapping.config import TransformRef
from syncline.model import CanonicalEntity
from syncline.store.links import Side

Policy = Literal["manual", "a", "b"]


def other(side: Side) -> Side:
    """The opposite side of a map."""
    return "b" if side == "a" else "a"


@dataclass(frozen=True)
class SharedField:
    """One canonical field flowing between side a (``field_a``) and side b (``field_b``).

    ``owner`` is the side that owns it (a one-way map makes its source the owner of every
    field); ``policy`` decides real conflicts: ``manual`` or the leading side.
    """

    field_a: str
    field_b: str
    owner: Side | None
    on_foreign_edit: OwnershipPolicy
    policy: Policy
    to_b: TransformRef | None
    to_a: TransformRef | None
    ref_entity: str | None

    def name(self, side: Side) -> str:
        return self.field_a if side == "a" else self.field_b

    def transform_to(self, side: Side) -> TransformRef | None:
        return self.to_b if side == "b" else self.to_a


def _side_of(m: MapConfig, system: str | None) -> Side | None:
    if system is None:
        return None
    return "a" if system == m.a else "b"


def shared_fields(m: MapConfig, model: type[CanonicalEntity]) -> list[SharedField]:
    """The fields of ``model`` that map ``m`` keeps equal on both sides, in model order."""
    names = [r.field for r in m.fields] if m.only_listed_fields else list(model.model_fields)
    default_owner: Side | None = {
        Direction.BOTH: None,
        Direction.A_TO_B: "a",
        Direction.B_TO_A: "b",
    }[m.direction]
    result = []
    for name in names:
        rule = m.rule(name)
        if rule is not None and not rule.sync:
            continue
        policy_cfg = rule.conflict if rule is not None and rule.conflict is not None else m.conflict
        policy: Policy = (
            _side_of(m, policy_cfg.leading) or "manual"
            if isinstance(policy_cfg, Leading)
            else "manual"
        )
        owner = _side_of(m, rule.owner) if rule is not None else None
        result.append(
            SharedField(
                field_a=name,
                field_b=rule.target_field if rule is not None else name,
                owner=owner or default_owner,
                on_foreign_edit=rule.on_foreign_edit
                if rule is not None
                else OwnershipPolicy.PROTECT,
                policy=policy,
                to_b=rule.transform if rule is not None else None,
                to_a=rule.reverse_transform if rule is not None else None,
                ref_entity=model.references.get(name),
            )
        )
    return result


__all__ = ["Policy", "SharedField", "other", "shared_fields"]
