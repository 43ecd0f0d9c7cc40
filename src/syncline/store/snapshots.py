"""Snapshots: per link, the field values both systems last agreed on, and what each side showed.

``base_a``/``base_b`` hold the shared fields in each side's canonical form (they differ only
through transforms and references); ``seen_a``/``seen_b`` hold each side's full canonical record
as last read or written, with its native ``version`` and content ``hash``. Equal copies are
stored once to keep the row small.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Connection

from syncline.store.bulk import insert_rows
from syncline.store.links import Side
from syncline.store.schema import snapshots
from syncline.store.types import utcnow


def values_hash(values: dict[str, Any]) -> str:
    """SHA-256 of canonical values (the text of ``CanonicalEntity.content_hash``).

    The text is ``json.dumps(values, sort_keys=True, separators=(",", ":"))``; orjson writes
    the same bytes several times faster when they are ASCII and hold no float (canonical values
    hold none: amounts are decimal strings), so other text goes through the json module.
    """
    try:
        raw = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond orjson (an integer over 64 bits): the json module writes it
        raw = b"\xff"
    if not raw.isascii():
        raw = json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def _base_hash(values: dict[str, Any]) -> str:
    """SHA-256 of the agreed values as stored (kept for diagnosis; the engine compares the
    per-side hashes). orjson: this runs for every snapshot written."""
    return hashlib.sha256(orjson.dumps(values, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class Snapshot:
    link_id: int
    base_a: dict[str, Any] = field(default_factory=dict)
    base_b: dict[str, Any] = field(default_factory=dict)
    seen_a: dict[str, Any] | None = None
    seen_b: dict[str, Any] | None = None
    version_a: str | None = None
    version_b: str | None = None
    hash_a: str | None = None
    hash_b: str | None = None
    synced_at: datetime | None = None
    has_base: bool = False  # False until both sides agreed once (new links matched by key)
    modified_a: datetime | None = None  # each side's change time as last read (conflict items)
    modified_b: datetime | None = None
    # by side and field: the value a side still shows until a person's decision lands there
    pending: dict[str, dict[str, Any]] = field(default_factory=lambda: {"a": {}, "b": {}})

    def base(self, side: Side) -> dict[str, Any]:
        return self.base_a if side == "a" else self.base_b

    def seen(self, side: Side) -> dict[str, Any] | None:
        return self.seen_a if side == "a" else self.seen_b

    def version(self, side: Side) -> str | None:
        return self.version_a if side == "a" else self.version_b

    def content_hash(self, side: Side) -> str | None:
        return self.hash_a if side == "a" else self.hash_b

    def modified(self, side: Side) -> datetime | None:
        return self.modified_a if side == "a" else self.modified_b

    def set_seen(
        self,
        side: Side,
        values: dict[str, Any] | None,
        version: str | None,
        hash_: str | None,
        modified_at: datetime | None = None,
    ) -> None:
        if modified_at is not None:
            if side == "a":
                self.modified_a = modified_at
            else:
                self.modified_b = modified_at
        if side == "a":
            self.seen_a, self.version_a, self.hash_a = values, version, hash_
        else:
            self.seen_b, self.version_b, self.hash_b = values, version, hash_


def _pack(s: Snapshot) -> dict[str, Any]:
    # spelt out side by side: this runs for every snapshot written
    packed: dict[str, Any] = {"a": s.base_a, "has_base": s.has_base}
    if s.base_b != s.base_a:
        packed["b"] = s.base_b
    if s.seen_a is None or s.seen_a != s.base_a:
        packed["seen_a"] = s.seen_a
    if s.seen_b is None or s.seen_b != s.base_b:
        packed["seen_b"] = s.seen_b
    if s.modified_a is not None:
        packed["at_a"] = s.modified_a.isoformat()
    if s.modified_b is not None:
        packed["at_b"] = s.modified_b.isoformat()
    if any(s.pending.values()):
        packed["pending"] = s.pending
    return packed


def _unpack(link_id: int, row: Any) -> Snapshot:
    packed = row["values"]
    # copies: a value stored once for several roles must not be one shared, mutable dict
    base_a = dict(packed.get("a", {}))
    base_b = dict(packed.get("b", base_a))
    seen = {s: packed.get(f"seen_{s}", base_a if s == "a" else base_b) for s in ("a", "b")}
    seen = {s: dict(v) if v is not None else None for s, v in seen.items()}
    return Snapshot(
        link_id=link_id,
        base_a=base_a,
        base_b=base_b,
        seen_a=seen["a"],
        seen_b=seen["b"],
        version_a=row["version_a"],
        version_b=row["version_b"],
        hash_a=row["hash_a"],
        hash_b=row["hash_b"],
        synced_at=row["synced_at"],
        has_base=bool(packed.get("has_base", True)),
        modified_a=_time(packed.get("at_a")),
        modified_b=_time(packed.get("at_b")),
        pending={k: dict(v) for k, v in packed.get("pending", {"a": {}, "b": {}}).items()},
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def load_snapshots(conn: Connection, link_ids: Sequence[int]) -> dict[int, Snapshot]:
    """Snapshots of the given links (links without one are absent)."""
    result: dict[int, Snapshot] = {}
    ids = list(dict.fromkeys(link_ids))
    for start in range(0, len(ids), 500):
        query = select(snapshots).where(snapshots.c.link_id.in_(ids[start : start + 500]))
        for row in conn.execute(query).mappings().all():
            result[row["link_id"]] = _unpack(row["link_id"], row)
    return result


_COLUMNS = (
    "link_id",
    "values",
    "content_hash",
    "version_a",
    "version_b",
    "hash_a",
    "hash_b",
    "synced_at",
)


def save_snapshots(conn: Connection, items: Sequence[Snapshot], *, new: bool = False) -> None:
    """Write snapshots, replacing existing rows of the same links (``new``: links that have
    none yet, so there is nothing to replace: a plain insert)."""
    if not items:
        return
    now = utcnow()
    rows = []
    for s in items:
        s.synced_at = now
        packed, base_hash = _pack(s), _base_hash(s.base_a)
        rows.append(
            (s.link_id, packed, base_hash, s.version_a, s.version_b, s.hash_a, s.hash_b, now)
        )
    insert_rows(conn, snapshots, _COLUMNS, rows, replace_on=() if new else ("link_id",))


__all__ = ["Snapshot", "load_snapshots", "save_snapshots", "values_hash"]
