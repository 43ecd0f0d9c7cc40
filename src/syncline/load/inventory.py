"""What a load starts from: every live record of both systems, the map's links and the
decisions people already made (pinned links, decided review items).

Reading is robust against single bad records: when a page cannot be read because one record
is invalid, the page is read again in halves until the bad record is isolated; it becomes a
:class:`~syncline.load.report.Rejection` and the rest of the system is read normally.

For fuzzy matching of contacts each system's parties are read too (one scan), keeping only
those the contacts belong to: a contact is matched with its company's name and address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from syncline.connectors.base import Connector, NativeRecord
from syncline.errors import PermanentError
from syncline.load.report import Progress, Rejection
from syncline.matching import PinnedPair
from syncline.model import Contact, Party
from syncline.store.links import Link, Side, list_links
from syncline.store.reviews import ReviewItem, list_reviews
from syncline.sync.context import MapContext

PARTY = "party"
CONTACT = "contact"


@dataclass
class SideRecords:
    """The live records of one system of the map, by native id, and those it could not read;
    for a contact map matched fuzzily, ``parties`` are the contacts' parties by native id."""

    side: Side
    system: str
    records: dict[str, NativeRecord] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    parties: dict[str, Party] = field(default_factory=dict)


@dataclass
class Inventory:
    """Both systems, the links of the map, and the decisions people made about pairs."""

    sides: dict[Side, SideRecords]
    links: list[Link]
    decided: list[ReviewItem]
    open_reviews: list[ReviewItem]

    def linked_ids(self, side: Side) -> set[str]:
        """Native ids of ``side`` that have a link in any state (never touched by a load)."""
        return {i for link in self.links if (i := link.native_id(side)) is not None}

    def unlinked(self, side: Side) -> dict[str, NativeRecord]:
        """Live records of ``side`` without any link."""
        linked = self.linked_ids(side)
        return {i: r for i, r in self.sides[side].records.items() if i not in linked}

    def pinned_pairs(self, system_a: str) -> list[PinnedPair]:
        """People's decisions as ``(a id, b id)`` pairs: manual links and rejected reviews."""
        pairs = [
            PinnedPair(link.id_a, link.id_b, True)
            for link in self.links
            if link.id_a is not None and link.id_b is not None and is_manual(link)
        ]
        for item in self.decided:
            if item.decision != "create":
                continue
            a_id, b_id = (
                (item.left_id, item.right_id)
                if item.left_system == system_a
                else (item.right_id, item.left_id)
            )
            pairs.append(PinnedPair(a_id, b_id, False))
        return pairs


def is_manual(link: Link) -> bool:
    """A link a person made (pinned, or created from a review decision): never undone."""
    return link.pinned or link.origin == "manual"


def _read_ids(connector: Connector, entity: str, ids: Sequence[str], out: SideRecords) -> None:
    """Read ``ids``; on a bad record, halve until it is found and reject it with the reason."""
    try:
        for record in connector.read(entity, ids):
            if record.problem is not None:
                out.rejected.append(Rejection(out.system, record.native_id, record.problem))
            else:
                out.records[record.native_id] = record
    except PermanentError as exc:
        if len(ids) == 1:
            out.rejected.append(Rejection(out.system, ids[0], str(exc)))
            return
        middle = len(ids) // 2
        _read_ids(connector, entity, ids[:middle], out)
        _read_ids(connector, entity, ids[middle:], out)


def read_side(connector: Connector, entity: str, side: Side, progress: Progress) -> SideRecords:
    """Every live record of ``entity`` in ``connector``'s system (tombstones dropped)."""
    out = SideRecords(side, connector.system)
    try:
        for page in connector.scan(entity):
            for record in page:
                if record.problem is not None:
                    out.rejected.append(Rejection(out.system, record.native_id, record.problem))
                elif not record.deleted and record.data is not None:
                    out.records[record.native_id] = record
            progress.advance(len(page))
        return out
    except PermanentError:
        pass  # one record is unreadable: read by ids below, isolating the bad ones
    rejected = {r.native_id for r in out.rejected}
    ids = [i for i in connector.list_ids(entity) if i not in out.records and i not in rejected]
    size = max(1, connector.capabilities.read_batch_size)
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        _read_ids(connector, entity, part, out)
        progress.advance(len(part))
    return out


def read_parties(
    connector: Connector, contacts: Mapping[str, NativeRecord], progress: Progress
) -> dict[str, Party]:
    """The parties ``contacts`` belong to, by native id: one scan of the system's parties,
    keeping only those; empty when the system holds no parties. An unreadable party is left
    out (its contacts are matched without their company)."""
    wanted = {
        c.party_id for r in contacts.values() if isinstance(c := r.data, Contact) and c.party_id
    }
    if not wanted or connector.capabilities.support(PARTY) is None:
        return {}
    found: dict[str, Party] = {}
    try:
        for page in connector.scan(PARTY):
            for record in page:
                if record.native_id in wanted and isinstance(record.data, Party):
                    found[record.native_id] = record.data
            progress.advance(len(page))
        return found
    except PermanentError:
        pass  # one party is unreadable: read the rest by ids, isolating the bad ones
    out = SideRecords("a", connector.system)  # only collects what the reads by id find
    missing = sorted(wanted - set(found))
    size = max(1, connector.capabilities.read_batch_size)
    for start in range(0, len(missing), size):
        _read_ids(connector, PARTY, missing[start : start + size], out)
    found.update((i, r.data) for i, r in out.records.items() if isinstance(r.data, Party))
    return found


def load_links(conn: Connection, map_name: str) -> list[Link]:
    """Every link of the map, any state."""
    result: list[Link] = []
    page = 5000
    while True:
        batch = list_links(conn, map_name, None, limit=page, offset=len(result))
        result.extend(batch)
        if len(batch) < page:
            return result


def take_inventory(conn: Connection, ctx: MapContext, progress: Progress) -> Inventory:
    """Read both systems of the map and what the store knows about them."""
    sides: dict[Side, SideRecords] = {}
    for side in ("a", "b"):
        progress.phase(f"reading {ctx.system(side)}", None)
        sides[side] = read_side(ctx.connectors[side], ctx.entity, side, progress)
        if ctx.entity == CONTACT and ctx.config.match.fuzzy:
            progress.phase(f"reading {ctx.system(side)} parties", None)
            sides[side].parties = read_parties(ctx.connectors[side], sides[side].records, progress)
    links = load_links(conn, ctx.name)
    decided = [
        r
        for r in list_reviews(conn, map_name=ctx.name, state="decided", limit=1_000_000)
        if r.kind == "match"
    ]
    open_items = [
        r
        for r in list_reviews(conn, map_name=ctx.name, state="open", limit=1_000_000)
        if r.kind == "match"
    ]
    return Inventory(sides, links, decided, open_items)


__all__ = [
    "Inventory",
    "SideRecords",
    "is_manual",
    "load_links",
    "read_parties",
    "read_side",
    "take_inventory",
]
