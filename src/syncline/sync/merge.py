"""The three-way merge per field (ARCHITECTURE.md §3.2, §3.3): pure, no I/O.

Each side's current value is compared with the snapshot's base. A field changed on one side
flows to the other; changed on both to the same value, nothing happens; changed on both to
different values, the owner, then the field's policy decides, or a manual conflict freezes it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncline.mapping import OwnershipPolicy
from syncline.store.links import Side
from syncline.sync.fields import SharedField, other

SIDES: tuple[Side, Side] = ("a", "b")
Translate = Callable[[SharedField, Any, Side], Any]
"""``translate(field, value, to_side)``: a value of the other side in ``to_side``'s form."""

_MISSING: Any = object()


@dataclass(frozen=True)
class ConflictFinding:
    """A manual conflict on one field (values in each side's own form)."""

    shared: SharedField
    base_value: Any
    value_a: Any
    value_b: Any


@dataclass(frozen=True)
class PolicyNote:
    """Something the audit must keep although nothing is written now (a flagged edit)."""

    shared: SharedField
    side: Side
    old_value: Any
    new_value: Any
    reason: str


@dataclass
class MergeResult:
    """What to write to each side, and which base values hold once those writes land.

    ``writes[side]`` maps that side's field names to values; ``agreed[side]`` holds, per side,
    the base of the fields written to ``side`` once that write lands; ``settled`` holds base
    values that hold right away.
    """

    writes: dict[Side, dict[str, Any]] = field(default_factory=lambda: {"a": {}, "b": {}})
    reasons: dict[Side, dict[str, str]] = field(default_factory=lambda: {"a": {}, "b": {}})
    agreed: dict[Side, dict[Side, dict[str, Any]]] = field(
        default_factory=lambda: {"a": {"a": {}, "b": {}}, "b": {"a": {}, "b": {}}}
    )
    settled: dict[Side, dict[str, Any]] = field(default_factory=lambda: {"a": {}, "b": {}})
    conflicts: list[ConflictFinding] = field(default_factory=list)
    notes: list[PolicyNote] = field(default_factory=list)
    pending: dict[Side, dict[str, Any]] = field(default_factory=lambda: {"a": {}, "b": {}})

    def write(self, shared: SharedField, to: Side, value: Any, source_value: Any, why: str) -> None:
        self.writes[to][shared.name(to)] = value
        self.reasons[to][shared.name(to)] = why
        self.agreed[to][to][shared.name(to)] = value
        self.agreed[to][other(to)][shared.name(other(to))] = source_value

    def settle(self, shared: SharedField, value_a: Any, value_b: Any) -> None:
        self.settled["a"][shared.field_a] = value_a
        self.settled["b"][shared.field_b] = value_b


def merge(
    fields: list[SharedField],
    base: Mapping[Side, Mapping[str, Any]] | None,
    current: Mapping[Side, Mapping[str, Any]],
    translate: Translate,
    frozen: Collection[str] = (),
    *,
    pending: Mapping[Side, Mapping[str, Any]] | None = None,
) -> MergeResult:
    """Merge the current values of both sides against ``base`` (None: no common base yet).

    ``frozen`` names side-a fields with an open manual conflict: they are left alone.
    ``pending[side]`` holds, by field, the value a side still shows although a person decided
    otherwise (the base holds the decision): that value is not an edit, and the decision is
    written to the side again unless the other side changed meanwhile.
    """
    result = MergeResult()
    for shared in fields:
        if shared.field_a in frozen:
            continue
        value: dict[Side, Any] = {s: current[s].get(shared.name(s)) for s in ("a", "b")}
        stale: list[Side] = [
            s
            for s in SIDES
            if base is not None
            and pending is not None
            and shared.name(s) in pending[s]
            and pending[s][shared.name(s)] == value[s]
        ]
        for s in stale:
            assert base is not None
            value[s] = base[s].get(shared.name(s))  # as if the decision had landed
        _merge_field(result, shared, base, value, translate)
        for s in stale:
            if shared.name(s) not in result.writes[s]:
                result.write(shared, s, value[s], value[other(s)], "manual_resolution")
    return result


def _merge_field(
    result: MergeResult,
    shared: SharedField,
    base: Mapping[Side, Mapping[str, Any]] | None,
    value: dict[Side, Any],
    translate: Translate,
) -> None:
    if translate(shared, value["a"], "b") == value["b"]:
        if base is None or any(
            base[s].get(shared.name(s), _MISSING) != value[s] for s in ("a", "b")
        ):
            result.settle(shared, value["a"], value["b"])
        return
    if base is None:
        changed: dict[Side, bool] = {"a": True, "b": True}
    else:
        changed = {s: base[s].get(shared.name(s), _MISSING) != value[s] for s in ("a", "b")}
    if not changed["a"] and not changed["b"]:
        return  # they already differed (a write in flight or a flagged edit)
    _decide(result, shared, value=value, changed=changed, base=base, translate=translate)


def _decide(
    result: MergeResult,
    shared: SharedField,
    *,
    value: dict[Side, Any],
    changed: dict[Side, bool],
    base: Mapping[Side, Mapping[str, Any]] | None,
    translate: Translate,
) -> None:
    if shared.owner is not None:
        owner, foreign = shared.owner, other(shared.owner)
        owner_value = translate(shared, value[owner], foreign)
        if not changed[foreign]:
            result.write(shared, foreign, owner_value, value[owner], "sync")
        elif shared.on_foreign_edit == OwnershipPolicy.PROTECT:
            result.write(shared, foreign, owner_value, value[owner], "ownership_revert")
        else:
            old = base[foreign].get(shared.name(foreign)) if base is not None else None
            result.notes.append(PolicyNote(shared, foreign, old, value[foreign], "ownership_flag"))
            if changed[owner]:
                result.write(shared, foreign, owner_value, value[owner], "sync")
            else:
                result.settled[foreign][shared.name(foreign)] = value[foreign]
        return
    if changed["a"] != changed["b"]:
        source: Side = "a" if changed["a"] else "b"
        target = other(source)
        result.write(
            shared, target, translate(shared, value[source], target), value[source], "sync"
        )
        return
    if shared.policy != "manual":
        winner: Side = shared.policy
        loser = other(winner)
        result.write(
            shared,
            loser,
            translate(shared, value[winner], loser),
            value[winner],
            "conflict_policy",
        )
        return
    base_value = base["a"].get(shared.field_a) if base is not None else None
    result.conflicts.append(ConflictFinding(shared, base_value, value["a"], value["b"]))


__all__ = ["ConflictFinding", "MergeResult", "PolicyNote", "Translate", "merge"]
