"""Scoring: how likely two records are the same party, as a number in [0, 1].

Each field is compared with a rapidfuzz similarity (Jaro-Winkler for names, token-sorted
ratio for organisation names, Levenshtein for postcodes and dates, equality for e-mail,
phone and VAT id). A field's similarity becomes *evidence* in log-odds units: at or above
``high`` it adds ``agree``, at or below ``low`` it subtracts ``disagree``, in between it is
interpolated. A field missing on either side adds nothing: missing is neutral, not a mismatch.
The score is the logistic function of ``bias`` plus all evidence, so it is symmetric in the
two records and always in [0, 1].

The traps of real customer data are handled explicitly:

* family members or branches at one address: a clearly different first name outweighs a shared
  address, family name and landline; a different organisation name outweighs a shared address;
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

from syncline.matching.records import PreparedRecords, StrColumn

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


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
    given_name: FieldWeight = FieldWeight(agree=3.0, disagree=3.0, high=0.92, low=0.82)
    initial_agree: float = Field(default=0.5, ge=0)
    household_penalty: float = Field(default=8.0, ge=0)
    family_name: FieldWeight = FieldWeight(agree=3.5, disagree=3.0, high=0.92, low=0.72)
    street: FieldWeight = FieldWeight(agree=2.0, disagree=1.5, high=0.9, low=0.6)
    house_number: FieldWeight = FieldWeight(agree=1.5, disagree=1.5, high=0.99, low=0.5)
    address_extra: FieldWeight = FieldWeight(agree=1.5, disagree=1.0, high=0.9, low=0.6)
    postal_code: FieldWeight = FieldWeight(agree=2.0, disagree=1.5, high=0.99, low=0.6)
    city: FieldWeight = FieldWeight(agree=1.5, disagree=1.0, high=0.92, low=0.75)
    region: FieldWeight = FieldWeight(agree=0.5, disagree=0.5, high=0.99, low=0.5)
    email: FieldWeight = FieldWeight(agree=5.0, disagree=1.0, high=0.99, low=0.5)
    phone: FieldWeight = FieldWeight(agree=3.0, disagree=1.0, high=0.99, low=0.5)
    vat_id: FieldWeight = FieldWeight(agree=6.0, disagree=8.0, high=0.99, low=0.5)
    birth_date: FieldWeight = FieldWeight(agree=6.0, disagree=3.0, high=0.99, low=0.74)


Scorer = Callable[..., Any]
_JARO_WINKLER: Scorer = JaroWinkler.normalized_similarity
_LEVENSHTEIN: Scorer = Levenshtein.normalized_similarity
_OSA: Scorer = OSA.normalized_similarity


# field -> similarity (None: equality)
_SIMILARITY: dict[str, Scorer | None] = {
    "house_number": _LEVENSHTEIN,
    "postal_code": _LEVENSHTEIN,
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


def _compare(
    scorer: Scorer | None, a: StrColumn, b: StrColumn, workers: int
) -> tuple[FloatArray, BoolArray]:
    missing: BoolArray = (a == "") | (b == "")
    if scorer is None:
        return (a == b).astype(np.float32), missing
    similarity = process.cpdist(a, b, scorer=scorer, workers=workers, dtype=np.float32)
    return np.asarray(similarity, dtype=np.float32), missing


def _has_values(column: StrColumn) -> bool:
    return bool((column != "").any())


def score_pairs(
    records: PreparedRecords,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
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
    cols = records.columns
    for name, scorer in _SIMILARITY.items():
        column = cols[name]
        if not _has_values(column):
            continue
        similarity, missing = _compare(scorer, column[left], column[right], workers)
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


def _score_street_lines(
    records: PreparedRecords,
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    config: ScoringConfig,
    workers: int,
) -> tuple[FloatArray, BoolArray]:
    """Street and second address line, also compared crosswise (lines entered the other way
    round: "c/o building, street" against "street, c/o building")."""
    cols = records.columns
    street, extra = cols["street"], cols["address_extra"]
    evidence = np.zeros(len(left), dtype=np.float32)
    if not _has_values(street) and not _has_values(extra):
        return evidence, np.zeros(len(left), dtype=np.bool_)
    s_sim, s_missing = _compare(_LEVENSHTEIN, street[left], street[right], workers)
    agrees: BoolArray = ~s_missing & (s_sim >= config.street.high)
    if not _has_values(extra):
        return np.where(s_missing, np.float32(0), _evidence(s_sim, config.street)), agrees
    e_sim, e_missing = _compare(_LEVENSHTEIN, extra[left], extra[right], workers)
    x1, x1_missing = _compare(_LEVENSHTEIN, street[left], extra[right], workers)
    x2, x2_missing = _compare(_LEVENSHTEIN, extra[left], street[right], workers)
    straight = np.where(s_missing, np.float32(0), _evidence(s_sim, config.street)) + np.where(
        e_missing, np.float32(0), _evidence(e_sim, config.address_extra)
    )
    crossed = np.where(x1_missing, np.float32(0), _evidence(x1, config.street)) + np.where(
        x2_missing, np.float32(0), _evidence(x2, config.address_extra)
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
    left: npt.NDArray[np.int64],
    right: npt.NDArray[np.int64],
    config: ScoringConfig,
    workers: int,
) -> _NameEvidence:
    cols = records.columns
    evidence = np.zeros(len(left), dtype=np.float32)
    org = cols["organisation"]
    if _has_values(org):
        similarity, missing = _compare(fuzz.token_sort_ratio, org[left], org[right], workers)
        similarity /= np.float32(100)
        evidence += np.where(missing, np.float32(0), _evidence(similarity, config.organisation))
    given, family = cols["given_name"], cols["family_name"]
    if not _has_values(family) and not _has_values(given):
        nothing = np.zeros(len(left), dtype=np.bool_)
        return _NameEvidence(evidence, nothing, nothing)
    g_a, g_b, f_a, f_b = given[left], given[right], family[left], family[right]
    g_sim, g_missing = _compare(_JARO_WINKLER, g_a, g_b, workers)
    f_sim, f_missing = _compare(_JARO_WINKLER, f_a, f_b, workers)
    # Swapped first and last names ("Hansen Ole" / "Ole Hansen"): compare crosswise as well.
    x1, _ = _compare(_JARO_WINKLER, g_a, f_b, workers)
    x2, _ = _compare(_JARO_WINKLER, f_a, g_b, workers)
    swapped = ~g_missing & ~f_missing & (x1 + x2 > g_sim + f_sim)
    # The weaker of the two crosswise similarities counts as the given name (order-free).
    g_sim = np.where(swapped, np.minimum(x1, x2), g_sim)
    f_sim = np.where(swapped, np.maximum(x1, x2), f_sim)

    initial_a = records.given_is_initial[left]
    initial_b = records.given_is_initial[right]
    by_initial = ~g_missing & ~swapped & (initial_a | initial_b)
    first = cols["given_initial"]
    same_initial = first[left] == first[right]
    given_evidence = np.where(
        by_initial,
        np.where(
            same_initial, np.float32(config.initial_agree), -np.float32(config.given_name.disagree)
        ),
        _evidence(g_sim, config.given_name),
    )
    evidence += np.where(g_missing, np.float32(0), given_evidence)
    evidence += np.where(f_missing, np.float32(0), _evidence(f_sim, config.family_name))
    person = ~f_missing
    weak_person = person & (g_missing | (by_initial & same_initial))
    given_conflict = ~g_missing & np.where(
        by_initial, ~same_initial, g_sim <= config.given_name.low
    )
    household = given_conflict & ~f_missing & (f_sim >= config.family_name.high)
    return _NameEvidence(evidence.astype(np.float32), weak_person, household)
