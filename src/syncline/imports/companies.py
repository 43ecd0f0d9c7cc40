"""Tying imported contacts to the party (CRM account) of their company.

The target system's parties are read once; the same read gives duplicate finding the party of
each existing contact (:meth:`CompanyLinker.parties_of`), also when tying is off. A row's
company and each party's name are compared in the matcher's normal form
(:func:`~syncline.matching.split_legal_form`, then :func:`~syncline.matching.loose`: case,
spaces, punctuation, ä/ae/a, legal form taken off), so "Müller GmbH", "müller gmbh",
"Mueller G.m.b.H." and "Müller" are one name. Two different legal forms written out
("Müller AG" and "Müller GmbH") are different companies. Among the parties of that name, those
with the row's legal form come first. Exactly one party: the contact gets its id; none: no
party, the company is listed as not found; several: no party, listed as ambiguous with the
candidates. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from syncline.connectors.base import Connector, NativeRecord
from syncline.imports.rows import ImportRow
from syncline.load.inventory import read_side
from syncline.load.report import NoProgress, Progress
from syncline.matching import loose, split_legal_form
from syncline.model import Contact, Party

PARTY = "party"
OFF_BY_CHOICE = "turned off (--no-company-link)"
_NOT_LETTER = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class CompanyKey:
    """A company name in normal form: ``name`` without its legal form, and that form folded to
    letters (``A/S`` and ``AS`` are one form) or ``""`` when none is written."""

    name: str
    form: str


def company_key(name: str, legal_form: str | None = None) -> CompanyKey:
    """The normal form of a company name; ``legal_form`` is used when the name has none."""
    split = split_legal_form(name)
    form = split.legal_form or legal_form or ""
    return CompanyKey(loose(split.name), _NOT_LETTER.sub("", form.casefold()))


@dataclass(frozen=True)
class PartyName:
    """A party of the target system that a company may be."""

    native_id: str
    name: str


PartyIndex = dict[str, list[tuple[str, PartyName]]]
"""Parties by normalised name: ``(legal form, party)`` pairs (see :class:`CompanyKey`)."""


@dataclass(frozen=True)
class CompanyMatch:
    """The parties a company matched: one is a tie, none not found, several ambiguous."""

    company: str
    parties: tuple[PartyName, ...]

    @property
    def party_id(self) -> str | None:
        """The party to tie to, when exactly one matched."""
        return self.parties[0].native_id if len(self.parties) == 1 else None


@dataclass
class CompanyTies:
    """What tying contacts to their companies did (or, in a dry run, would do).

    ``tied`` counts contacts written with a party; ``tied_afterwards`` those of them imported
    before without one (a re-run tied them; part of ``tied``); ``kept`` merges into a contact
    that has a party already (never replaced); ``not_found`` maps each company without a party
    (as first written in the file) to its number of rows; ``ambiguous`` each company with
    several to the candidates (``NAME (SYSTEM:ID)``). ``off`` says why nothing was tied, when
    it was off; ``system`` is the target system.
    """

    system: str = ""
    off: str | None = None
    tied: int = 0
    tied_afterwards: int = 0
    kept: int = 0
    not_found: dict[str, int] = field(default_factory=dict)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


class CompanyLinker:
    """Finds the party of a row's company in ``connector``'s system and counts the outcome
    in ``ties`` (shared when several linkers report into one summary)."""

    def __init__(
        self,
        connector: Connector,
        *,
        enabled: bool = True,
        ties: CompanyTies | None = None,
    ) -> None:
        self.connector = connector
        self.ties = ties if ties is not None else CompanyTies()
        self.off = off_reason(connector, enabled=enabled)
        self.ties.system = self.ties.system or connector.system
        if self.off is not None and self.ties.off is None:
            self.ties.off = self.off
        self.holds_parties = connector.capabilities.support(PARTY) is not None
        self._parties: PartyIndex | None = None
        self._of_contacts: dict[str, Party] = {}
        self._spelling: dict[CompanyKey, str] = {}

    def prepare(
        self,
        rows: Iterable[ImportRow],
        contacts: Iterable[Contact] = (),
        progress: Progress | None = None,
    ) -> None:
        """Read the parties now (once) when tying needs them (one of ``rows`` names a company)
        or duplicate finding does (one of the existing ``contacts`` has a party)."""
        wanted = {c.party_id for c in contacts if c.party_id}
        tying = self.off is None and any(r.company for r in rows)
        if self.holds_parties and self._parties is None and (tying or wanted):
            self._read(progress or NoProgress(), wanted)

    def parties_of(self) -> dict[str, Party]:
        """The parties of the existing contacts given to :meth:`prepare`, by native id (only
        those: a system's parties may be many); empty when they were not read."""
        return self._of_contacts

    def _read(self, progress: Progress, wanted: set[str] | None = None) -> PartyIndex:
        progress.phase(f"reading {self.connector.system} parties", None)
        records = read_side(self.connector, PARTY, "b", progress).records
        self._parties = index_parties(records)
        self._of_contacts = {
            native_id: party
            for native_id in wanted or ()
            if (record := records.get(native_id)) is not None
            and isinstance(party := record.data, Party)
        }
        return self._parties

    def find(self, company: str) -> CompanyMatch | None:
        """The parties ``company`` matches; None when tying is off or there is no company."""
        if self.off is not None or not company.strip():
            return None
        key = company_key(company)
        if not key.name:
            return None
        parties = self._parties if self._parties is not None else self._read(NoProgress())
        return CompanyMatch(company.strip(), matching(parties, key))

    def contact_for(self, row: ImportRow, match: CompanyMatch | None) -> Contact:
        """The contact to write for ``row``: tied to the party ``match`` found, if one.

        The row itself is left as it is: its fingerprint must not depend on tying."""
        party_id = match.party_id if match is not None else None
        if party_id is None:
            return row.contact
        return row.contact.model_copy(update={"party_id": party_id})

    def preview(
        self,
        creates: Iterable[ImportRow],
        merges: Iterable[tuple[ImportRow, Contact | None]],
        untied: Iterable[ImportRow] = (),
    ) -> None:
        """Count what writing would tie (a dry run): rows to create, rows to merge into the
        contacts given (None: a contact not read), and rows imported before whose contact has
        no party yet."""
        for row in creates:
            self.count(self.find(row.company))
        for row in untied:
            self.count(self.find(row.company), afterwards=True)
        for row, contact in merges:
            if contact is not None and contact.party_id:
                self.count(None, kept=bool(row.company.strip()))
            else:
                self.count(self.find(row.company))

    def count(
        self, match: CompanyMatch | None, *, kept: bool = False, afterwards: bool = False
    ) -> None:
        """Count one contact written (or, in a dry run, to be written) after ``match``;
        ``kept``: merged into a contact that already had a party; ``afterwards``: a contact
        imported before without a party."""
        if kept:
            self.ties.kept += 1
        elif match is None:
            return
        elif match.party_id is not None:
            self.ties.tied += 1
            self.ties.tied_afterwards += afterwards
        elif not match.parties:
            spelled = self._spelled(match.company)
            self.ties.not_found[spelled] = self.ties.not_found.get(spelled, 0) + 1
        else:
            system = self.connector.system
            self.ties.ambiguous.setdefault(
                self._spelled(match.company),
                [f"{p.name} ({system}:{p.native_id})" for p in match.parties],
            )

    def _spelled(self, company: str) -> str:
        """A company as first written in the file: one entry however it is spelled."""
        return self._spelling.setdefault(company_key(company), company)


def off_reason(connector: Connector, *, enabled: bool) -> str | None:
    """Why contacts imported into ``connector``'s system cannot be tied, or None."""
    system = connector.system
    if not enabled:
        return OFF_BY_CHOICE
    if connector.capabilities.support(PARTY) is None:
        return f"{system} holds no party entity (no accounts to tie contacts to)"
    contact = connector.capabilities.support("contact")
    if contact is not None and "party_id" in contact.unstored:
        return f"{system} contacts have no field for their party"
    return None


def index_parties(records: Mapping[str, NativeRecord]) -> PartyIndex:
    """Active parties by the normal form of their name, with their legal form."""
    index: PartyIndex = {}
    for native_id, record in records.items():
        party = record.data
        if isinstance(party, Party) and party.active:
            key = company_key(party.name, party.legal_form)
            index.setdefault(key.name, []).append((key.form, PartyName(native_id, party.name)))
    return index


def matching(index: PartyIndex, key: CompanyKey) -> tuple[PartyName, ...]:
    """The parties ``key`` may be: the same name with the same legal form if there are any,
    else the same name where one side writes no form. Differing written forms never match."""
    named = index.get(key.name, [])
    same = tuple(p for form, p in named if form == key.form)
    return same or tuple(p for form, p in named if not form or not key.form)


def shorten(names: Sequence[str], *, shown: int = 8, width: int = 40) -> str:
    """``names`` for a one-line summary: at most ``shown``, each cut to ``width`` characters."""
    cut = [n if len(n) <= width else n[: width - 1].rstrip() + "…" for n in names[:shown]]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(cut) + more


__all__ = [
    "OFF_BY_CHOICE",
    "PARTY",
    "CompanyKey",
    "CompanyLinker",
    "CompanyMatch",
    "CompanyTies",
    "PartyIndex",
    "PartyName",
    "company_key",
    "index_parties",
    "matching",
    "off_reason",
    "shorten",
]
