"""Blocking: which record pairs are worth scoring at all.

Comparing every record with every other grows with the square of the collection. Instead each
*pass* gives every record a key and pairs records whose keys are equal (exact passes) or close
in sort order (sorted-neighbourhood passes). A block larger than ``max_block_size`` is not
compared all-with-all: its records are sorted by a second key and each is paired only with its
``max_block_size - 1`` nearest neighbours, so the number of candidate pairs stays below
``records x passes x max_block_size`` whatever the data: near-linear cost.

Several passes on different fields make the result robust: a typo in the family name still
meets its twin through the e-mail, the phone number or the house number at the same postcode.

Keys are integers built from the columns' value codes (:meth:`PreparedRecords.codes`): a
derived key part (the sound of a name, the first letters of a town) is computed once per
distinct value, never once per record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntFlag
from functools import cached_property

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from syncline.matching.normalize import phonetic_key
from syncline.matching.records import PreparedRecords

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class BlockingPass(IntFlag):
    """The passes that can propose a pair; a pair records every pass that proposed it."""

    NUMBER = 1
    VAT_ID = 2
    EMAIL = 4
    PHONE = 8
    NAME_POSTCODE = 16
    HOUSE_POSTCODE = 32
    STREET_CITY = 64
    NAME_INITIAL = 128
    BIRTH_DATE = 256
    NAME_NEIGHBOURS = 512
    ADDRESS_NEIGHBOURS = 1024


EXACT_KEY_PASSES = (
    BlockingPass.NUMBER | BlockingPass.VAT_ID | BlockingPass.EMAIL | BlockingPass.PHONE
)
"""Passes on identifying keys: the deterministic keys of ARCHITECTURE.md §3.5."""


class BlockingConfig(BaseModel):
    """How many candidate pairs blocking may propose.

    ``max_block_size``: records of one key compared all-with-all; larger blocks fall back to
    that many sorted neighbours. ``neighbourhood_window``: window of the sorted-neighbourhood
    passes over the whole collection.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_block_size: int = Field(default=8, ge=2, le=1000)
    neighbourhood_window: int = Field(default=3, ge=2, le=100)


@dataclass(frozen=True)
class CandidatePairs:
    """Candidate pairs as parallel arrays: record indexes ``left[k] < right[k]`` (in the
    combined index space) and the bit mask of :class:`BlockingPass` that proposed them."""

    left: IntArray
    right: IntArray
    passes: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.left)


@dataclass(frozen=True)
class _Keys:
    """One pass's keys: ``rows[k]`` (a record index) has key ``keys[k]``; a record may have
    several. For an exact pass equal keys pair up; for a sorted-neighbourhood pass ``keys`` is
    the sort order."""

    rows: IntArray
    keys: IntArray


def _present(keys: IntArray, valid: BoolArray) -> _Keys:
    rows = np.flatnonzero(valid).astype(np.int64)
    return _Keys(rows, keys[rows])


def _concat(*parts: _Keys) -> _Keys:
    return _Keys(np.concatenate([p.rows for p in parts]), np.concatenate([p.keys for p in parts]))


def _factorize(values: Sequence[str]) -> IntArray:
    """Equal strings get equal codes; ``""`` gets 0."""
    lookup: dict[str, int] = {"": 0}
    return np.fromiter(
        (lookup.setdefault(v, len(lookup)) for v in values), dtype=np.int64, count=len(values)
    )


def _multi(values: Sequence[tuple[str, ...]]) -> _Keys:
    rows: list[int] = []
    keys: list[str] = []
    for i, several in enumerate(values):
        for value in several:
            rows.append(i)
            keys.append(value)
    return _Keys(np.asarray(rows, dtype=np.int64), _factorize(keys))


