"""Writing imported rows into the target system, once.

Each row is remembered by its fingerprint as a link of the map ``import:SYSTEM`` (side a: the
row's fingerprint, side b: the record in the target). The link is stored *before* the record
is written and completed after; a rerun finds a link waiting for its id, looks for the record
the interrupted write made, and only writes again when there is none. So importing the same
file twice, or again after a crash, creates nothing twice.

With a :class:`~syncline.imports.companies.CompanyLinker` the contact written is tied to the
party of the row's company (the row and its fingerprint stay as they are), a merge fills
an empty party, and a contact imported before without a party is tied afterwards
(:meth:`ContactWriter.tie`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from syncline.connectors.base import Connector, NativeRecord, WriteOp, WriteRequest
from syncline.imports.companies import CompanyLinker, CompanyMatch
from syncline.imports.rows import ImportRow, RejectedRow
from syncline.model import Contact
from syncline.store import Store
from syncline.store.audit import record_events
from syncline.store.links import Link, create_links, links_by_native_ids, set_native_ids
from syncline.store.types import utcnow

ENTITY = "contact"
BATCH = 100


def import_map(system: str) -> str:
    """The name under which imports into ``system`` keep their links and review items."""
    return f"import:{system}"


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def same_contact(row: Contact, record: Contact) -> bool:
    """Whether ``record`` holds what ``row`` would write (fields the target lacks aside)."""
    mine, theirs = row.canonical_values(), record.canonical_values()
    if mine["last_name"] != theirs["last_name"]:
        return False
    return all(
        _empty(value) or _empty(theirs.get(key)) or theirs.get(key) == value
        for key, value in mine.items()
    )


def fill_empty(record: Contact, row: Contact) -> tuple[Contact, set[str]]:
    """``record`` with its empty fields filled from ``row`` (its party too); never overwrites
    a value."""
    values = record.canonical_values()
    new = row.canonical_values()
    filled = {
        key
        for key, value in new.items()
        if key != "active" and not _empty(value) and _empty(values.get(key))
    }
    return Contact.parse({**values, **{k: new[k] for k in filled}}), filled


def _comparable(value: Any) -> str:
    """A value as compared for a conflict: letters and digits in any case (``030 123`` is
    ``030123``, ``Dora@X.de`` is ``dora@x.de``)."""
    return "".join(c for c in str(value) if c.isalnum()).casefold()


def differing(record: Contact, row: Contact) -> dict[str, tuple[str, str]]:
    """Fields both hold with different values: field -> (record's value, row's value). A merge
    keeps the record's; these are the values of ``row`` it does not take."""
    values, new = record.canonical_values(), row.canonical_values()
    return {
        key: (str(values[key]), str(value))
        for key, value in new.items()
        if key not in ("active", "party_id")
        and not _empty(value)
        and not _empty(values.get(key))
        and _comparable(values[key]) != _comparable(value)
    }


