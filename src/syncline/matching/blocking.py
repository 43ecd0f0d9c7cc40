"""Blocking: which record pairs are worth scoring at all.

Comparing every record with every other grows with the square of the collection. Instead each
*pass* gives every record a key and pairs records whose keys are equal (exact passes) or close
in sort order (sorted-neighbourhood passes). A block larger than ``max_block_size`` is not
compared all-with-all: its records are sorted by a second key and each is paired only with its
``max_block_size - 1`` nearest neighbours, so the number of candidate pairs stays below
``records x passes x max_block_size`` whatever the data: near-linear cost.

Several passes on different fields make the result robust: a typo in the family name still
meets its twin through the e-mail, the phone number or the house number at the same postcode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntFlag

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from syncline.matching.normalize import phonetic_key
from syncline.matching.records import PreparedRecords

IntArray = npt.NDArray[np.int64]


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


Keys = tuple[list[int], list[str]]


@dataclass(frozen=True)
class _Pass:
    flag: BlockingPass
    keys: Callable[[dict[str, list[str]], PreparedRecords], Keys]
    exact: bool


def _rows(values: Sequence[str]) -> Keys:
    rows = [i for i, v in enumerate(values) if v]
    return rows, [values[i] for i in rows]


def _multi(values: Sequence[tuple[str, ...]]) -> Keys:
    rows: list[int] = []
    keys: list[str] = []
    for i, several in enumerate(values):
        for value in several:
            rows.append(i)
            keys.append(value)
    return rows, keys


def _compact(text: str, length: int) -> str:
    return text.replace(" ", "")[:length]


def _name_key(family: str, given_initial: str, org: str) -> str:
    # A person by the sound of the family name and the first letter of the given name; an
    # organisation by the sound and the first letters of its name.
    if family:
        return f"{phonetic_key(family, 5)}|{given_initial}"
    return f"#{phonetic_key(org, 6)}|{_compact(org, 4)}" if org else ""


def _name_postcode(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    return _rows(
        [
            f"{_name_key(family, initial, org)}|{postcode}" if postcode else ""
            for family, initial, org, postcode in zip(
                c["family_name"],
                c["given_initial"],
                c["organisation"],
                c["postal_code"],
                strict=True,
            )
        ]
    )


def _house_postcode(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    # The first letter of the street keeps one block per building, not per postcode and number.
    return _rows(
        [
            f"{postcode}|{house}|{street[:1]}" if postcode and house else ""
            for postcode, house, street in zip(
                c["postal_code"], c["house_number"], c["street"], strict=True
            )
        ]
    )


def _street_city(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    return _rows(
        [
            f"{_compact(street, 5)}|{house}|{_compact(city, 4)}" if street and city else ""
            for street, house, city in zip(c["street"], c["house_number"], c["city"], strict=True)
        ]
    )


def _name_initial(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    # Name and town: finds the twin whose postcode is missing or mistyped.
    return _rows(
        [
            f"{_name_key(family, initial, org)}|{_compact(city, 3)}" if family or org else ""
            for family, initial, org, city in zip(
                c["family_name"], c["given_initial"], c["organisation"], c["city"], strict=True
            )
        ]
    )


def _birth_date(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    # The date as written and with day and month swapped (both orders occur in customer data).
    return _multi(
        [
            (date, f"{date[:4]}{date[6:8]}{date[4:6]}")
            if len(date) == 8
            else (date,)
            if date
            else ()
            for date in c["birth_date"]
        ]
    )


def _name_sorted(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    return _rows(
        [
            f"{family} {given}".strip() or org
            for family, given, org in zip(
                c["family_name"], c["given_name"], c["organisation"], strict=True
            )
        ]
    )


def _address_sorted(c: dict[str, list[str]], p: PreparedRecords) -> Keys:
    return _rows(
        [
            f"{street} {house} {postcode}" if street else ""
            for street, house, postcode in zip(
                c["street"], c["house_number"], c["postal_code"], strict=True
            )
        ]
    )


PASSES: tuple[_Pass, ...] = (
    _Pass(BlockingPass.NUMBER, lambda c, p: _multi(p.numbers), exact=True),
    _Pass(BlockingPass.VAT_ID, lambda c, p: _rows(c["vat_id"]), exact=True),
    _Pass(BlockingPass.EMAIL, lambda c, p: _multi(p.emails), exact=True),
    _Pass(BlockingPass.PHONE, lambda c, p: _multi(p.phones), exact=True),
    _Pass(BlockingPass.NAME_POSTCODE, _name_postcode, exact=True),
    _Pass(BlockingPass.HOUSE_POSTCODE, _house_postcode, exact=True),
    _Pass(BlockingPass.STREET_CITY, _street_city, exact=True),
    _Pass(BlockingPass.NAME_INITIAL, _name_initial, exact=True),
    _Pass(BlockingPass.BIRTH_DATE, _birth_date, exact=True),
    _Pass(BlockingPass.NAME_NEIGHBOURS, _name_sorted, exact=False),
    _Pass(BlockingPass.ADDRESS_NEIGHBOURS, _address_sorted, exact=False),
)


def _secondary_rank(c: dict[str, list[str]]) -> IntArray:
    # Orders records inside an oversized block so that likely twins end up next to each other.
    text = np.asarray(
        [
            f"{s}|{h}|{g}|{f}"
            for s, h, g, f in zip(
                c["street"], c["house_number"], c["given_name"], c["family_name"], strict=True
            )
        ]
    )
    rank = np.empty(len(text), dtype=np.int64)
    rank[np.argsort(text, kind="stable")] = np.arange(len(text))
    return rank


def _key_codes(values: Sequence[str]) -> IntArray:
    # Equal keys get equal integer codes; sorting integers is much faster than sorting strings.
    lookup: dict[str, int] = {}
    return np.fromiter(
        (lookup.setdefault(v, len(lookup)) for v in values), dtype=np.int64, count=len(values)
    )


def _pass_pairs(keys: Keys, exact: bool, window: int, rank: IntArray) -> tuple[IntArray, IntArray]:
    rows, values = keys
    empty = np.empty(0, dtype=np.int64)
    if len(rows) < 2:
        return empty, empty
    row_array = np.asarray(rows, dtype=np.int64)
    if exact:
        primary = _key_codes(values)
        order = np.lexsort((rank[row_array], primary))
    else:
        primary = np.zeros(len(rows), dtype=np.int64)
        order = np.argsort(np.asarray(values, dtype=str), kind="stable")
    sorted_rows = row_array[order]
    sorted_primary = primary[order]
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for k in range(1, min(window, len(order))):
        a, b = sorted_rows[:-k], sorted_rows[k:]
        if exact:
            same = sorted_primary[:-k] == sorted_primary[k:]
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
    columns: dict[str, list[str]] = {name: col.tolist() for name, col in records.columns.items()}
    rank = _secondary_rank(columns)
    codes: list[IntArray] = []
    flags: list[npt.NDArray[np.int32]] = []
    for spec in PASSES:
        window = config.max_block_size if spec.exact else config.neighbourhood_window
        left, right = _pass_pairs(spec.keys(columns, records), spec.exact, window, rank)
        keep = left != right
        if split is not None:
            keep &= (left < split) & (right >= split)
        left, right = left[keep], right[keep]
        codes.append(left * n + right)
        flags.append(np.full(len(left), int(spec.flag), dtype=np.int32))
    all_codes = np.concatenate(codes)
    all_flags = np.concatenate(flags)
    order = np.argsort(all_codes, kind="stable")
    all_codes, all_flags = all_codes[order], all_flags[order]
    starts: IntArray = np.flatnonzero(np.r_[True, all_codes[1:] != all_codes[:-1]])
    unique = all_codes[starts]
    merged = (
        np.bitwise_or.reduceat(all_flags, starts).astype(np.int32)
        if len(all_codes)
        else np.empty(0, dtype=np.int32)
    )
    return CandidatePairs(left=unique // n, right=unique % n, passes=merged)


def blocking_recall(pairs: CandidatePairs, true_pairs: set[tuple[int, int]]) -> float:
    """Share of ``true_pairs`` (index pairs, smaller first) that blocking proposed."""
    if not true_pairs:
        return 1.0
    proposed = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    return len(true_pairs & proposed) / len(true_pairs)