def _every_value(c: _Columns, column: str, values: Sequence[tuple[str, ...]]) -> _Keys:
    """Keys from every value of a multi-valued field whose first values are column ``column``
    (e-mails, phones): the column's codes, plus the few records with more than one value."""
    codes, distinct = c.records.codes(column)
    first = _present(codes, codes != 0)
    extra = [(i, v) for i, several in enumerate(values) if len(several) > 1 for v in several[1:]]
    if not extra:
        return first
    lookup = {value: code for code, value in enumerate(distinct.tolist())}
    more = [lookup.setdefault(v, len(lookup)) for _, v in extra]
    return _concat(
        first,
        _Keys(np.asarray([i for i, _ in extra], dtype=np.int64), np.asarray(more, dtype=np.int64)),
    )


def _combine(*parts: IntArray) -> IntArray:
    """One integer per row that is equal exactly where all ``parts`` are equal. Keys from two
    calls are not comparable: combine everything that must meet in one call."""
    key = parts[0].astype(np.int64)
    for part in parts[1:]:
        size = int(part.max(initial=0)) + 1
        if int(key.max(initial=0)) >= np.iinfo(np.int64).max // size:
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
        key = key * size + part
    return key


Transform = Callable[[str], str]


class _Columns:
    """Derived key parts of a collection, each computed once per distinct value."""

    def __init__(self, records: PreparedRecords) -> None:
        self.records = records

    def code(self, name: str) -> IntArray:
        return self.records.codes(name)[0]

    @cached_property
    def name_keys(self) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
        """See :func:`_name_keys` (two passes use them)."""
        return _name_keys(self)

    def derived(self, *specs: tuple[str, Transform]) -> list[IntArray]:
        """For each ``(column, transform)``, the transformed value of every record as codes in
        one space shared by all ``specs`` (equal results, equal codes); empty stays 0."""
        tables = [(self.records.codes(name), transform) for name, transform in specs]
        results = [
            transform(v) if v else "" for (_, values), transform in tables for v in values.tolist()
        ]
        codes = _factorize(results)
        out: list[IntArray] = []
        start = 0
        for (record_codes, values), _ in tables:
            out.append(codes[start : start + len(values)][record_codes])
            start += len(values)
        return out

    def rank(self, *names: str) -> list[IntArray]:
        """The value of columns ``names`` of every record as its rank in one sort order of all
        their distinct values (equal strings, equal ranks; the empty value lowest)."""
        tables = [self.records.codes(name) for name in names]
        values = np.concatenate([v for _, v in tables]).astype(str)
        distinct = np.unique(values)
        rank = np.searchsorted(distinct, values).astype(np.int64)
        out: list[IntArray] = []
        start = 0
        for record_codes, column_values in tables:
            out.append(rank[start : start + len(column_values)][record_codes])
            start += len(column_values)
        return out


def _compact(length: int) -> Transform:
    return lambda text: text.replace(" ", "")[:length]


def _phonetic(length: int) -> Transform:
    return lambda text: phonetic_key(text, length)


def _first_letter(text: str) -> str:
    return text[:1]


def _name_keys(c: _Columns) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """The name key of every record, and a second key of every person with both names.

    The name key: a person by the sound of the family name and the first letter of the given
    name, an organisation by the sound and the first letters of its name. The second key is
    the other way round, the sound of the given name and the first letter of the family name:
    it meets the name key of a twin whose names were entered swapped ("Hansen Ole" as given
    name "Hansen", family name "Ole"), and the second key of a twin with a typo in the family
    name. Returns both keys and where each exists.
    """
    family_sound, given_sound = c.derived(
        ("family_name", _phonetic(5)), ("given_name", _phonetic(5))
    )
    family_letter, given_letter = c.derived(
        ("family_name", _first_letter), ("given_name", _first_letter)
    )
    org_sound, org_start = c.derived(("organisation", _phonetic(6)), ("organisation", _compact(4)))
    person = c.code("family_name") != 0
    organisation = ~person & (c.code("organisation") != 0)
    n = len(person)
    # Both orders in one call, so that their codes are comparable.
    both = _combine(
        np.concatenate([family_sound, given_sound]), np.concatenate([given_letter, family_letter])
    )
    # Even keys for people, odd keys for organisations: the two never meet.
    key = np.where(person, both[:n] * 2, _combine(org_sound, org_start) * 2 + 1)
    swapped = both[n:] * 2
    has_swapped = person & (c.code("given_name") != 0) & (swapped != key)
    return key, swapped, person | organisation, has_swapped


