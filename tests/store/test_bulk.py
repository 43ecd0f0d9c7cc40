"""Many-row inserts store exactly what SQLAlchemy's insert stores (values shared by rows are
converted once), on SQLite and PostgreSQL; audit events take the columns they share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from syncline.store import Store
from syncline.store.audit import query_events, record_events
from syncline.store.bulk import insert_rows
from syncline.store.links import create_links
from syncline.store.schema import audit_events, snapshots
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots

COLUMNS = ("at", "map_name", "link_id", "field", "old_value", "new_value", "reason", "actor")


def _rows(now: datetime) -> list[tuple[Any, ...]]:
    shared_value = {"emails": ["a@example.com"], "n": 1}
    later = now + timedelta(seconds=1)
    return [
        (now, "m", 1, "name", None, shared_value, "sync", "syncline"),
        (now, "m", 2, "name", None, shared_value, "sync", "syncline"),
        (later, "m", 3, None, {"x": None}, [1, "zwei", None], "create", "ünïcode"),
        (now, "m", 4, "name", None, None, "sync", "syncline"),
        (now, "n", 5, "name", "old", "new", "link", "syncline"),
    ]


def _stored(store: Store) -> list[tuple[Any, ...]]:
    columns = [audit_events.c[c] for c in COLUMNS]
    with store.begin() as conn:
        rows = conn.execute(select(*columns).order_by(audit_events.c.id))
        return [tuple(row) for row in rows]


def test_insert_rows_stores_what_sqlalchemy_stores(store: Store) -> None:
    now = datetime.now(UTC)
    with store.begin() as conn:
        conn.execute(insert(audit_events), [dict(zip(COLUMNS, r, strict=True)) for r in _rows(now)])
    expected = _stored(store)
    with store.begin() as conn:
        conn.execute(audit_events.delete())
        assert insert_rows(conn, audit_events, COLUMNS, _rows(now)) == 5
    assert _stored(store) == expected


def test_upserted_snapshots_replace_the_row_of_their_link(store: Store) -> None:
    with store.begin() as conn:
        first, second = create_links(conn, "m", "party", [("1", "a"), ("2", "b")], "key")
        old = [Snapshot(first, base_a={"name": "Old"}), Snapshot(second, base_a={"n": 2})]
        save_snapshots(conn, old, new=True)
        save_snapshots(conn, [Snapshot(first, base_a={"name": "New"}, version_a="v2")])
        saved = load_snapshots(conn, [first, second])
        count = len(conn.execute(select(snapshots.c.link_id)).all())
    assert count == 2
    assert (saved[first].base_a, saved[first].version_a) == ({"name": "New"}, "v2")
    assert saved[second].base_a == {"n": 2}


def test_audit_events_take_shared_columns_and_their_own(store: Store) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with store.begin() as conn:
        record_events(
            conn,
            [
                {"link_id": 1, "new_value": {"name": "A"}},
                {"link_id": 2, "new_value": {"name": "B"}, "reason": "sync", "actor": "ops"},
                {"link_id": 3, "unknown": "ignored"},
            ],
            {"at": at, "map_name": "m", "entity": "party", "reason": "create"},
        )
        record_events(conn, [{"link_id": 4, "reason": "link"}])
        events = query_events(conn)
    assert [(e.link_id, e.reason, e.actor, e.map_name) for e in events] == [
        (1, "create", "syncline", "m"),
        (2, "sync", "ops", "m"),
        (3, "create", "syncline", "m"),
        (4, "link", "syncline", None),
    ]
    assert [e.new_value for e in events[:2]] == [{"name": "A"}, {"name": "B"}]
    assert events[0].at == at and events[3].at > at


def test_an_unknown_audit_reason_is_refused_before_anything_is_written(store: Store) -> None:
    with store.begin() as conn, pytest.raises(ValueError, match="unknown audit reason 'oops'"):
        record_events(conn, [{"link_id": 1}, {"link_id": 2, "reason": "oops"}], {"reason": "sync"})
    with store.begin() as conn:
        assert query_events(conn) == []
