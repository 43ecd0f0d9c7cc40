"""Duplicates of imported rows: within the file and against the target system's contacts.

Rows with identical content are one row. Then the matcher (:mod:`syncline.matching`) scores
rows against each other and against the target's records with the thresholds given: at or
above ``auto_link`` a row is merged (into the record, or into the earlier row of the file); in
the grey zone the row waits for a person, with its candidates; below, it is created. A target's
contact is compared with the name and address of its party (its company), as a row is with its
company: two people of one name at different companies stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from syncline.connectors.base import NativeRecord
from syncline.imports.rows import ImportRow
from syncline.matching import Decision, Matcher, MatchRecord, record_from_contact
from syncline.model import AddressKind, Contact, Party


@dataclass(frozen=True)
class Candidate:
    """A possible duplicate of a row: ``ref`` is ``SYSTEM:ID`` (a record) or ``line:N`` (a
    row of the file); ``target`` the native id or the row's fingerprint."""

    ref: str
    target: str
    score: float
    is_row: bool
    label: dict[str, str]


@dataclass
class Findings:
    """What to do with each fresh row, by its index in the list given."""

    create: list[int] = field(default_factory=list)
    merge_record: dict[int, tuple[str, float]] = field(default_factory=dict)
    merge_row: dict[int, tuple[int, float]] = field(default_factory=dict)
    review: dict[int, list[Candidate]] = field(default_factory=dict)


def _root(parent: dict[int, int], i: int) -> int:
    while parent.get(i, i) != i:
        i = parent[i]
    return i


def record_label(data: Contact, party: Party | None = None) -> dict[str, str]:
    """A target's contact in a review file's columns; ``party`` fills its company and city
    (of its billing address, else its first)."""
    company = city = ""
    if party is not None:
        company = f"{party.name} {party.legal_form}" if party.legal_form else party.name
        address = party.address(AddressKind.BILLING) or next(iter(party.addresses), None)
        city = address.city if address is not None else ""
    return {
        "first_name": data.first_name,
        "last_name": data.last_name,
        "company": company,
        "email": data.email or "",
        "phone": data.phone or "",
        "mobile": data.mobile or "",
        "role": data.role or "",
        "city": city,
    }


def find_duplicates(
    matcher: Matcher,
    rows: Sequence[ImportRow],
    existing: Mapping[str, NativeRecord],
    system: str,
    parties: Mapping[str, Party] | None = None,
) -> Findings:
    """Decide every row in ``rows`` against each other and ``existing`` (native id -> record);
    ``parties`` (native id -> party) are the companies of the existing contacts."""
    parties = parties or {}
    findings = Findings()
    if not rows:
        return findings
    records = [row.match_record(str(i)) for i, row in enumerate(rows)]
    parent: dict[int, int] = {}
    grey_rows: dict[int, list[tuple[int, float]]] = {}
    for result in matcher.deduplicate(records):
        a, b = sorted((int(result.left_id), int(result.right_id)))
        if result.decision == Decision.LINK:
            ra, rb = _root(parent, a), _root(parent, b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        elif result.decision == Decision.REVIEW:
            grey_rows.setdefault(b, []).append((a, result.score))
    others: list[MatchRecord] = []
    contacts: dict[str, tuple[Contact, Party | None]] = {}
    for native_id, record in existing.items():
        if isinstance(contact := record.data, Contact):
            party = parties.get(contact.party_id) if contact.party_id else None
            contacts[native_id] = (contact, party)
            others.append(record_from_contact(native_id, contact, party))
    sure: dict[int, list[tuple[str, float]]] = {}
    grey: dict[int, list[tuple[str, float]]] = {}
    if others:
        for result in matcher.link(records, others):
            index = int(result.left_id)
            if result.decision == Decision.LINK:
                sure.setdefault(index, []).append((result.right_id, result.score))
            elif result.decision == Decision.REVIEW:
                grey.setdefault(index, []).append((result.right_id, result.score))
    for i in range(len(rows)):
        root = _root(parent, i)
        if root != i:
            score = max((s for a, s in grey_rows.get(i, []) if a == root), default=1.0)
            findings.merge_row[i] = (root, score)
            continue
        linked = sure.get(i, [])
        if len(linked) == 1 and not grey_rows.get(i):
            findings.merge_record[i] = linked[0]
            continue
        candidates = [
            Candidate(f"{system}:{nid}", nid, s, False, record_label(*contacts[nid]))
            for nid, s in sorted([*linked, *grey.get(i, [])], key=lambda p: -p[1])
        ]
        candidates += [
            Candidate(f"line:{rows[a].line}", rows[a].fingerprint, s, True, rows[a].label())
            for a, s in sorted(grey_rows.get(i, []), key=lambda p: -p[1])
            if _root(parent, a) == a
        ]
        if candidates:
            findings.review[i] = candidates
        else:
            findings.create.append(i)
    return findings


__all__ = ["Candidate", "Findings", "find_duplicates", "record_label"]