def _by_name(c: _Columns, place: IntArray, valid: BoolArray) -> _Keys:
    """Both name keys of every record combined with ``place`` (a postcode, a town)."""
    key, swapped, named, has_swapped = c.name_keys
    n = len(key)
    both = _combine(np.concatenate([key, swapped]), np.concatenate([place, place]))
    main = _present(both[:n], named & valid)
    other = _present(both[n:], has_swapped & valid)
    return _concat(main, other)


def _name_postcode(c: _Columns) -> _Keys:
    postcode = c.code("postal_code")
    return _by_name(c, postcode, postcode != 0)


def _name_initial(c: _Columns) -> _Keys:
    # Name and town: finds the twin whose postcode is missing or mistyped.
    (town,) = c.derived(("city", _compact(3)))
    return _by_name(c, town, np.ones(len(town), dtype=np.bool_))


def _house_postcode(c: _Columns) -> _Keys:
    # The first letter of the street keeps one block per building, not per postcode and number;
    # the second address line's first letter too, for lines entered the other way round.
    street_letter, extra_letter = c.derived(
        ("street", _first_letter), ("address_extra", _first_letter)
    )
    postcode, house = c.code("postal_code"), c.code("house_number")
    n = len(postcode)
    valid = (postcode != 0) & (house != 0)
    both = _combine(
        np.concatenate([postcode, postcode]),
        np.concatenate([house, house]),
        np.concatenate([street_letter, extra_letter]),
    )
    by_street = _present(both[:n], valid & (street_letter != 0))
    other = valid & (extra_letter != 0) & (extra_letter != street_letter)
    return _concat(by_street, _present(both[n:], other))


def _street_city(c: _Columns) -> _Keys:
    street, town = c.derived(("street", _compact(5)), ("city", _compact(4)))
    key = _combine(street, c.code("house_number"), town)
    return _present(key, (street != 0) & (town != 0))


def _day_month_swapped(date: str) -> str:
    return f"{date[:4]}{date[6:8]}{date[4:6]}" if len(date) == 8 else date


def _birth_date(c: _Columns) -> _Keys:
    # The date as written and with day and month swapped (both orders occur in customer data).
    written, turned = c.derived(("birth_date", str), ("birth_date", _day_month_swapped))
    return _concat(
        _present(written, written != 0), _present(turned, (turned != 0) & (turned != written))
    )


def _sorted(order: IntArray, valid: BoolArray) -> _Keys:
    """Keys of a sorted-neighbourhood pass: the position in ``order`` of each valid record."""
    rows = order[valid[order]].astype(np.int64)
    return _Keys(rows, np.arange(len(rows), dtype=np.int64))


def _name_sorted(c: _Columns) -> _Keys:
    # By "family given", else the organisation, else the given name alone.
    family, organisation, given = c.rank("family_name", "organisation", "given_name")
    person = c.code("family_name") != 0
    organised = c.code("organisation") != 0
    primary = np.where(person, family, np.where(organised, organisation, given))
    order = np.lexsort((np.where(person, given, 0), primary))
    return _sorted(order, primary != 0)


def _address_sorted(c: _Columns) -> _Keys:
    (street,) = c.rank("street")
    (house,) = c.rank("house_number")
    (postcode,) = c.rank("postal_code")
    order = np.lexsort((postcode, house, street))
    return _sorted(order, c.code("street") != 0)


@dataclass(frozen=True)
class _Pass:
    flag: BlockingPass
    keys: Callable[[_Columns], _Keys]
    exact: bool


