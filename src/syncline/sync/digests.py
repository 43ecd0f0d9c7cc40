"""Canonical values and content hash of captured records, computed once per record.

Canonicalising and hashing a record costs more than reading it; capture (de-duplication) and
the planner (comparison with the snapshot) both need the result, so they share it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from syncline.connectors.base import NativeRecord
from syncline.store.snapshots import values_hash


class Digest(NamedTuple):
    """A record's canonical ``values`` and their SHA-256 ``hash`` (``content_hash``)."""

    values: dict[str, Any]
    hash: str


class Digests:
    """Digests of live records, keyed by the record object (its identity, not its value).

    The record is kept with its digest, so an id cannot be reused by another object while the
    entry lives; a holder keeps one ``Digests`` per page of records.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[NativeRecord, Digest]] = {}

    def of(self, record: NativeRecord) -> Digest:
        """The digest of a record with data (computed on first use)."""
        entry = self._by_id.get(id(record))
        if entry is not None and entry[0] is record:
            return entry[1]
        if record.data is None:
            raise ValueError(f"record {record.native_id} has no data to digest")
        values = record.data.canonical_values()
        digest = Digest(values, values_hash(values))
        self._by_id[id(record)] = (record, digest)
        return digest

    def clear(self) -> None:
        self._by_id.clear()


__all__ = ["Digest", "Digests"]
