"""Snapshots come back as they were saved, whatever each side showed (nothing, the agreed
values, more), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from syncline.store import Store
from syncline.store.links import create_links
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots

TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=4)  # no NUL in JSONB
VALUES = st.dictionaries(
    st.sampled_from(["name", "vat_id", "emails"]),
    st.none() | TEXT | st.lists(TEXT, max_size=2),
    max_size=3,
)
TIMES = st.none() | st.datetimes(timezones=st.just(UTC))


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    base_a = draw(VALUES)
    base_b = draw(st.just(dict(base_a)) | VALUES)
    # what a side showed: nothing, the agreed values, or more
    seen = [draw(st.none() | st.just(dict(b)) | VALUES.map(b.__or__)) for b in (base_a, base_b)]
    return {
        "base_a": base_a,
        "base_b": base_b,
        "seen_a": seen[0],
        "seen_b": seen[1],
        "version_a": draw(st.none() | st.just("v1")),
        "hash_b": draw(st.none() | st.just("h" * 64)),
        "has_base": draw(st.booleans()),
        "modified_a": draw(TIMES),
        "modified_b": draw(TIMES),
        "pending": draw(st.sampled_from([{"a": {}, "b": {}}, {"a": {"name": "X"}, "b": {}}])),
    }


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(snapshots(), min_size=1, max_size=4))
def test_saved_snapshots_load_as_they_were(store: Store, fields: list[dict[str, Any]]) -> None:
    with store.begin() as conn:
        ids = create_links(conn, "m", "party", [(None, None)] * len(fields), "created")
        saved = [Snapshot(link_id, **f) for link_id, f in zip(ids, fields, strict=True)]
        save_snapshots(conn, saved, new=True)
        loaded = load_snapshots(conn, ids)
    for snapshot in saved:
        again = loaded[snapshot.link_id]
        assert again == snapshot
        assert again.synced_at is not None and again.synced_at <= datetime.now(UTC)
