"""The state store opens, migrates once and keeps timezone-aware values, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select

from syncline.errors import StoreError
from syncline.store import Store, map_status, mark_processed, pending_events, record_event
from syncline.store.audit import query_events, record_events
from syncline.store.schema import metadata, outbox, runs


def test_upgrade_creates_every_table_and_is_repeatable(store: Store) -> None:
    assert store.current_revision() == store.head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert store.upgrade() == store.head_revision()  # a second upgrade is a no-op


def test_reopening_does_not_migrate_again(store_url: str) -> None:
    first = Store.open(store_url)
    with first.begin() as conn:
        record_event(
            conn,
            system="crm",
            event_id="e1",
            event_type="t",
            entity=None,
            native_id=None,
            payload={},
        )
    first.close()
    second = Store.open(store_url)
    with second.begin() as conn:
        assert [e.event_id for e in pending_events(conn, "crm")] == ["e1"]
    second.close()


def test_datetimes_come_back_timezone_aware_utc(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=cet)
    with store.begin() as conn:
        conn.execute(
            insert(runs).values(map_name="m", kind="sync", state="ok", started_at=at, stats={})
        )
        got = conn.execute(select(runs.c.started_at)).scalar_one()
    assert got == at
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


def test_plain_numbers_in_json_columns_come_back_as_stored(store: Store) -> None:
    """SQLite gives a column declared JSON numeric affinity: a bare number is kept as one."""
    values = [75, 80.5, 0, -3, "123", True, None, [1, "2"], {"minutes": 90}]
    with store.begin() as conn:
        record_events(
            conn,
            [{"reason": "sync", "field": "x", "old_value": v, "new_value": v} for v in values],
        )
    with store.begin() as conn:
        events = query_events(conn, field="x")
    assert [e.new_value for e in events] == values
    assert [type(e.old_value) for e in events] == [type(v) for v in values]


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"), store.begin() as conn:
        conn.execute(
            insert(runs).values(
                map_name="m", kind="sync", state="ok", started_at=datetime(2026, 1, 1), stats={}
            )
        )


def test_inbox_rejects_replayed_events_and_tracks_processing(store: Store) -> None:
    with store.begin() as conn:

        def record(event_id: str, n: int) -> bool:
            return record_event(
                conn,
                system="crm",
                event_id=event_id,
                event_type="contact.updated",
                entity="contact",
                native_id="7",
                payload={"n": n},
            )

        assert record("ev-1", 1)
        assert not record("ev-1", 1)
        assert record("ev-2", 2)
        events = pending_events(conn, "crm", "contact")
        assert [e.payload["n"] for e in events] == [1, 2]
        mark_processed(conn, [events[0].id])
        assert [e.event_id for e in pending_events(conn, "crm")] == ["ev-2"]


def test_map_status_counts_backlog_dead_letters_and_last_run(store: Store) -> None:
    now = datetime.now(UTC)
    job = dict(
        target_system="crm",
        entity="party",
        op="update",
        payload={},
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    with store.begin() as conn:
        for i, state in enumerate(["pending", "running", "dead", "done"]):
            conn.execute(
                insert(outbox).values(
                    map_name="customers", idempotency_key=f"k{i}", state=state, **job
                )
            )
        for i, state in enumerate(["ok", "failed"]):
            conn.execute(
                insert(runs).values(
                    map_name="customers",
                    kind="sync",
                    state=state,
                    started_at=now + timedelta(seconds=i),
                    stats={},
                )
            )
        status = {s.map_name: s for s in map_status(conn, ["customers", "products"])}
    assert status["customers"].backlog == 2
    assert status["customers"].dead_letters == 1
    assert status["customers"].last_run_state == "failed"
    assert status["products"].backlog == 0 and status["products"].last_run_at is None


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Store.open("postgresql://syncline:hunter2@127.0.0.1:1/state")
    assert "cannot reach the state store" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_unsupported_url_is_explained() -> None:
    with pytest.raises(StoreError, match="unsupported state store"):
        Store.open("mysql://x@localhost/db")


def test_sqlite_checkpoints_when_asked_not_inside_cycles(tmp_path: Path) -> None:
    """Committed work stays in the write-ahead log (a cycle never waits for the copy back and
    its fsync) until a checkpoint, which the sync loops run while idle."""
    path = tmp_path / "state.db"
    store = Store.open(f"sqlite:///{path}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 100_000
    before = path.stat().st_size
    with store.begin() as conn:
        rows = [
            {"map_name": f"map-{n}", "kind": "sync", "state": "ok", "stats": {"n": n},
             "started_at": datetime.now(UTC)}
            for n in range(2000)
        ]  # fmt: skip
        conn.execute(insert(runs), rows)
    assert path.stat().st_size == before, "committed into the log only"
    store.checkpoint()
    assert path.stat().st_size > before + 100_000, "copied into the database file"
    store.close()