PASSES: tuple[_Pass, ...] = (
    _Pass(BlockingPass.NUMBER, lambda c: _multi(c.records.numbers), exact=True),
    _Pass(BlockingPass.VAT_ID, lambda c: _present(c.code("vat_id"), c.code("vat_id") != 0), True),
    _Pass(BlockingPass.EMAIL, lambda c: _every_value(c, "email", c.records.emails), exact=True),
    _Pass(BlockingPass.PHONE, lambda c: _every_value(c, "phone", c.records.phones), exact=True),
    _Pass(BlockingPass.NAME_POSTCODE, _name_postcode, exact=True),
    _Pass(BlockingPass.HOUSE_POSTCODE, _house_postcode, exact=True),
    _Pass(BlockingPass.STREET_CITY, _street_city, exact=True),
    _Pass(BlockingPass.NAME_INITIAL, _name_initial, exact=True),
    _Pass(BlockingPass.BIRTH_DATE, _birth_date, exact=True),
    _Pass(BlockingPass.NAME_NEIGHBOURS, _name_sorted, exact=False),
    _Pass(BlockingPass.ADDRESS_NEIGHBOURS, _address_sorted, exact=False),
)


def _secondary_rank(c: _Columns) -> IntArray:
    # Orders records inside an oversized block so that likely twins end up next to each other.
    (street,) = c.rank("street")
    (house,) = c.rank("house_number")
    given, family = c.rank("given_name", "family_name")
    order = np.lexsort((family, given, house, street))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _pass_pairs(keys: _Keys, exact: bool, window: int, rank: IntArray) -> tuple[IntArray, IntArray]:
    empty = np.empty(0, dtype=np.int64)
    if len(keys.rows) < 2:
        return empty, empty
    if exact:
        order = np.lexsort((rank[keys.rows], keys.keys))
    else:
        order = np.argsort(keys.keys, kind="stable")
    rows = keys.rows[order]
    primary = keys.keys[order]
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for k in range(1, min(window, len(order))):
        a, b = rows[:-k], rows[k:]
        if exact:
            same = primary[:-k] == primary[k:]
            if not same.any():
                break
            a, b = a[same], b[same]
        lefts.append(a)
        rights.append(b)
    if not lefts:
        return empty, empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return np.minimum(left, right), np.maximum(left, right)


def candidate_pairs(
    records: PreparedRecords,
    config: BlockingConfig | None = None,
    *,
    split: int | None = None,
) -> CandidatePairs:
    """Candidate pairs of ``records`` proposed by any blocking pass, each pair once.

    Deduplication within one collection when ``split`` is None; otherwise ``records`` is two
    collections one after the other (see :meth:`PreparedRecords.concat`), the first holding
    indexes ``< split``, and only pairs across the two are returned (left from the first).
    """
    config = config or BlockingConfig()
    n = len(records)
    columns = _Columns(records)
    rank = _secondary_rank(columns)
    codes: list[IntArray] = []
    flags: list[npt.NDArray[np.int32]] = []
    for spec in PASSES:
        window = config.max_block_size if spec.exact else config.neighbourhood_window
        left, right = _pass_pairs(spec.keys(columns), spec.exact, window, rank)
        keep = left != right
        if split is not None:
            keep &= (left < split) & (right >= split)
        left, right = left[keep], right[keep]
        codes.append(left * n + right)
        flags.append(np.full(len(left), int(spec.flag), dtype=np.int32))
    all_codes = np.concatenate(codes)
    all_flags = np.concatenate(flags)
    if not len(all_codes):  # one record, or none any pass puts beside another
        return CandidatePairs(left=all_codes, right=all_codes, passes=all_flags)
    order = np.argsort(all_codes, kind="stable")
    all_codes, all_flags = all_codes[order], all_flags[order]
    starts: IntArray = np.flatnonzero(np.r_[True, all_codes[1:] != all_codes[:-1]])
    unique = all_codes[starts]
    merged = np.bitwise_or.reduceat(all_flags, starts).astype(np.int32)
    return CandidatePairs(left=unique // n, right=unique % n, passes=merged)


def blocking_recall(pairs: CandidatePairs, true_pairs: set[tuple[int, int]]) -> float:
    """Share of ``true_pairs`` (index pairs, smaller first) that blocking proposed."""
    if not true_pairs:
        return 1.0
    proposed = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    return len(true_pairs & proposed) / len(true_pairs)
