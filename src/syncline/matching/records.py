"""What the matcher compares: a generic record of named fields, and its normalised columns.

:class:`MatchRecord` is the matcher's input. Adapters build it from the canonical
:class:`~syncline.model.Party` and :class:`~syncline.model.Contact`; any other source (a file
import, a benchmark data set) fills the fields it has and leaves the rest empty. An empty field
is *missing*, which the scorer treats as neutral, never as a mismatch.

:func:`prepare_records` normalises a collection once into :class:`PreparedRecords`: one numpy
column per field, so blocking and scoring work on whole arrays instead of Python objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from syncline.matching.normalize import (
    fold,
    is_initial,
    loose,
    normalize_email,
    normalize_house_number,
    normalize_person_name,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_vat,
    split_legal_form,
)
from syncline.model import Address, AddressKind, Contact, Party

StrColumn = npt.NDArray[np.object_]
BoolColumn = npt.NDArray[np.bool_]
IntColumn = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One record to match, in raw (not yet normalised) form. Empty means missing.

    ``street`` may hold the house number ("Hauptstraße 12"); a separate ``house_number`` wins.
    ``numbers`` are the record's ids in other systems as ``(system, number)`` pairs, e.g.
    ``(("erp", "D10023"),)``: two records carrying the same system number are the same party.
    ``birth_date`` is any digit string the source has (``"19810314"``), compared as text.
    """

    id: str
    organisation: str = ""
    given_name: str = ""
    family_name: str = ""
    street: str = ""
    house_number: str = ""
    address_extra: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    vat_id: str = ""
    numbers: tuple[tuple[str, str], ...] = ()
    birth_date: str = ""


def _with_address(record: MatchRecord, address: Address | None) -> MatchRecord:
    if address is None:
        return record
    return replace(
        record,
        street=address.street,
        postal_code=address.postal_code,
        city=address.city,
        region=address.region or "",
        country=address.country or "",
    )


def record_from_party(record_id: str, party: Party) -> MatchRecord:
    """A :class:`MatchRecord` for an organisation (or a private customer kept as a party).

    Uses the billing address, else the first address; all e-mails, phones and system numbers.
    """
    address = party.address(AddressKind.BILLING) or (
        party.addresses[0] if party.addresses else None
    )
    name = party.name if not party.legal_form else f"{party.name} {party.legal_form}"
    record = MatchRecord(
        id=record_id,
        organisation=name,
        emails=tuple(party.emails),
        phones=tuple(party.phones),
        vat_id=party.vat_id or "",
        numbers=tuple(sorted(party.numbers.items())),
    )
    return _with_address(record, address)


def record_from_contact(
    record_id: str, contact: Contact, party: Party | None = None
) -> MatchRecord:
    """A :class:`MatchRecord` for a person; ``party`` (their organisation) adds its name and
    address, so that two people of the same name at different companies stay apart."""
    address = None
    if party is not None:
        address = party.address(AddressKind.BILLING) or (
            party.addresses[0] if party.addresses else None
        )
    phones = tuple(p for p in (contact.mobile, contact.phone) if p)
    record = MatchRecord(
        id=record_id,
        organisation=party.name if party is not None else "",
        given_name=contact.first_name,
        family_name=contact.last_name,
        emails=(contact.email,) if contact.email else (),
        phones=phones,
    )
    return _with_address(record, address)


@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    """A :class:`MatchRecord` after normalisation; comparison fields are in :func:`loose` form."""

    id: str
    organisation: str
    legal_form: str
    given_name: str
    given_is_initial: bool
    family_name: str
    street: str
    house_number: str
    address_extra: str
    postal_code: str
    city: str
    region: str
    country: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    vat_id: str
    numbers: tuple[str, ...]
    birth_date: str


_NOT_DIGIT = re.compile(r"\D+")
_Raw = TypeVar("_Raw", bound=Hashable)
_Normal = TypeVar("_Normal")


def _each(values: Sequence[_Raw], normalize: Callable[[_Raw], _Normal]) -> list[_Normal]:
    """``normalize`` of every value, computed once per distinct value (a collection repeats
    its towns, streets and names); equal values share one result object."""
    done = {value: normalize(value) for value in set(values)}
    return [done[value] for value in values]


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _organisation(name: str) -> tuple[str, str]:
    legal = split_legal_form(name)
    return loose(legal.name), legal.legal_form or ""


def _person_name(name: str) -> str:
    return loose(normalize_person_name(name))


def _emails(emails: tuple[str, ...]) -> tuple[str, ...]:
    return _unique(map(normalize_email, emails))


def _phones(phones_and_region: tuple[tuple[str, ...], str | None]) -> tuple[str, ...]:
    phones, region = phones_and_region
    return _unique(normalize_phone(raw, region) for raw in phones)


def _vat(vat_and_region: tuple[str, str | None]) -> str:
    vat, region = vat_and_region
    return (normalize_vat(vat, region) or "") if vat else ""


