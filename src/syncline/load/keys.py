"""Deterministic keys (``match.keys`` of a map): equal values link records outright.

Values are compared in the normal form of :mod:`syncline.matching.keys` (the same as the
sync engine's); a list field matches on any element. A value shared by more than one record on
either side is ambiguous and links nothing; so does a record whose values point at different
partners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from syncline.connectors.base import NativeRecord
from syncline.matching.keys import key_forms
from syncline.sync.context import MapContext
from syncline.sync.fields import SharedField


@dataclass(frozen=True)
class KeyPair:
    """Two records with an equal deterministic key: ``a_id`` and ``b_id``, by ``key``."""

    a_id: str
    b_id: str
    key: str


def _index(records: Mapping[str, NativeRecord], field: str, convert: Any) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for native_id, record in records.items():
        assert record.data is not None
        raw = record.data.canonical_values().get(field)
        for value in key_forms(field, convert(raw)):
            index.setdefault(value, set()).add(native_id)
    return index


def key_pairs(
    ctx: MapContext,
    left: Mapping[str, NativeRecord],
    right: Mapping[str, NativeRecord],
) -> list[KeyPair]:
    """One-to-one pairs of side-a and side-b records by the map's keys, tried in order."""
    by_name: dict[str, SharedField] = {f.field_a: f for f in ctx.fields}
    remaining_a = dict(left)
    remaining_b = dict(right)
    pairs: list[KeyPair] = []
    for key in ctx.config.match.keys:
        shared = by_name.get(key)
        if shared is None:
            continue
        index_a = _index(
            remaining_a, shared.field_a, lambda v, s=shared: ctx.transformed(s, v, "b")
        )
        index_b = _index(remaining_b, shared.field_b, lambda v: v)
        partners: dict[str, set[str]] = {}
        for value, ids_a in index_a.items():
            ids_b = index_b.get(value, set())
            if len(ids_a) == 1 and len(ids_b) == 1:
                partners.setdefault(next(iter(ids_a)), set()).update(ids_b)
        wanted: dict[str, int] = {}
        for b_ids in partners.values():
            for b_id in b_ids:
                wanted[b_id] = wanted.get(b_id, 0) + 1
        for a_id, b_ids in sorted(partners.items()):
            b_id = next(iter(b_ids))
            if len(b_ids) == 1 and wanted[b_id] == 1:
                pairs.append(KeyPair(a_id, b_id, key))
        for pair in pairs:
            remaining_a.pop(pair.a_id, None)
            remaining_b.pop(pair.b_id, None)
    return pairs


def paired_ids(pairs: Iterable[KeyPair]) -> tuple[set[str], set[str]]:
    """The side-a ids and side-b ids of ``pairs``."""
    items = list(pairs)
    return {p.a_id for p in items}, {p.b_id for p in items}


__all__ = ["KeyPair", "key_pairs", "paired_ids"]
