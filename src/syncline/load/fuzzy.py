"""Fuzzy matching for a load: canonical records to the matcher and back, one partner each.

The matcher (:mod:`syncline.matching`) scores candidate pairs and decides LINK, REVIEW or NEW
with the map's thresholds. A load then assigns partners one to one (best score first; several
side-a records may share one side-b record only on a ``many_to_one`` map). A linkable pair
whose partner went to a better pair is not linked but reviewed: two near-equal candidates are a
question for a person. A contact is matched with its party (its company's name and address)
when the party is given, so that two people of one name at different companies stay apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncline.connectors.base import NativeRecord
from syncline.mapping import MatchThresholds
from syncline.matching import (
    Decision,
    Matcher,
    MatchRecord,
    MatchResult,
    PinnedPair,
    Thresholds,
    record_from_contact,
    record_from_party,
)
from syncline.matching import MatchConfig as MatcherConfig
from syncline.model import CanonicalEntity, Contact, Party


def match_record(
    native_id: str, data: CanonicalEntity, parties: Mapping[str, Party] | None = None
) -> MatchRecord | None:
    """The matcher's view of a party or contact (with its party, when ``parties`` holds it,
    by native id); None for entities fuzzy matching cannot read."""
    if isinstance(data, Party):
        return record_from_party(native_id, data)
    if isinstance(data, Contact):
        party = parties.get(data.party_id) if parties and data.party_id else None
        return record_from_contact(native_id, data, party)
    return None


def matcher_for(thresholds: MatchThresholds, default_country: str = "") -> Matcher:
    """The shipped matcher with a map's ``auto_link`` and ``review`` thresholds."""
    return Matcher(
        MatcherConfig(
            thresholds=Thresholds(
                auto_link=thresholds.auto_link,
                review=thresholds.review,
                new=min(0.2, thresholds.review),
            ),
            default_country=default_country,
        )
    )


@dataclass
class FuzzyOutcome:
    """Pairs to link (``a id``, ``b id``, score) and grey-zone candidates per side-a record."""

    links: list[MatchResult] = field(default_factory=list)
    reviews: dict[str, list[MatchResult]] = field(default_factory=dict)

    def held(self) -> tuple[set[str], set[str]]:
        """Side-a and side-b ids that wait for a person (neither linked nor created)."""
        a_ids = set(self.reviews)
        b_ids = {r.right_id for results in self.reviews.values() for r in results}
        return a_ids, b_ids


def _records(
    records: Mapping[str, NativeRecord], parties: Mapping[str, Party]
) -> list[MatchRecord]:
    result = []
    for native_id, record in records.items():
        if record.data is None:
            continue
        converted = match_record(native_id, record.data, parties)
        if converted is not None:
            result.append(converted)
    return result


def fuzzy_match(
    matcher: Matcher,
    left: Mapping[str, NativeRecord],
    right: Mapping[str, NativeRecord],
    *,
    pinned: Iterable[PinnedPair] = (),
    right_taken: Iterable[str] = (),
    many_to_one: bool = False,
    left_parties: Mapping[str, Party] | None = None,
    right_parties: Mapping[str, Party] | None = None,
) -> FuzzyOutcome:
    """Match side-a records ``left`` against side-b records ``right``.

    ``right_taken`` are side-b records already linked (offered only on a many-to-one map).
    ``left_parties`` and ``right_parties`` are each side's parties of its contacts, by native id.
    """
    outcome = FuzzyOutcome()
    left_records = _records(left, left_parties or {})
    right_records = _records(right, right_parties or {})
    if not left_records or not right_records:
        return outcome
    result = matcher.link(left_records, right_records, pinned=pinned)
    taken_b = set(right_taken)
    linked_a: set[str] = set()
    ranked = sorted(result.pairs(Decision.LINK), key=lambda r: (-r.score, r.left_id, r.right_id))
    losers: list[MatchResult] = []
    for pair in ranked:
        if pair.left_id in linked_a or (pair.right_id in taken_b and not many_to_one):
            losers.append(pair)
            continue
        outcome.links.append(pair)
        linked_a.add(pair.left_id)
        taken_b.add(pair.right_id)
    for pair in [*losers, *result.pairs(Decision.REVIEW)]:
        if pair.left_id in linked_a:
            continue
        outcome.reviews.setdefault(pair.left_id, []).append(pair)
    for results in outcome.reviews.values():
        results.sort(key=lambda r: -r.score)
    return outcome


def label(data: CanonicalEntity | None, party: Party | None = None) -> dict[str, Any]:
    """A few identifying values of a record, shown to the person deciding a review; for a
    contact, ``party`` gives its company."""
    if data is None:
        return {}
    values = data.canonical_values()
    keep = ("name", "first_name", "last_name", "vat_id", "emails", "email", "phones", "phone")
    shown = {k: values[k] for k in keep if values.get(k) not in (None, "", [], {})}
    if party is not None:
        shown["company"] = party.name
    addresses = values.get("addresses") or []
    if addresses:
        first = addresses[0]
        shown["address"] = " ".join(
            str(first.get(k) or "") for k in ("street", "postal_code", "city")
        ).strip()
    return shown


__all__ = ["FuzzyOutcome", "fuzzy_match", "label", "match_record", "matcher_for"]