def _numbers(numbers: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(f"{system}:{number.strip()}" for system, number in numbers)


def _normalized_columns(
    records: Sequence[MatchRecord], default_country: str
) -> dict[str, list[Any]]:
    """Every field of :class:`NormalizedRecord` as one list over ``records``, each normaliser
    called once per distinct value of its field."""
    countries = _each([r.country or default_country for r in records], lambda c: c.strip().upper())
    regions = [country or None for country in countries]
    organisations = _each([r.organisation for r in records], _organisation)
    streets = _each([r.street for r in records], normalize_street)
    raw_houses = [r.house_number for r in records]
    houses = _each(raw_houses, normalize_house_number)
    given = _each([r.given_name for r in records], _person_name)
    columns: dict[str, list[Any]] = {
        "id": [r.id for r in records],
        "organisation": [name for name, _ in organisations],
        "legal_form": [form for _, form in organisations],
        "given_name": given,
        "given_is_initial": _each(given, is_initial),
        "family_name": _each([r.family_name for r in records], _person_name),
        "street": _each([street.name for street in streets], loose),
        # A separate house number wins over one in the street line.
        "house_number": [
            house if raw else street.number
            for raw, house, street in zip(raw_houses, houses, streets, strict=True)
        ],
        "address_extra": _each([r.address_extra for r in records], loose),
        "postal_code": _each([r.postal_code for r in records], normalize_postcode),
        "city": _each([r.city for r in records], loose),
        "region": _each([r.region for r in records], fold),
        "country": countries,
        "emails": _each([r.emails for r in records], _emails),
        "phones": _each(list(zip([r.phones for r in records], regions, strict=True)), _phones),
        "vat_id": _each(list(zip([r.vat_id for r in records], regions, strict=True)), _vat),
        "numbers": _each([r.numbers for r in records], _numbers),
        "birth_date": _each([r.birth_date for r in records], lambda d: _NOT_DIGIT.sub("", d)),
    }
    return columns


def normalize_record(record: MatchRecord, default_country: str = "") -> NormalizedRecord:
    """Normalise every field of ``record`` (see :mod:`syncline.matching.normalize`).

    ``default_country`` is the phone region and VAT prefix for a record without a country.
    """
    columns = _normalized_columns([record], default_country)
    return NormalizedRecord(**{name: values[0] for name, values in columns.items()})


SCALAR_FIELDS = (
    "organisation",
    "given_name",
    "family_name",
    "street",
    "house_number",
    "address_extra",
    "postal_code",
    "city",
    "region",
    "country",
    "vat_id",
    "birth_date",
)
"""Single-valued comparison fields, each one column of :class:`PreparedRecords`."""


def _first_letter(text: str) -> str:
    return text[:1]


def _column(values: Sequence[str]) -> StrColumn:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


@dataclass(frozen=True)
class PreparedRecords:
    """A normalised collection as columns. Index ``i`` of every column is record ``ids[i]``.

    ``email`` and ``phone`` hold the first value for scoring, ``given_initial`` the first letter
    of the given name; ``emails``, ``phones`` and
    ``numbers`` hold every value for the exact-key passes.
    """

    ids: list[str]
    columns: dict[str, StrColumn]
    given_is_initial: BoolColumn
    emails: list[tuple[str, ...]] = field(repr=False)
    phones: list[tuple[str, ...]] = field(repr=False)
    numbers: list[tuple[str, ...]] = field(repr=False)
    _codes: dict[str, tuple[IntColumn, StrColumn]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, name: str) -> tuple[IntColumn, StrColumn]:
        """Column ``name`` as integer codes and the distinct values they index; code 0 is the
        empty (missing) value. Computed once per column: scoring compares each distinct pair of
        values once, however many candidate pairs share it."""
        cached = self._codes.get(name)
        if cached is None:
            lookup: dict[str, int] = {"": 0}
            column = self.columns[name]
            codes = np.fromiter(
                (lookup.setdefault(v, len(lookup)) for v in column.tolist()),
                dtype=np.int64,
                count=len(column),
            )
            cached = (codes, _column(list(lookup)))
            self._codes[name] = cached
        return cached

    def column(self, name: str) -> StrColumn:
        """The column ``name`` (one of :data:`SCALAR_FIELDS`, ``email`` or ``phone``)."""
        return self.columns[name]

    @classmethod
    def from_normalized(cls, records: Sequence[NormalizedRecord]) -> PreparedRecords:
        """Columns from already normalised records."""
        names = [f.name for f in fields(NormalizedRecord)]
        return cls.from_columns({name: [getattr(r, name) for r in records] for name in names})

    @classmethod
    def from_columns(cls, normalized: dict[str, list[Any]]) -> PreparedRecords:
        """Columns from normalised values, one list per field of :class:`NormalizedRecord`."""
        columns = {name: _column(normalized[name]) for name in SCALAR_FIELDS}
        columns["email"] = _column([e[0] if e else "" for e in normalized["emails"]])
        columns["phone"] = _column([p[0] if p else "" for p in normalized["phones"]])
        columns["given_initial"] = _column(_each(normalized["given_name"], _first_letter))
        return cls(
            ids=normalized["id"],
            columns=columns,
            given_is_initial=np.asarray(normalized["given_is_initial"], dtype=np.bool_),
            emails=normalized["emails"],
            phones=normalized["phones"],
            numbers=normalized["numbers"],
        )

    @classmethod
    def concat(cls, first: PreparedRecords, second: PreparedRecords) -> PreparedRecords:
        """``first`` followed by ``second`` (record ``i`` of ``second`` at ``len(first) + i``)."""
        return cls(
            ids=first.ids + second.ids,
            columns={
                name: np.concatenate([first.columns[name], second.columns[name]])
                for name in first.columns
            },
            given_is_initial=np.concatenate([first.given_is_initial, second.given_is_initial]),
            emails=first.emails + second.emails,
            phones=first.phones + second.phones,
            numbers=first.numbers + second.numbers,
        )


def prepare_records(records: Iterable[MatchRecord], default_country: str = "") -> PreparedRecords:
    """Normalise ``records`` once into columns ready for blocking and scoring.

    Each normaliser runs once per distinct value of its field; repeated values (cities,
    streets, common names) share one string object.
    """
    listed = records if isinstance(records, Sequence) else list(records)
    return PreparedRecords.from_columns(_normalized_columns(listed, default_country))
