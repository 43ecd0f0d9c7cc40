"""The flow ledger: the persisted state of every item of every flow (table ``flow_items``).

An item is one unit of a business process (a won deal, a debtor, a shipment, a period of one
agreement). Its key is unique within its flow, so discovering the same deal twice registers it
once; its ``data`` keeps what the steps learned (the ERP order id, the CRM note id), so a step
that ran before a crash is recognised instead of repeated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncline.flows.machine import FlowError
from syncline.store.schema import flow_items
from syncline.store.types import utcnow


class StaleItemError(FlowError):
    """Another run moved the item meanwhile; this run leaves it alone."""


@dataclass(frozen=True)
class FlowItem:
    """One item of one flow as stored: its state, what its steps recorded, its last error."""

    id: int
    flow_name: str
    key: str
    state: str
    data: dict[str, Any]
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime


def _item(row: RowMapping) -> FlowItem:
    return FlowItem(
        id=int(row["id"]),
        flow_name=row["flow_name"],
        key=row["item_key"],
        state=row["state"],
        data=dict(row["data"] or {}),
        error=row["error"],
        attempts=int(row["attempts"] or 0),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def register_items(
    conn: Connection, flow_name: str, seeds: Sequence[tuple[str, Mapping[str, Any]]], initial: str
) -> int:
    """Insert the items of ``seeds`` (``(key, data)``) that the flow does not know yet, in
    ``initial`` state; returns how many were new. Known items are left as they are."""
    keys = list(dict.fromkeys(k for k, _ in seeds))
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        query = select(flow_items.c.item_key).where(
            flow_items.c.flow_name == flow_name, flow_items.c.item_key.in_(part)
        )
        known.update(str(k) for k in conn.execute(query).scalars())
    now = utcnow()
    rows = []
    for key, data in seeds:
        if key in known:
            continue
        known.add(key)
        rows.append(
            {
                "flow_name": flow_name,
                "item_key": key,
                "state": initial,
                "data": dict(data),
                "error": None,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        conn.execute(insert(flow_items), rows)
    return len(rows)


def get_item(conn: Connection, flow_name: str, key: str) -> FlowItem | None:
    query = select(flow_items).where(
        flow_items.c.flow_name == flow_name, flow_items.c.item_key == key
    )
    row = conn.execute(query).mappings().first()
    return _item(row) if row is not None else None


def open_items(conn: Connection, flow_name: str, final_states: Sequence[str]) -> list[FlowItem]:
    """Items of the flow that have not reached a final state, oldest first."""
    query = (
        select(flow_items)
        .where(flow_items.c.flow_name == flow_name, flow_items.c.state.not_in(list(final_states)))
        .order_by(flow_items.c.id)
    )
    return [_item(r) for r in conn.execute(query).mappings()]


def list_items(
    conn: Connection, flow_name: str, state: str | None = None, limit: int | None = 100
) -> list[FlowItem]:
    """Items of the flow, newest first, optionally in one state (all with ``limit`` None)."""
    query = (
        select(flow_items)
        .where(flow_items.c.flow_name == flow_name)
        .order_by(flow_items.c.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(flow_items.c.state == state)
    return [_item(r) for r in conn.execute(query).mappings()]


def _stored_data(conn: Connection, item: FlowItem) -> dict[str, Any]:
    """The item's data as stored now (locked on PostgreSQL until the transaction ends)."""
    query = select(flow_items.c.data).where(flow_items.c.id == item.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return dict(conn.execute(query).scalar_one_or_none() or {})


def move_item(conn: Connection, item: FlowItem, target: str, data: Mapping[str, Any]) -> FlowItem:
    """Move ``item`` from its state to ``target`` and merge ``data`` into its data; clears the
    error. Compare-and-set on the state: StaleItemError if another run moved it meanwhile."""
    merged = {**_stored_data(conn, item), **data}
    now = utcnow()
    result = conn.execute(
        update(flow_items)
        .where(flow_items.c.id == item.id, flow_items.c.state == item.state)
        .values(state=target, data=merged, error=None, attempts=0, updated_at=now)
    )
    if result.rowcount != 1:
        raise StaleItemError(f"flow item {item.key!r} changed meanwhile; left to the other run")
    return FlowItem(
        id=item.id,
        flow_name=item.flow_name,
        key=item.key,
        state=target,
        data=merged,
        error=None,
        attempts=0,
        created_at=item.created_at,
        updated_at=now,
    )


def note_item(
    conn: Connection, item: FlowItem, *, error: str | None, data: Mapping[str, Any]
) -> None:
    """Keep ``item`` in its state but record an error (or why it waits) and extra data,
    merged into the data as stored now (not as ``item`` last saw it)."""
    values: dict[str, Any] = {
        "error": error,
        "data": {**_stored_data(conn, item), **data},
        "updated_at": utcnow(),
    }
    if error is not None:
        values["attempts"] = flow_items.c.attempts + 1
    conn.execute(update(flow_items).where(flow_items.c.id == item.id).values(values))


def state_counts(conn: Connection, flow_names: Sequence[str]) -> dict[str, dict[str, int]]:
    """``{flow: {state: items}}`` for the given flows (one grouped query)."""
    query = (
        select(flow_items.c.flow_name, flow_items.c.state, func.count())
        .where(flow_items.c.flow_name.in_(list(flow_names)))
        .group_by(flow_items.c.flow_name, flow_items.c.state)
    )
    counts: dict[str, dict[str, int]] = {name: {} for name in flow_names}
    for name, state, count in conn.execute(query):
        counts[str(name)][str(state)] = int(count)
    return counts


def error_counts(conn: Connection, flow_names: Sequence[str]) -> dict[str, int]:
    """Items per flow that carry an error (stuck until a person or a later run fixes it)."""
    query = (
        select(flow_items.c.flow_name, func.count())
        .where(flow_items.c.flow_name.in_(list(flow_names)), flow_items.c.attempts > 0)
        .group_by(flow_items.c.flow_name)
    )
    return {str(name): int(count) for name, count in conn.execute(query)}


__all__ = [
    "FlowItem",
    "StaleItemError",
    "error_counts",
    "get_item",
    "list_items",
    "move_item",
    "note_item",
    "open_items",
    "register_items",
    "state_counts",
]
