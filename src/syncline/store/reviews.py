"""Review items: match suggestions a person decides (ARCHITECTURE.md §5).

An item pairs a record (``left``) with one candidate (``right``); the candidates of one decision
share a ``group_key``. ``kind`` is ``match`` (initial load, sync) or ``import_duplicate`` (a row
of an imported file). Adding is idempotent per pair; deciding closes every item of the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncline.store.schema import review_items
from syncline.store.types import utcnow

REVIEW_DECISIONS = ("link", "create", "skip", "merge")
"""``link``/``merge``: the records are the same; ``create``: they are different, create the
left one; ``skip``: neither link nor create the left record."""


@dataclass(frozen=True)
class ReviewItem:
    """One candidate pair waiting for (or decided by) a person. ``score`` is in [0, 1]."""

    id: int
    map_name: str
    entity: str
    kind: str
    group_key: str | None
    left_system: str
    left_id: str
    right_system: str
    right_id: str
    score: float
    details: dict[str, Any]
    state: str
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class NewReview:
    """A review item to add; ``details`` holds what a person needs to decide (JSON)."""

    map_name: str
    entity: str
    kind: str
    group_key: str
    left_system: str
    left_id: str
    right_system: str
    right_id: str
    score: float
    details: dict[str, Any]


def _item(row: RowMapping) -> ReviewItem:
    return ReviewItem(**{k: row[k] for k in ReviewItem.__dataclass_fields__})


def _pair_key(item: NewReview) -> tuple[str, str, str, str, str]:
    return (item.map_name, item.left_system, item.left_id, item.right_system, item.right_id)


def add_reviews(conn: Connection, items: Sequence[NewReview]) -> int:
    """Insert items whose pair is not in the store yet (open or decided); returns how many."""
    if not items:
        return 0
    unique = {_pair_key(i): i for i in items}
    existing: set[tuple[str, str, str, str, str]] = set()
    keys = list(unique)
    for start in range(0, len(keys), 200):
        part = keys[start : start + 200]
        condition = or_(
            *[
                and_(
                    review_items.c.map_name == m,
                    review_items.c.left_system == ls,
                    review_items.c.left_id == li,
                    review_items.c.right_system == rs,
                    review_items.c.right_id == ri,
                )
                for m, ls, li, rs, ri in part
            ]
        )
        query = select(
            review_items.c.map_name,
            review_items.c.left_system,
            review_items.c.left_id,
            review_items.c.right_system,
            review_items.c.right_id,
        ).where(condition)
        existing.update(
            (str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in conn.execute(query)
        )
    now = utcnow()
    rows = [
        {
            "map_name": i.map_name,
            "entity": i.entity,
            "kind": i.kind,
            "group_key": i.group_key,
            "left_system": i.left_system,
            "left_id": i.left_id,
            "right_system": i.right_system,
            "right_id": i.right_id,
            "score": float(i.score),
            "details": i.details,
            "state": "open",
            "created_at": now,
        }
        for key, i in unique.items()
        if key not in existing
    ]
    if rows:
        conn.execute(insert(review_items), rows)
    return len(rows)


def list_reviews(
    conn: Connection,
    *,
    map_name: str | None = None,
    state: str | None = "open",
    kind: str | None = None,
    group_key: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[ReviewItem]:
    """Review items ordered by group, best score first; filters are optional."""
    query = (
        select(review_items)
        .order_by(review_items.c.group_key, review_items.c.score.desc(), review_items.c.id)
        .limit(limit)
        .offset(offset)
    )
    if map_name is not None:
        query = query.where(review_items.c.map_name == map_name)
    if state is not None:
        query = query.where(review_items.c.state == state)
    if kind is not None:
        query = query.where(review_items.c.kind == kind)
    if group_key is not None:
        query = query.where(review_items.c.group_key == group_key)
    return [_item(r) for r in conn.execute(query).mappings()]


def reviews_for_groups(
    conn: Connection, map_name: str, group_keys: Sequence[str]
) -> dict[str, list[ReviewItem]]:
    """Items (any state) of ``map_name`` by group key, for the given groups."""
    result: dict[str, list[ReviewItem]] = {}
    keys = list(dict.fromkeys(group_keys))
    for start in range(0, len(keys), 500):
        query = select(review_items).where(
            review_items.c.map_name == map_name,
            review_items.c.group_key.in_(keys[start : start + 500]),
        )
        for row in conn.execute(query.order_by(review_items.c.id)).mappings():
            item = _item(row)
            result.setdefault(str(item.group_key), []).append(item)
    return result


def get_review(conn: Connection, review_id: int) -> ReviewItem | None:
    row = conn.execute(select(review_items).where(review_items.c.id == review_id)).mappings()
    found = row.first()
    return _item(found) if found is not None else None


def decide(
    conn: Connection, review_id: int, decision: str, actor: str, *, whole_group: bool = True
) -> list[ReviewItem]:
    """Record a person's ``decision`` on an item; ``link``/``merge`` accept this candidate.

    With ``whole_group`` the other open items of the group are closed too: accepting one
    candidate rejects the others (decision ``create``), and ``create``/``skip`` apply to every
    candidate. Returns the decided items. Raises KeyError for an unknown id, ValueError for an
    unknown decision.
    """
    if decision not in REVIEW_DECISIONS:
        raise ValueError(f"unknown decision {decision!r}; use one of {', '.join(REVIEW_DECISIONS)}")
    item = get_review(conn, review_id)
    if item is None:
        raise KeyError(f"no review item with id {review_id}")
    now = utcnow()
    values = {"state": "decided", "decided_by": actor, "decided_at": now}
    decided = {review_id: decision}
    if whole_group and item.group_key is not None:
        others = decision if decision in ("create", "skip") else "create"
        for other in list_reviews(
            conn, map_name=item.map_name, group_key=item.group_key, state="open"
        ):
            decided.setdefault(other.id, others)
    for item_id, verdict in decided.items():
        conn.execute(
            update(review_items)
            .where(review_items.c.id == item_id)
            .values(decision=verdict, **values)
        )
    query = select(review_items).where(review_items.c.id.in_(list(decided)))
    return [_item(r) for r in conn.execute(query.order_by(review_items.c.id)).mappings()]


def count_open(conn: Connection, map_name: str | None = None) -> int:
    query = select(func.count()).where(review_items.c.state == "open")
    if map_name is not None:
        query = query.where(review_items.c.map_name == map_name)
    return int(conn.execute(query).scalar_one())


def decided_reviews(
    conn: Connection, map_name: str, left_system: str, left_ids: Sequence[str] | None = None
) -> dict[str, list[ReviewItem]]:
    """Decided match items of ``map_name`` by the id of their record in ``left_system``
    (only of ``left_ids`` when given): what the sync engine carries out."""
    query = select(review_items).where(
        review_items.c.map_name == map_name,
        review_items.c.kind == "match",
        review_items.c.state == "decided",
        review_items.c.left_system == left_system,
    )
    if left_ids is not None:
        if not left_ids:
            return {}
        query = query.where(review_items.c.left_id.in_(list(left_ids)))
    found: dict[str, list[ReviewItem]] = {}
    for row in conn.execute(query.order_by(review_items.c.id)).mappings():
        item = _item(row)
        found.setdefault(item.left_id, []).append(item)
    return found


__all__ = [
    "REVIEW_DECISIONS",
    "NewReview",
    "ReviewItem",
    "add_reviews",
    "count_open",
    "decide",
    "decided_reviews",
    "get_review",
    "list_reviews",
    "reviews_for_groups",
]
