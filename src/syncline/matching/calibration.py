"""Estimates taken from the data being matched: how often a trap of customer data occurs in it.

The weights of :class:`~syncline.matching.scoring.ScoringConfig` are fixed; the data decides
only how much two traps apply. Both are pairs at one address where one name agrees and the
other clearly differs:

* *household-like*: the same family name, a different first name. In customer data these are
  two members of one family, who must stay apart; in a file whose records were retyped with
  replaced first names they are one person twice;
* *renamed*: the same first name, a different family name. In customer data mostly two
  people at one address who happen to share a first name; in a retyped file, one person.

Which of the two a data set holds shows in such pairs whose distinguishing fields (birth date,
VAT id) can be compared: different people disagree on them, copies of one person agree. (Not
e-mails: a couple may share one.)
:func:`calibrate` counts them, for each pattern:

    match_rate = agreeing / ((comparable + prior_pairs) * agreement_among_matches)

``agreement_among_matches`` is how often those fields agree between records with the
same first name, family name and address (nearly always the same person), which corrects for
typos in e-mails and dates; too few such pairs, or fields that rarely agree even there, and
there is no estimate. ``prior_pairs`` pseudo-pairs of different people pull the estimate
towards 0, so a small data set, or one without such fields, is scored as customer data.
No one sets these rates: the same computation runs on every match, on the candidate pairs of
the data being matched, like the m- and u-probabilities that Fellegi-Sunter matchers estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from syncline.matching.records import PreparedRecords
from syncline.matching.similarity import JARO_WINKLER, given_name_similarity, similarity

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

IDENTIFYING_FIELDS = ("email", "vat_id", "birth_date")
"""Fields whose agreement identifies a person beyond doubt (a shared landline does not)."""
DISTINGUISHING_FIELDS = ("vat_id", "birth_date")
"""Fields that tell family members apart when both records have them (e-mails do not: a
couple may share one, and one person has several)."""
MAX_SHARED = 10
"""A birth date or VAT id held by more records than this (or than one in a thousand) is a
placeholder, not a person's."""
MIN_AGREEMENT_AMONG_MATCHES = 0.5
"""Birth dates or VAT ids that agree less often than this between records of one name at one
address tell nothing (filled in at random, say): no estimate then."""


@dataclass(frozen=True)
class Calibration:
    """What the data being matched says about its traps; see the module docstring.

    ``household_match_rate``: estimated share of household-like pairs that are one person;
    ``renamed_match_rate``: the same for renamed pairs. Both in [0, 1]; 0 (the default) treats
    every such pair as two people.
    """

    household_match_rate: float = 0.0
    renamed_match_rate: float = 0.0


def _distinguishing(
    records: PreparedRecords, left: IntArray, right: IntArray
) -> tuple[BoolArray, BoolArray]:
    """Pairs where a distinguishing field is on both sides, and where one of those agrees. A
    value that many records share (a placeholder birth date "1900-01-01") tells nothing and
    counts as missing."""
    comparable = np.zeros(len(left), dtype=np.bool_)
    agrees = np.zeros(len(left), dtype=np.bool_)
    common = max(MAX_SHARED, len(records) // 1000)
    for name in DISTINGUISHING_FIELDS:
        codes = records.codes(name)[0]
        usable = np.bincount(codes) <= common
        usable[0] = False
        a, b = codes[left], codes[right]
        both = usable[a] & usable[b]
        comparable |= both
        agrees |= both & (a == b)
    return comparable, agrees


def _rate(
    conflict: BoolArray, agrees: BoolArray, prior_pairs: float, agreement_among_matches: float
) -> float:
    observed = int(conflict.sum())
    if observed == 0:
        return 0.0
    agreeing = int((conflict & agrees).sum())
    return min(1.0, agreeing / ((observed + prior_pairs) * agreement_among_matches))


def calibrate(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    *,
    given_conflict: float,
    family_conflict: float,
    prior_pairs: float,
    workers: int,
) -> Calibration:
    """Estimates from the candidate pairs ``(left[k], right[k])`` of ``records``.

    ``given_conflict`` and ``family_conflict``: similarities at or below which two first or
    family names differ (the ``low`` of the scoring's name weights); ``prior_pairs``: see the
    module docstring.
    """
    street, house = records.codes("street")[0], records.codes("house_number")[0]
    # Cheap integer comparisons first: only pairs at one address (the same street, the same
    # house number unless one is missing) with a distinguishing field on both sides go on.
    at_address = (street[left] == street[right]) & (street[left] != 0)
    at_address &= (house[left] == house[right]) | (house[left] == 0) | (house[right] == 0)
    left, right = left[at_address], right[at_address]
    comparable, agrees = _distinguishing(records, left, right)
    left, right, agrees = left[comparable], right[comparable], agrees[comparable]
    given = records.codes("given_name")[0]
    family = records.codes("family_name")[0]
    initial = records.given_is_initial
    named = (given[left] != 0) & (given[right] != 0) & ~initial[left] & ~initial[right]
    named &= (family[left] != 0) & (family[right] != 0)
    same_given = named & (given[left] == given[right])
    same_family = named & (family[left] == family[right])
    reference = same_given & same_family
    if reference.sum() < max(prior_pairs, 1):
        return Calibration()
    agreement_among_matches = float(agrees[reference].mean())
    if agreement_among_matches < MIN_AGREEMENT_AMONG_MATCHES:
        return Calibration()
    household = same_family & ~same_given
    if household.any():
        sim, _, _ = given_name_similarity(
            records, left[household], right[household], workers=workers
        )
        household[household] = sim <= given_conflict
    renamed = same_given & ~same_family
    if renamed.any():
        sim, _ = similarity(
            records,
            JARO_WINKLER,
            ("family_name", "family_name"),
            left[renamed],
            right[renamed],
            workers=workers,
        )
        renamed[renamed] = sim <= family_conflict
    return Calibration(
        household_match_rate=_rate(household, agrees, prior_pairs, agreement_among_matches),
        renamed_match_rate=_rate(renamed, agrees, prior_pairs, agreement_among_matches),
    )
