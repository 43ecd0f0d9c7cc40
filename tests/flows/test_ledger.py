"""The flow ledger on SQLite and PostgreSQL (migration 0003): items registered once, moved
with a compare-and-set, errors counted."""

from __future__ import annotations

import pytest

from syncline.flows.ledger import (
    StaleItemError,
    error_counts,
    get_item,
    move_item,
    note_item,
    open_items,
    register_items,
    state_counts,
)
from syncline.store import Store


def test_items_are_registered_once_and_moved_with_a_compare_and_set(store: Store) -> None:
    with store.begin() as conn:
        assert register_items(conn, "f", [("a", {"x": 1}), ("b", {}), ("a", {"x": 2})], "new") == 2
        assert register_items(conn, "f", [("a", {"x": 3}), ("c", {})], "new") == 1
        item = get_item(conn, "f", "a")
    assert item is not None and item.data == {"x": 1}
    with store.begin() as conn:
        moved = move_item(conn, item, "done", {"y": 2})
    assert (moved.state, moved.data) == ("done", {"x": 1, "y": 2})
    with store.begin() as conn, pytest.raises(StaleItemError):
        move_item(conn, item, "done", {})  # the stored item is no longer "new"
    with store.begin() as conn:
        stuck = get_item(conn, "f", "b")
        assert stuck is not None
        note_item(conn, stuck, error="broken", data={"why": "test"})
        note_item(conn, stuck, error="broken", data={})
    with store.begin() as conn:
        assert [i.key for i in open_items(conn, "f", ["done"])] == ["b", "c"]
        assert state_counts(conn, ["f", "g"]) == {"f": {"done": 1, "new": 2}, "g": {}}
        assert error_counts(conn, ["f"]) == {"f": 1}
        again = get_item(conn, "f", "b")
    assert again is not None and (again.attempts, again.data) == (2, {"why": "test"})
