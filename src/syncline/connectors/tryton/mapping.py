"""What every Tryton entity mapping provides: the native model, fields and the two directions.

A mapping converts pages of native rows to canonical entities (fetching children in one call
per child model, not per record) and canonical entities to Tryton ``create``/``write`` values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from syncline.connectors.base import Capture, WriteOp
from syncline.connectors.tryton.client import Domain, TrytonClient
from syncline.connectors.tryton.lookups import Lookups
from syncline.errors import PermanentError
from syncline.model import CanonicalEntity

Row = dict[str, Any]
"""One native record as Tryton's ``read`` returns it."""

STAMP_FIELDS = ("create_date", "write_date")


def ref_id(value: Any) -> int | None:
    """A Many2One value as an int id (Tryton sends an int or None)."""
    return int(value) if value not in (None, False) else None


def str_id(value: Any) -> str | None:
    """A Many2One value as a canonical id string (or None)."""
    found = ref_id(value)
    return str(found) if found is not None else None


def native_id(value: str | None, what: str, system: str) -> int | None:
    """A canonical reference (a Tryton id as text) as an int; None stays None."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise PermanentError(
            f"{what} {value!r} is not a Tryton id", system=system, field=what
        ) from None


def modified_at(row: Row) -> datetime | None:
    """When a row last changed: its write_date, else its create_date (both UTC)."""
    stamp = row.get("write_date") or row.get("create_date")
    return stamp if isinstance(stamp, datetime) else None


def party_addresses(client: TrytonClient, party: int) -> tuple[int | None, int | None]:
    """The (invoice, delivery) address ids of a party: flagged ones first, else the first."""
    rows = client.search_read(
        "party.address",
        [("party", "=", party)],
        ["invoice", "delivery"],
        order=[("sequence", "ASC"), ("id", "ASC")],
    )
    first = int(rows[0]["id"]) if rows else None
    invoice = next((int(r["id"]) for r in rows if r.get("invoice")), first)
    delivery = next((int(r["id"]) for r in rows if r.get("delivery")), first)
    return invoice, delivery


class EntityMapping(ABC):
    """The default mapping of one canonical entity onto one Tryton model."""

    entity: ClassVar[str]
    model: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    capture: ClassVar[frozenset[Capture]] = frozenset({Capture.CURSOR, Capture.SCAN})
    writable: ClassVar[frozenset[WriteOp]] = frozenset()
    #: Canonical fields Tryton's default modules have no place for.
    unstored: ClassVar[frozenset[str]] = frozenset()
    #: Restricts the model to this entity (e.g. customer invoices only).
    domain: ClassVar[Domain] = []

    def __init__(self, client: TrytonClient, lookups: Lookups) -> None:
        self.client = client
        self.lookups = lookups
        self.system = client.system

    @abstractmethod
    def to_canonical(self, rows: Sequence[Row]) -> list[CanonicalEntity]:
        """Canonical entities for a page of native rows, in the same order."""

    def create_values(self, item: CanonicalEntity) -> dict[str, Any]:
        """Tryton ``create`` values for a new record."""
        raise PermanentError(f"{self.entity} cannot be created in Tryton", system=self.system)

    def update_values(
        self, record_id: int, item: CanonicalEntity, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        """Tryton ``write`` values bringing record ``record_id`` to ``item``.

        ``fields`` limits the change to these canonical fields (None: all of them).
        """
        raise PermanentError(f"{self.entity} cannot be updated in Tryton", system=self.system)

    def create_records(self, values: Sequence[dict[str, Any]]) -> list[int]:
        """Create records from ``create_values`` results in one call; their ids in order."""
        return self.client.create(self.model, values)

    def write_records(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
        """Apply ``update_values`` results in one call."""
        self.client.write_many(self.model, [([i], v) for i, v in changes if v])

    def archive_records(self, ids: Sequence[int]) -> None:
        """Set the records inactive in one call."""
        self.client.write(self.model, ids, {"active": False})

    def delete_records(self, ids: Sequence[int]) -> None:
        """Delete the records in one call (Tryton refuses records still in use)."""
        self.client.delete(self.model, ids)

    def after_create(self, ids: Sequence[int], items: Sequence[CanonicalEntity]) -> None:
        """Workflow steps after a create (e.g. quote and confirm a sale). Default: none."""
        return None

    def prepare_updates(self, ids: Sequence[int]) -> None:
        """Load what ``update_values`` needs about the current records, in few calls."""
        return None

    @staticmethod
    def wanted(name: str, fields: frozenset[str] | None) -> bool:
        return fields is None or name in fields


__all__ = [
    "STAMP_FIELDS",
    "EntityMapping",
    "Row",
    "modified_at",
    "native_id",
    "party_addresses",
    "ref_id",
    "str_id",
]