@dataclass
class ContactWriter:
    """Creates and merges imported rows in ``connector``'s system, remembered in ``store``;
    ``companies`` ties them to their company's party (None: no tying)."""

    store: Store
    connector: Connector
    source: str
    actor: str
    checkpoint: Callable[[str], None]
    companies: CompanyLinker | None = None

    def _tied(self, row: ImportRow) -> tuple[Contact, CompanyMatch | None]:
        """The contact to write for ``row`` and the company match it was tied by."""
        if self.companies is None:
            return row.contact, None
        match = self.companies.find(row.company)
        return self.companies.contact_for(row, match), match

    @property
    def map_name(self) -> str:
        return import_map(self.connector.system)

    def links(self, fingerprints: Sequence[str]) -> dict[str, Link]:
        """The link of each fingerprint that has one."""
        with self.store.begin() as conn:
            found = links_by_native_ids(conn, self.map_name, "a", list(fingerprints))
        return {fp: links[0] for fp, links in found.items()}

    def adopt(self, rows: Sequence[ImportRow], existing: Mapping[str, NativeRecord]) -> set[str]:
        """Rows whose write a crash interrupted and that did reach the target: link them.

        Returns the fingerprints adopted; the others have to be written (again)."""
        with self.store.begin() as conn:
            claimed = links_by_native_ids(conn, self.map_name, "b", list(existing))
        free = {i: r for i, r in existing.items() if i not in claimed}
        waiting = self.links([r.fingerprint for r in rows])
        pairs: list[tuple[int, str]] = []
        adopted: set[str] = set()
        contacts = {i: r.data for i, r in free.items() if isinstance(r.data, Contact)}
        by_name: dict[str, list[str]] = {}
        for native_id, contact in contacts.items():
            by_name.setdefault(contact.last_name, []).append(native_id)
        for row in rows:
            found = [
                native_id
                for native_id in by_name.get(row.contact.last_name, [])
                if native_id in contacts and same_contact(row.contact, contacts[native_id])
            ]
            if len(found) == 1:
                pairs.append((waiting[row.fingerprint].id, found[0]))
                adopted.add(row.fingerprint)
                del contacts[found[0]]
        with self.store.begin() as conn:
            set_native_ids(conn, "b", pairs)
        return adopted

    def create(self, rows: Sequence[ImportRow]) -> tuple[int, list[RejectedRow]]:
        """Create ``rows`` in batches; returns how many were created and the refused rows."""
        created = 0
        rejected: list[RejectedRow] = []
        for start in range(0, len(rows), BATCH):
            batch = list(rows[start : start + BATCH])
            known = self.links([r.fingerprint for r in batch])
            with self.store.begin() as conn:
                new = [r for r in batch if r.fingerprint not in known]
                ids = create_links(
                    conn, self.map_name, ENTITY, [(r.fingerprint, None) for r in new], "import"
                )
                known.update(
                    {r.fingerprint: Link(i, self.map_name, ENTITY, r.fingerprint, None,
                                         "import", False, "active", utcnow(), utcnow())
                     for r, i in zip(new, ids, strict=True)}
                )  # fmt: skip
            self.checkpoint("import.pending")
            tied = [self._tied(r) for r in batch]
            requests = [
                WriteRequest(WriteOp.CREATE, ENTITY, r.fingerprint, data=contact)
                for r, (contact, _) in zip(batch, tied, strict=True)
            ]
            results = self.connector.write(ENTITY, requests)
            self.checkpoint("import.written")
            done: list[tuple[int, str]] = []
            events: list[dict[str, Any]] = []
            for row, (contact, match), result in zip(batch, tied, results, strict=True):
                link = known[row.fingerprint]
                if result.ok and result.native_id:
                    done.append((link.id, result.native_id))
                    events.append(self._event(link.id, "create", row, result.native_id, contact))
                    if self.companies is not None:
                        self.companies.count(match)
                else:
                    reason = str(result.error) if result.error else "the target changed"
                    rejected.append(
                        RejectedRow(row.line, f"{self.connector.system} refused it: {reason}",
                                    row.raw)
                    )  # fmt: skip
            with self.store.begin() as conn:
                set_native_ids(conn, "b", done)
                record_events(conn, events)
            created += len(done)
        return created, rejected

    def merge(self, row: ImportRow, record: NativeRecord, *, same_file: bool = False) -> str | None:
        """Merge ``row`` into ``record``: fill its empty fields, link. Returns an error or None.

        ``same_file``: ``record`` is what an earlier row of the file became; its tie to a party
        was counted then, so only a party this row fills is counted."""
        if not isinstance(record.data, Contact):
            return f"{self.connector.system} {record.native_id} is not a contact"
        has_party = bool(record.data.party_id)
        contact, match = (row.contact, None) if has_party else self._tied(row)
        merged, filled = fill_empty(record.data, contact)
        if filled:
            why = self._update(f"{row.fingerprint}:{record.native_id}", record, merged, filled)
            if why is not None:
                return f"{self.connector.system} refused the merge: {why}"
        if self.companies is not None and not same_file:
            self.companies.count(match, kept=has_party and bool(row.company.strip()))
        elif self.companies is not None and "party_id" in filled:
            self.companies.count(match)
        self.link(row, record.native_id, f"merged into {record.native_id}, filled "
                  f"{', '.join(sorted(filled)) or 'nothing'}")  # fmt: skip
        return None

    def tie(self, row: ImportRow, link: Link, record: NativeRecord) -> str | None:
        """Tie ``record``, the contact ``row`` was imported as before (``link``), to the party
        of the row's company when it has none and exactly one party matches: only its party is
        written, as a merge fills it. Returns an error or None."""
        if self.companies is None or not isinstance(record.data, Contact):
            return None
        if record.data.party_id:
            return None  # a party set meanwhile (by a person) is never replaced
        match = self.companies.find(row.company)
        if match is not None and match.party_id is not None:
            tied = record.data.model_copy(update={"party_id": match.party_id})
            key = f"{row.fingerprint}:{record.native_id}:party_id"
            why = self._update(key, record, tied, {"party_id"})
            if why is not None:
                return f"{self.connector.system} refused to tie {record.native_id}: {why}"
            event = self._event(link.id, "link", row, record.native_id)
            detail = (
                f"{event['detail']}: imported before as {record.native_id}, tied afterwards "
                f"to the party of {match.company!r}"
            )
            with self.store.begin() as conn:
                record_events(
                    conn,
                    [{**event, "field": "party_id", "new_value": match.party_id, "detail": detail}],
                )
        self.companies.count(match, afterwards=True)
        return None

    def _update(
        self, key: str, record: NativeRecord, contact: Contact, fields: set[str]
    ) -> str | None:
        """Write ``fields`` of ``contact`` into ``record`` unless the target changed it since it
        was read; returns why the target refused, or None."""
        request = WriteRequest(
            WriteOp.UPDATE,
            ENTITY,
            key,
            native_id=record.native_id,
            data=contact,
            expected_version=record.version,
            fields=frozenset(fields),
        )
        (result,) = self.connector.write(ENTITY, [request])
        if result.ok:
            return None
        return str(result.error) if result.error else "it changed meanwhile; run again"

    def link(self, row: ImportRow, native_id: str, detail: str) -> None:
        """Remember that ``row`` is the record ``native_id`` (nothing is written there)."""
        with self.store.begin() as conn:
            existing = links_by_native_ids(conn, self.map_name, "a", [row.fingerprint])
            if existing:
                set_native_ids(conn, "b", [(existing[row.fingerprint][0].id, native_id)])
                link_id = existing[row.fingerprint][0].id
            else:
                (link_id,) = create_links(
                    conn, self.map_name, ENTITY, [(row.fingerprint, native_id)], "import"
                )
            event = self._event(link_id, "link", row, native_id)
            record_events(conn, [{**event, "detail": f"{event['detail']}: {detail}"}])

    def _event(
        self,
        link_id: int,
        reason: str,
        row: ImportRow,
        native_id: str,
        contact: Contact | None = None,
    ) -> dict[str, Any]:
        written = contact or row.contact
        return {
            "map_name": self.map_name,
            "link_id": link_id,
            "entity": ENTITY,
            "reason": reason,
            "actor": self.actor,
            "source_system": "file",
            "target_system": self.connector.system,
            "new_value": written.canonical_values() if reason == "create" else native_id,
            "detail": f"{self.source} line {row.line}",
        }


def no_checkpoint(_step: str) -> None:
    return None


__all__ = [
    "BATCH",
    "ENTITY",
    "ContactWriter",
    "differing",
    "fill_empty",
    "import_map",
    "no_checkpoint",
    "same_contact",
]
