"""The shape of every "the ERP leads" flow (debtors, the catalogue): each ERP record gets a
linked CRM copy of the fields the ERP owns; ERP changes flow to the CRM, and a CRM edit of an
owned field is reverted there and audited as an ownership revert.

    new ──> linked ──> in_sync
              ^           │
              └───────────┘  (the ERP changed the record, or the CRM changed an owned field)

A CRM record is matched before one is created, and a created one carries the ERP key it was
matched by, so a re-run after a crash finds it instead of creating a second. A quiet pair of
systems causes no write: items in sync only wait.
"""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

from syncline.flows.base import Candidate, Flow, RunOptions
from syncline.flows.ledger import FlowItem
from syncline.flows.linking import MapSides, linked_id, record_link
from syncline.flows.machine import Advance, Change, FlowError, Outcome, StateMachine, Wait, step
from syncline.store import Store

T = TypeVar("T")


class LeadState(StrEnum):
    NEW = "new"
    LINKED = "linked"
    IN_SYNC = "in_sync"


S = LeadState


def fingerprint(values: Mapping[str, Any]) -> str:
    """A stable hash of compared values (to notice that the ERP changed a record)."""
    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ErpLedFlow(Flow, Generic[T]):
    """Base of the flows whose records the ERP leads. Subclasses say how to list, compare,
    match, create and write records of their kind; this class runs the state machine."""

    machine = StateMachine(
        LeadState,
        initial=S.NEW,
        final=(),
        transitions=((S.NEW, S.LINKED), (S.LINKED, S.IN_SYNC), (S.IN_SYNC, S.LINKED)),
    )
    key_prefix = "record"
    crm_entity = "record"

    def __init__(self, name: str, store: Store, *, sides: MapSides, crm_system: str) -> None:
        super().__init__(name, store)
        self.sides = sides
        self.crm_system = crm_system
        self._erp: dict[str, T] = {}
        self._crm: dict[str, T] = {}
        self._crm_listed = False

    # -- what a subclass provides ------------------------------------------------------------

    @abstractmethod
    def list_erp(self) -> dict[str, T]:
        """The ERP records this flow takes over, by ERP id."""

    @abstractmethod
    def list_crm(self) -> dict[str, T]:
        """The CRM records they may match, by CRM id."""

    @abstractmethod
    def read_erp(self, erp_id: str) -> T | None:
        """One ERP record, or None when it no longer exists."""

    @abstractmethod
    def read_crm(self, crm_id: str) -> T | None:
        """One CRM record, or None when it no longer exists."""

    @abstractmethod
    def owned(self, record: T) -> dict[str, Any]:
        """The values the ERP owns, comparable between an ERP and a CRM record."""

    @abstractmethod
    def matches(self, erp_record: T, crm_record: T) -> bool:
        """Whether an unlinked CRM record is the same real-world object."""

    @abstractmethod
    def create(self, erp_record: T) -> tuple[str, T] | str:
        """Create the CRM copy; its id and state, or why it cannot be created yet (the item
        waits)."""

    @abstractmethod
    def write(self, crm_id: str, erp_record: T, crm_record: T) -> T:
        """Write the owned values onto the CRM record; its new state."""

    # -- the state machine -----------------------------------------------------------------

    def discover(self, options: RunOptions) -> Iterable[Candidate]:
        # One ERP listing per run; the CRM is listed only when a record must be matched.
        self._erp = self.list_erp()
        self._crm = {}
        self._crm_listed = False
        return [Candidate(f"{self.key_prefix}:{i}", {"erp_id": i}) for i in self._erp]

    def _erp_record(self, item: FlowItem) -> tuple[str, T]:
        erp_id = str(item.data.get("erp_id") or item.key.split(":", 1)[1])
        record = self._erp.get(erp_id)
        if record is None:
            record = self.read_erp(erp_id)
            if record is None:
                raise FlowError(f"the ERP {self.entity} {erp_id} no longer exists")
            self._erp[erp_id] = record
        return erp_id, record

    def _crm_record(self, crm_id: str) -> T:
        record = self._crm.get(crm_id)
        if record is None:
            record = self.read_crm(crm_id)
            if record is None:
                raise FlowError(f"the linked CRM {self.crm_entity} {crm_id} no longer exists")
            self._crm[crm_id] = record
        return record

    @step(S.NEW)
    def take_over(self, item: FlowItem) -> Outcome:
        erp_id, record = self._erp_record(item)
        with self.store.begin() as conn:
            crm_id = linked_id(conn, self.sides, "erp", erp_id)
        if crm_id is not None:
            return Advance(S.LINKED, {"crm_id": crm_id}, detail="already linked")
        if not self._crm_listed:
            self._crm.update(self.list_crm())
            self._crm_listed = True
        crm_id = next((i for i, c in self._crm.items() if self.matches(record, c)), None)
        changes: tuple[Change, ...] = ()
        if crm_id is not None:
            origin, how = "key", f"matched CRM {self.crm_entity} {crm_id}"
        else:
            created = self.create(record)
            if isinstance(created, str):
                return Wait(created)
            crm_id = created[0]
            self._crm[crm_id] = created[1]
            origin, how = "created", f"created CRM {self.crm_entity} {crm_id}"
            label = str(next(iter(self.owned(record).values()), ""))
            changes = (Change(self.crm_system, self.crm_entity, crm_id, "created", label),)
        with self.store.begin() as conn:
            record_link(conn, self.sides, crm_id, erp_id, origin=origin, actor=self.actor)
        return Advance(S.LINKED, {"crm_id": crm_id}, detail=how, changes=changes)

    @step(S.LINKED)
    def write_owned(self, item: FlowItem) -> Outcome:
        erp_id, record = self._erp_record(item)
        crm_id = str(item.data["crm_id"])
        current = self._crm_record(crm_id)
        want, have = self.owned(record), self.owned(current)
        # The ERP did not change since the last write: the CRM side moved, so this undoes it.
        reverting = item.data.get("erp_hash") == fingerprint(want)
        reason = "ownership_revert" if reverting else "flow"
        changes = tuple(
            Change(self.crm_system, self.crm_entity, crm_id, name, want[name], have.get(name),
                   reason)
            for name in sorted(want)
            if want[name] != have.get(name)
        )  # fmt: skip
        if changes:
            self._crm[crm_id] = self.write(crm_id, record, current)
        what = "reverted a CRM edit of" if reverting else "wrote"
        return Advance(
            S.IN_SYNC,
            {"erp_hash": fingerprint(want)},
            detail=f"{what} {len(changes)} ERP-owned field(s) of ERP {self.entity} {erp_id}",
            changes=changes,
        )

    @step(S.IN_SYNC)
    def watch(self, item: FlowItem) -> Outcome:
        _, record = self._erp_record(item)
        want = self.owned(record)
        if fingerprint(want) != item.data.get("erp_hash"):
            return Advance(S.LINKED, detail=f"the ERP changed the {self.entity}")
        # Only the values the ERP names are compared: a field it leaves out is the CRM's.
        have = self.owned(self._crm_record(str(item.data["crm_id"])))
        if any(have.get(name) != value for name, value in want.items()):
            return Advance(S.LINKED, detail="the CRM changed a field the ERP owns")
        return Wait("in sync")


__all__ = ["ErpLedFlow", "LeadState", "fingerprint"]
