"""Properties of the pure three-way merge (ARCHITECTURE.md §3.2, §3.3)."""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
from hypothesis import assume, given

from syncline.mapping import OwnershipPolicy
from syncline.store.links import Side
from syncline.sync.fields import Policy, SharedField
from syncline.sync.merge import merge

VALUES = st.sampled_from(["x", "y", "z", None])


def _field(policy: Policy = "manual", owner: Side | None = None) -> SharedField:
    return SharedField("f", "f", owner, OwnershipPolicy.PROTECT, policy, None, None, None)


def _same(_shared: SharedField, value: Any, _to: Side) -> Any:
    return value


@given(base=VALUES, a=VALUES, b=VALUES)
def test_one_sided_change_flows_and_equal_changes_settle(base: Any, a: Any, b: Any) -> None:
    shared = _field()
    result = merge(
        [shared], {"a": {"f": base}, "b": {"f": base}}, {"a": {"f": a}, "b": {"f": b}}, _same
    )
    if a == b:
        assert result.writes == {"a": {}, "b": {}} and not result.conflicts
    elif a != base and b == base:
        assert result.writes["b"] == {"f": a} and not result.writes["a"]
    elif b != base and a == base:
        assert result.writes["a"] == {"f": b} and not result.writes["b"]
    else:
        # changed on both sides to different values: a manual conflict holding both values
        assert result.writes == {"a": {}, "b": {}}
        assert [(c.value_a, c.value_b) for c in result.conflicts] == [(a, b)]


@given(base=VALUES, a=VALUES, b=VALUES, leader=st.sampled_from(["a", "b"]))
def test_leading_side_wins_a_real_conflict(base: Any, a: Any, b: Any, leader: Side) -> None:
    shared = _field(policy=leader)
    current: dict[Side, dict[str, Any]] = {"a": {"f": a}, "b": {"f": b}}
    result = merge([shared], {"a": {"f": base}, "b": {"f": base}}, current, _same)
    assert not result.conflicts
    if len({a, b, base}) == 3:
        loser: Side = "b" if leader == "a" else "a"
        assert result.writes[loser] == {"f": current[leader]["f"]}
        assert result.reasons[loser] == {"f": "conflict_policy"}


@given(base=VALUES, a=VALUES, b=VALUES, owner=st.sampled_from(["a", "b"]))
def test_owned_field_never_takes_the_other_sides_edit(
    base: Any, a: Any, b: Any, owner: Side
) -> None:
    shared = _field(owner=owner)
    current: dict[Side, dict[str, Any]] = {"a": {"f": a}, "b": {"f": b}}
    result = merge([shared], {"a": {"f": base}, "b": {"f": base}}, current, _same)
    assert not result.writes[owner], "the owner's value is never overwritten"
    assert not result.conflicts
    foreign: Side = "b" if owner == "a" else "a"
    if a != b and (current[owner]["f"] != base or current[foreign]["f"] != base):
        assert result.writes[foreign] == {"f": current[owner]["f"]}


@given(a=VALUES, b=VALUES, frozen=st.booleans())
def test_frozen_fields_are_left_alone(a: Any, b: Any, frozen: bool) -> None:
    shared = _field()
    result = merge(
        [shared], {"a": {"f": "base"}, "b": {"f": "base"}}, {"a": {"f": a}, "b": {"f": b}},
        _same, frozen={"f"} if frozen else (),
    )  # fmt: skip
    if frozen:
        assert result.writes == {"a": {}, "b": {}} and not result.conflicts


@given(decided=VALUES, stale=VALUES, a_now=VALUES)
def test_a_decision_in_flight_is_planned_again_until_a_newer_edit_replaces_it(
    decided: Any, stale: Any, a_now: Any
) -> None:
    assume(stale != decided)
    # a person decided ``decided``; side b still shows its old value ``stale``
    base: dict[Side, dict[str, Any]] = {"a": {"f": decided}, "b": {"f": decided}}
    current: dict[Side, dict[str, Any]] = {"a": {"f": a_now}, "b": {"f": stale}}
    result = merge([_field()], base, current, _same, pending={"a": {}, "b": {"f": stale}})
    assert not result.conflicts and not result.writes["a"]
    if a_now == decided:
        assert result.writes["b"] == {"f": decided}
        assert result.reasons["b"] == {"f": "manual_resolution"}
    else:  # side a was edited after the decision: the newer edit wins
        assert result.writes["b"] == {"f": a_now}
        assert result.reasons["b"] == {"f": "sync"}
