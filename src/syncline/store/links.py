"""Links: the same real-world object in the two systems of a map (side ``a`` and side ``b``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from syncline.store.bulk import insert_rows, new_ids
from syncline.store.schema import links
from syncline.store.types import utcnow

Side = Literal["a", "b"]
LINK_STATES = ("active", "flagged", "unlinked", "deleted")


@dataclass(frozen=True)
class Link:
    """A link; ``id_a``/``id_b`` is None while the create in that system is pending."""

    id: int
    map_name: str
    entity: str
    id_a: str | None
    id_b: str | None
    origin: str
    pinned: bool
    state: str
    created_at: datetime
    updated_at: datetime

    def native_id(self, side: Side) -> str | None:
        return self.id_a if side == "a" else self.id_b


def _link(row: RowMapping) -> Link:
    return Link(
        id=row["id"],
        map_name=row["map_name"],
        entity=row["entity"],
        id_a=row["id_a"],
        id_b=row["id_b"],
        origin=row["origin"],
        pinned=bool(row["pinned"]),
        state=row["state"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _column(side: Side) -> Any:
    return links.c.id_a if side == "a" else links.c.id_b


def links_by_native_ids(
    conn: Connection, map_name: str, side: Side, native_ids: Sequence[str]
) -> dict[str, list[Link]]:
    """Links (any state) of ``map_name`` whose side ``side`` is one of ``native_ids``."""
    result: dict[str, list[Link]] = {}
    column = _column(side)
    ids = list(dict.fromkeys(native_ids))
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        query = select(links).where(links.c.map_name == map_name, column.in_(part))
        for row in conn.execute(query).mappings().all():
            link = _link(row)
            result.setdefault(str(link.native_id(side)), []).append(link)
    return result


_NEW_LINK_COLUMNS = (
    "map_name",
    "entity",
    "id_a",
    "id_b",
    "origin",
    "pinned",
    "state",
    "created_at",
    "updated_at",
)


def create_links(
    conn: Connection,
    map_name: str,
    entity: str,
    pairs: Sequence[tuple[str | None, str | None]],
    origin: str,
    *,
    pinned: bool = False,
) -> list[int]:
    """Insert one active link per ``(id_a, id_b)`` pair; returns their ids in order.

    ``pinned`` marks links a person made: no automatic match ever undoes them."""
    if not pairs:
        return []
    now = utcnow()
    rows = [(map_name, entity, a, b, origin, pinned, "active", now, now) for a, b in pairs]
    if conn.dialect.name == "sqlite":
        insert_rows(conn, links, _NEW_LINK_COLUMNS, rows)
        return new_ids(conn, len(rows))
    statement = insert(links).returning(links.c.id, sort_by_parameter_order=True)
    values = [dict(zip(_NEW_LINK_COLUMNS, row, strict=True)) for row in rows]
    return [int(i) for i in conn.execute(statement, values).scalars()]


def get_link(conn: Connection, link_id: int) -> Link | None:
    row = conn.execute(select(links).where(links.c.id == link_id)).mappings().first()
    return _link(row) if row is not None else None


def get_links(conn: Connection, link_ids: Sequence[int]) -> dict[int, Link]:
    result: dict[int, Link] = {}
    ids = list(dict.fromkeys(link_ids))
    for start in range(0, len(ids), 500):
        query = select(links).where(links.c.id.in_(ids[start : start + 500]))
        for row in conn.execute(query).mappings().all():
            result[row["id"]] = _link(row)
    return result


def set_native_id(conn: Connection, link_id: int, side: Side, native_id: str) -> None:
    """Record the id a pending create got in system ``side``."""
    values = {"id_a" if side == "a" else "id_b": native_id, "updated_at": utcnow()}
    conn.execute(update(links).where(links.c.id == link_id).values(values))


def set_native_ids(conn: Connection, side: Side, pairs: Sequence[tuple[int, str]]) -> None:
    """Record the ids pending creates got in system ``side``: ``(link id, native id)`` pairs."""
    if not pairs:
        return
    column = "id_a" if side == "a" else "id_b"
    statement = (
        update(links)
        .where(links.c.id == bindparam("link_id"))
        .values({column: bindparam("native_id"), "updated_at": bindparam("now")})
    )
    now = utcnow()
    conn.execute(statement, [{"link_id": i, "native_id": n, "now": now} for i, n in pairs])


def forget_native_id(conn: Connection, link_id: int, side: Side) -> None:
    """Drop the id of a record deleted on ``side`` from its link, so that a new record that
    reuses the id (SQLite does, after a hard delete) is seen as new, not as the deleted one."""
    values = {"id_a" if side == "a" else "id_b": None, "updated_at": utcnow()}
    conn.execute(update(links).where(links.c.id == link_id).values(values))


def set_state(conn: Connection, link_ids: Sequence[int], state: str) -> None:
    """Move links to ``state`` (one of LINK_STATES)."""
    if state not in LINK_STATES:
        raise ValueError(f"unknown link state {state!r}")
    if link_ids:
        conn.execute(
            update(links)
            .where(links.c.id.in_(list(link_ids)))
            .values(state=state, updated_at=utcnow())
        )


def list_links(
    conn: Connection,
    map_name: str | None = None,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Link]:
    """Links ordered by id, optionally of one map and one state."""
    query = select(links).order_by(links.c.id).limit(limit).offset(offset)
    if map_name is not None:
        query = query.where(links.c.map_name == map_name)
    if state is not None:
        query = query.where(links.c.state == state)
    return [_link(r) for r in conn.execute(query).mappings()]


def count_links(conn: Connection, map_name: str | None, state: str | None = "active") -> int:
    """How many links, optionally of one map and one state (``None``: any)."""
    query = select(func.count()).select_from(links)
    if map_name is not None:
        query = query.where(links.c.map_name == map_name)
    if state is not None:
        query = query.where(links.c.state == state)
    return int(conn.execute(query).scalar_one())


def iter_active_native_ids(
    conn: Connection, map_name: str, side: Side, page: int = 5000
) -> Iterator[tuple[int, str]]:
    """``(link id, native id)`` of every active, created link on ``side``, in pages by id."""
    column = _column(side)
    last = 0
    while True:
        query = (
            select(links.c.id, column)
            .where(
                links.c.map_name == map_name,
                links.c.state == "active",
                column.is_not(None),
                links.c.id > last,
            )
            .order_by(links.c.id)
            .limit(page)
        )
        rows = list(conn.execute(query))
        if not rows:
            return
        for link_id, native_id in rows:
            yield int(link_id), str(native_id)
        last = int(rows[-1][0])


__all__ = [
    "LINK_STATES",
    "Link",
    "Side",
    "count_links",
    "create_links",
    "forget_native_id",
    "get_link",
    "get_links",
    "iter_active_native_ids",
    "links_by_native_ids",
    "list_links",
    "set_native_id",
    "set_native_ids",
    "set_state",
]
