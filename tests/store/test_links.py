"""Links: ids come back in the order of the pairs, on SQLite and on PostgreSQL."""

from __future__ import annotations

from syncline.store import Store
from syncline.store.links import create_links, get_links


def test_create_links_returns_ids_in_pair_order_across_batches(store: Store) -> None:
    # more rows than one multi-row INSERT holds, with a gap in the ids before them
    pairs = [(f"a{i}", None if i % 3 else f"b{i}") for i in range(2500)]
    with store.begin() as conn:
        create_links(conn, "m", "party", [("x", "y")], "key")
        ids = create_links(conn, "m", "party", pairs, "created")
        pinned = create_links(conn, "m", "party", [("p", "q")], "manual", pinned=True)
        links = get_links(conn, [*ids, *pinned])
    assert [(links[i].id_a, links[i].id_b) for i in ids] == pairs
    assert len(set(ids)) == len(pairs)
    assert links[pinned[0]].pinned and not links[ids[0]].pinned
