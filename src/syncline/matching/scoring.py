"""Scoring: how likely two records are the same party, as a number in [0, 1].

Each field is compared with a rapidfuzz similarity (Jaro-Winkler for names, token-sorted
ratio for organisation names, edit distance with transpositions (OSA) for streets, house
numbers, postcodes and dates, equality for e-mail, phone and VAT id). Each distinct pair of
values is compared once, whatever the number of candidate pairs that share it, so the cost
follows the distinct value pairs. A field's similarity becomes *evidence* in log-odds units:
at or above ``high`` it adds ``agree``, at or below ``low`` it subtracts ``disagree``, in
between it is interpolated. A field missing on either side adds nothing: missing is neutral,
not a mismatch. The score is the logistic function of ``bias`` plus all evidence, so it is
symmetric in the two records and always in [0, 1].

The traps of real customer data are handled explicitly:

* family members or branches at one address: a clearly different first name outweighs a shared
  address, family name and landline (a first name more than one typo away is different, however
  alike it starts: "Urs"/"Ursina"); a different organisation name outweighs a shared address;
* namesakes in one town: different e-mail addresses and phone numbers count against a match;
* a name and a town alone: at least one of street, house number, e-mail, phone, birth date
  or VAT id must agree for an automatic link, else the pair is flagged *ambiguous*;
* initials: "J." is compatible with "Jens" and "Jan" but is weak evidence; a pair whose person
  is only known by an initial (or by no first name) is flagged *ambiguous* unless an identifying
  field (e-mail, birth date, VAT id) agrees, and an ambiguous pair is never linked automatically;
* swapped first and last names are compared crosswise;
* street types, transliteration and case are handled by normalisation before scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from syncline.matching.records import PreparedRecords

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class FieldWeight(BaseModel):
    """Evidence of one field in log-odds units; see the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agree: float = Field(ge=0)
    disagree: float = Field(ge=0)
    high: float = Field(default=1.0, ge=0, le=1)
    low: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> FieldWeight:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class ScoringConfig(BaseModel):
    """Field weights and the bias of the combined score. The shipped defaults serve persons,
    contacts and organisations in all supported countries; change them only with a benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bias: float = -6.0
    organisation: FieldWeight = FieldWeight(agree=5.0, disagree=6.0, high=0.92, low=0.7)
    given_name: FieldWeight = FieldWeight(agree=3.0, disagree=2.0, high=0.92, low=0.82)
    initial_agree: float = Field(default=0.5, ge=0)
    household_penalty: float = Field(default=8.0, ge=0)
    household_family: float = Field(default=0.85, ge=0, le=1)
    family_name: FieldWeight = FieldWeight(agree=3.5, disagree=2.0, high=0.92, low=0.72)
    street: FieldWeight = FieldWeight(agree=2.0, disagree=1.5, high=0.9, low=0.6)
    house_number: FieldWeight = FieldWeight(agree=1.5, disagree=1.5, high=0.99, low=0.5)
    address_extra: FieldWeight = FieldWeight(agree=3.0, disagree=0.5, high=0.85, low=0.6)
    postal_code: FieldWeight = FieldWeight(agree=2.0, disagree=1.5, high=0.99, low=0.6)
    city: FieldWeight = FieldWeight(agree=1.5, disagree=1.0, high=0.92, low=0.75)
    region: FieldWeight = FieldWeight(agree=0.5, disagree=0.0, high=0.99, low=0.5)
    email: FieldWeight = FieldWeight(agree=5.0, disagree=4.0, high=0.99, low=0.5)
    phone: FieldWeight = FieldWeight(agree=3.0, disagree=2.5, high=0.99, low=0.5)
    vat_id: FieldWeight = FieldWeight(agree=6.0, disagree=8.0, high=0.99, low=0.5)
    birth_date: FieldWeight = FieldWeight(agree=9.0, disagree=1.5, high=0.99, low=0.74)


Scorer = Callable[..., Any]
_JARO_WINKLER: Scorer = JaroWinkler.normalized_similarity
_LEVENSHTEIN: Scorer = Levenshtein.normalized_similarity
_OSA: Scorer = OSA.normalized_similarity
_ONE_TYPO = np.float32(0.75)
"""Normalised edit similarity of one edit in a four-letter name."""


# field -> similarity (None: equality)
_SIMILARITY: dict[str, Scorer | None] = {
    "house_number": _OSA,
    "postal_code": _OSA,
    "city": _JARO_WINKLER,
    "region": None,
    "email": None,
    "phone": None,
    "vat_id": None,
    "birth_date": _OSA,
}
IDENTIFYING_FIELDS = ("email", "vat_id", "birth_date")
"""Fields whose agreement identifies a person beyond doubt (a shared landline does not)."""
DISTINGUISHING_FIELDS = ("vat_id", "birth_date")
"""Fields that tell family members apart when both records have them (e-mails do not:
one person has several)."""
CORROBORATING_FIELDS = ("house_number", "email", "phone", "vat_id", "birth_date")
"""Besides the street: fields of which at least one must agree for an automatic link; a name
and a town alone are not enough (two people of one name live in one town)."""


@dataclass(frozen=True)
class ScoredPairs:
    """Scores of candidate pairs: parallel arrays over the pairs ``(left[k], right[k])``.

    ``ambiguous[k]`` marks a pair that must not be linked automatically whatever its score
    (a person known only by an initial or no first name, without an identifying field agreeing).
    """

    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    score: FloatArray
    ambiguous: BoolArray

    def __len__(self) -> int:
        return len(self.left)


def _evidence(similarity: FloatArray, weight: FieldWeight) -> FloatArray:
    share = np.clip((similarity - weight.low) / (weight.high - weight.low), 0.0, 1.0)
    result: FloatArray = (-weight.disagree + share * (weight.agree + weight.disagree)).astype(
        np.float32
    )
    return result


def _similarity(
    records: PreparedRecords,
    scorer: Scorer | None,
    names: tuple[str, str],
    left: IntArray,
    right: IntArray,
    *,
    workers: int,
    scale: float = 1.0,
) -> tuple[FloatArray, BoolArray]:
    """Similarity of column ``names[0]`` of ``left`` with column ``names[1]`` of ``right``, and
    where either is missing. Each distinct pair of values is compared once (scorers are
    symmetric), so the cost follows the number of distinct value pairs, not of candidate pairs.
    ``scale`` is the scorer's maximum (100 for the ``fuzz`` ratios); the result is in [0, 1]."""
    codes_a, values_a = records.codes(names[0])
    codes_b, values_b = records.codes(names[1])
    a, b = codes_a[left], codes_b[right]
    missing: BoolArray = (a == 0) | (b == 0)
    same_column = names[0] == names[1]
    if scorer is None:
        return (a == b).astype(np.float32), missing
    similarity = np.zeros(len(left), dtype=np.float32)
    todo = ~missing
    if same_column:
        similarity[a == b] = 1.0
        todo &= a != b
        a, b = np.minimum(a, b), np.maximum(a, b)
    if not todo.any():
        return similarity, missing
    keys = a[todo] * np.int64(len(values_b)) + b[todo]
    distinct, inverse = np.unique(keys, return_inverse=True)
    computed = process.cpdist(
        values_a[distinct // len(values_b)],
        values_b[distinct % len(values_b)],
        scorer=scorer,
        workers=workers,
        dtype=np.float32,
    )
    distinct_similarity = np.asarray(computed, dtype=np.float32) / np.float32(scale)
    similarity[todo] = distinct_similarity[inverse.reshape(-1)]
    return similarity, missing


def _has_values(records: PreparedRecords, name: str) -> bool:
    return len(records.codes(name)[1]) > 1


def score_pairs(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    config: ScoringConfig | None = None,
    *,
    workers: int = -1,
) -> ScoredPairs:
    """Score the pairs ``(left[k], right[k])`` of ``records``; ``workers`` rapidfuzz threads
    (-1: all cores)."""
    config = config or ScoringConfig()
    total = np.full(len(left), config.bias, dtype=np.float32)
    identified = np.zeros(len(left), dtype=np.bool_)
    compared = np.zeros(len(left), dtype=np.bool_)
    corroborated = np.zeros(len(left), dtype=np.bool_)
    if len(left) == 0:
        return ScoredPairs(left, right, total, identified)
    for name, scorer in _SIMILARITY.items():
        if not _has_values(records, name):
            continue
        similarity, missing = _similarity(
            records, scorer, (name, name), left, right, workers=workers
        )
        weight: FieldWeight = getattr(config, name)
        total += np.where(missing, np.float32(0), _evidence(similarity, weight))
        agrees = ~missing & (similarity >= weight.high)
        if name in IDENTIFYING_FIELDS:
            identified |= agrees
        if name in DISTINGUISHING_FIELDS:
            compared |= ~missing
        if name in CORROBORATING_FIELDS:
            corroborated |= agrees
    street_evidence, street_agrees = _score_street_lines(records, left, right, config, workers)
    total += street_evidence
    corroborated |= street_agrees
    names = _score_names(records, left, right, config, workers)
    total += names.evidence
    # Family members at one address: a different first name and no identifying field to compare
    # (where birth dates or e-mails are there, their own evidence decides).
    total -= np.where(names.household & ~compared, np.float32(config.household_penalty), 0)
    ambiguous = (names.weak_person & ~identified) | ~corroborated
    score = (1.0 / (1.0 + np.exp(-total))).astype(np.float32)
    return ScoredPairs(left, right, score, ambiguous)


def _weighted(similarity: FloatArray, missing: BoolArray, weight: FieldWeight) -> FloatArray:
    result: FloatArray = np.where(missing, np.float32(0), _evidence(similarity, weight))
    return result


def _score_street_lines(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    config: ScoringConfig,
    workers: int,
) -> tuple[FloatArray, BoolArray]:
    """Street and second address line, also compared crosswise (lines entered the other way
    round: "c/o building, street" against "street, c/o building")."""
    if not _has_values(records, "street") and not _has_values(records, "address_extra"):
        return np.zeros(len(left), dtype=np.float32), np.zeros(len(left), dtype=np.bool_)

    def compare(a: str, b: str) -> tuple[FloatArray, BoolArray]:
        return _similarity(records, _OSA, (a, b), left, right, workers=workers)

    s_sim, s_missing = compare("street", "street")
    agrees: BoolArray = ~s_missing & (s_sim >= config.street.high)
    if not _has_values(records, "address_extra"):
        return _weighted(s_sim, s_missing, config.street), agrees
    e_sim, e_missing = compare("address_extra", "address_extra")
    x1, x1_missing = compare("street", "address_extra")
    x2, x2_missing = compare("address_extra", "street")
    straight = _weighted(s_sim, s_missing, config.street) + _weighted(
        e_sim, e_missing, config.address_extra
    )
    crossed = _weighted(x1, x1_missing, config.street) + _weighted(
        x2, x2_missing, config.address_extra
    )
    result: FloatArray = np.maximum(straight, crossed).astype(np.float32)
    agrees |= ~x1_missing & (x1 >= config.street.high)
    return result, agrees


@dataclass(frozen=True)
class _NameEvidence:
    evidence: FloatArray
    weak_person: BoolArray
    household: BoolArray


def _score_names(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    config: ScoringConfig,
    workers: int,
) -> _NameEvidence:
    evidence = np.zeros(len(left), dtype=np.float32)

    def compare(scorer: Scorer, a: str, b: str) -> tuple[FloatArray, BoolArray]:
        return _similarity(records, scorer, (a, b), left, right, workers=workers)

    if _has_values(records, "organisation"):
        similarity, missing = _similarity(
            records,
            fuzz.token_sort_ratio,
            ("organisation", "organisation"),
            left,
            right,
            workers=workers,
            scale=100,
        )
        evidence += _weighted(similarity, missing, config.organisation)
    if not _has_values(records, "family_name") and not _has_values(records, "given_name"):
        nothing = np.zeros(len(left), dtype=np.bool_)
        return _NameEvidence(evidence, nothing, nothing)
    g_sim, g_missing = compare(_JARO_WINKLER, "given_name", "given_name")
    # Jaro-Winkler rewards a shared beginning ("Urs"/"Ursina", "Siri"/"Sigrid": family
    # members); a typo is one edit, so beyond one edit in four letters the edit distance rules.
    g_edit, _ = compare(_OSA, "given_name", "given_name")
    g_sim = np.where(g_edit >= _ONE_TYPO, g_sim, np.minimum(g_sim, g_edit))
    f_sim, f_missing = compare(_JARO_WINKLER, "family_name", "family_name")
    # Swapped first and last names ("Hansen Ole" / "Ole Hansen"): compare crosswise as well.
    x1, _ = compare(_JARO_WINKLER, "given_name", "family_name")
    x2, _ = compare(_JARO_WINKLER, "family_name", "given_name")
    swapped = ~g_missing & ~f_missing & (x1 + x2 > g_sim + f_sim)
    # The weaker of the two crosswise similarities counts as the given name (order-free).
    g_sim = np.where(swapped, np.minimum(x1, x2), g_sim)
    f_sim = np.where(swapped, np.maximum(x1, x2), f_sim)

    initial_a = records.given_is_initial[left]
    initial_b = records.given_is_initial[right]
    by_initial = ~g_missing & ~swapped & (initial_a | initial_b)
    first = records.codes("given_initial")[0]
    same_initial = first[left] == first[right]
    given_evidence = np.where(
        by_initial,
        np.where(
            same_initial, np.float32(config.initial_agree), -np.float32(config.given_name.disagree)
        ),
        _evidence(g_sim, config.given_name),
    )
    evidence += np.where(g_missing, np.float32(0), given_evidence)
    evidence += _weighted(f_sim, f_missing, config.family_name)
    person = ~f_missing
    weak_person = person & (g_missing | (by_initial & same_initial))
    given_conflict = ~g_missing & np.where(
        by_initial, ~same_initial, g_sim <= config.given_name.low
    )
    household = given_conflict & ~f_missing & (f_sim >= config.household_family)
    return _NameEvidence(evidence.astype(np.float32), weak_person, household)
