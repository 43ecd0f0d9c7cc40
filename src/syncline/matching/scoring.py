"""Scoring: how likely two records are the same party, as a number in [0, 1].

Each field is compared with a rapidfuzz similarity (Jaro-Winkler for names, token-sorted
ratio for organisation names, edit distance with transpositions (OSA) for streets, house
numbers, postcodes and dates, equality for e-mail, phone and VAT id), each distinct pair of
values once (:mod:`.similarity`). A field's similarity becomes *evidence* in log-odds units:
at or above ``high`` it adds ``agree``, at or below ``low`` it subtracts ``disagree``, in
between it is interpolated. A field missing on either side adds nothing: missing is neutral,
not a mismatch. The score is the logistic function of ``bias`` plus all evidence, so it is
symmetric in the two records and always in [0, 1].

The traps of real customer data are handled explicitly:

* family members or branches at one address: a clearly different first name outweighs a shared
  address, family name and landline (a first name more than one typo away is different, however
  alike it starts: "Urs"/"Ursina"); a different organisation name outweighs a shared address;
* namesakes in one town: different e-mail addresses and phone numbers count against a match;
* a name and a town alone: at least one of street, building name, house number, e-mail, phone,
  birth date or VAT id must agree for an automatic link, else the pair is flagged *ambiguous*;
* initials: "J." is compatible with "Jens" and "Jan" but is weak evidence; a pair whose person
  is only known by an initial (or by no first name) is flagged *ambiguous* unless an identifying
  field (e-mail, birth date, VAT id) agrees, and an ambiguous pair is never linked automatically;
* swapped first and last names are compared crosswise;
* street types, transliteration and case are handled by normalisation before scoring.

How much the first two traps apply is not the same in every data set: a file whose records
were retyped with replaced first or family names holds no families. The evidence against a
pair at one address with one name the same and the other different shrinks by the share of
such pairs that the data itself shows to be one person (:mod:`.calibration`); in customer data
that share is near 0 and the rules above hold in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from rapidfuzz import fuzz

from syncline.matching.calibration import DISTINGUISHING_FIELDS, IDENTIFYING_FIELDS, Calibration
from syncline.matching.records import PreparedRecords
from syncline.matching.similarity import (
    JARO_WINKLER,
    OSA_SIMILARITY,
    BoolArray,
    FloatArray,
    IntArray,
    Scorer,
    given_name_similarity,
    has_values,
    similarity,
)


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
    calibration_prior_pairs: float = Field(default=10.0, ge=0)
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


# field -> similarity (None: equality)
_SIMILARITY: dict[str, Scorer | None] = {
    "house_number": OSA_SIMILARITY,
    "postal_code": OSA_SIMILARITY,
    "city": JARO_WINKLER,
    "region": None,
    "email": None,
    "phone": None,
    "vat_id": None,
    "birth_date": OSA_SIMILARITY,
}
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


def score_pairs(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    config: ScoringConfig | None = None,
    *,
    calibration: Calibration | None = None,
    workers: int = -1,
) -> ScoredPairs:
    """Score the pairs ``(left[k], right[k])`` of ``records``; ``workers`` rapidfuzz threads
    (-1: all cores). ``calibration``: estimates from the whole data being matched
    (:func:`~syncline.matching.calibration.calibrate`); without it, a household-like pair counts
    as two members of one family."""
    config = config or ScoringConfig()
    calibration = calibration or Calibration()
    total = np.full(len(left), config.bias, dtype=np.float32)
    identified = np.zeros(len(left), dtype=np.bool_)
    compared = np.zeros(len(left), dtype=np.bool_)
    corroborated = np.zeros(len(left), dtype=np.bool_)
    if len(left) == 0:
        return ScoredPairs(left, right, total, identified)
    for name, scorer in _SIMILARITY.items():
        if not has_values(records, name):
            continue
        sim, missing = similarity(records, scorer, (name, name), left, right, workers=workers)
        weight: FieldWeight = getattr(config, name)
        total += np.where(missing, np.float32(0), _evidence(sim, weight))
        agrees = ~missing & (sim >= weight.high)
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
    # Family members at one address: a different first name and no distinguishing field to
    # compare (where birth dates or VAT ids are there, their own evidence decides). At one
    # address, the evidence against a household-like or renamed pair shrinks by the share of
    # such pairs the data shows to be one person (see :mod:`.calibration`).
    penalty = np.where(names.household & ~compared, np.float32(config.household_penalty), 0)
    at_one_address = street_evidence >= 0
    household_share = np.float32(1 - calibration.household_match_rate)
    renamed_share = np.float32(1 - calibration.renamed_match_rate)
    share = np.where(names.household, household_share, renamed_share)
    total -= (names.against + penalty) * np.where(at_one_address, share, 1).astype(np.float32)
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
    if not has_values(records, "street") and not has_values(records, "address_extra"):
        return np.zeros(len(left), dtype=np.float32), np.zeros(len(left), dtype=np.bool_)

    def compare(a: str, b: str) -> tuple[FloatArray, BoolArray]:
        return similarity(records, OSA_SIMILARITY, (a, b), left, right, workers=workers)

    s_sim, s_missing = compare("street", "street")
    agrees: BoolArray = ~s_missing & (s_sim >= config.street.high)
    if not has_values(records, "address_extra"):
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
    # A building or estate name ("the old parsonage") places a record as well as a street.
    agrees |= ~x1_missing & (x1 >= config.street.high)
    agrees |= ~e_missing & (e_sim >= config.address_extra.high)
    agrees |= ~x2_missing & (x2 >= config.address_extra.high)
    return result, agrees


@dataclass(frozen=True)
class _NameEvidence:
    evidence: FloatArray
    """Evidence of the names, without the evidence against of a household-like or renamed
    pair (weighed by :func:`score_pairs` with what the data says about such pairs)."""
    weak_person: BoolArray
    household: BoolArray
    """The same family name and a clearly different first name."""
    renamed: BoolArray
    """The same first name and a clearly different family name."""
    against: FloatArray
    """The evidence against of the name that differs in a household-like or renamed pair."""


def _score_names(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    config: ScoringConfig,
    workers: int,
) -> _NameEvidence:
    evidence = np.zeros(len(left), dtype=np.float32)
    nothing = np.zeros(len(left), dtype=np.bool_)

    def compare(scorer: Scorer, a: str, b: str) -> tuple[FloatArray, BoolArray]:
        return similarity(records, scorer, (a, b), left, right, workers=workers)

    if has_values(records, "organisation"):
        org_sim, org_missing = similarity(
            records,
            fuzz.token_sort_ratio,
            ("organisation", "organisation"),
            left,
            right,
            workers=workers,
            scale=100,
        )
        evidence += _weighted(org_sim, org_missing, config.organisation)
    if not has_values(records, "family_name") and not has_values(records, "given_name"):
        return _NameEvidence(evidence, nothing, nothing, nothing, np.zeros_like(evidence))
    g_sim, g_jaro, g_missing = given_name_similarity(records, left, right, workers=workers)
    f_sim, f_missing = compare(JARO_WINKLER, "family_name", "family_name")
    # Swapped first and last names ("Hansen Ole" / "Ole Hansen"): compare crosswise as well.
    x1, _ = compare(JARO_WINKLER, "given_name", "family_name")
    x2, _ = compare(JARO_WINKLER, "family_name", "given_name")
    swapped = ~g_missing & ~f_missing & (x1 + x2 > g_jaro + f_sim)
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
    given_evidence = np.where(g_missing, np.float32(0), given_evidence)
    family_evidence = _weighted(f_sim, f_missing, config.family_name)
    person = ~f_missing
    weak_person = person & (g_missing | (by_initial & same_initial))
    given_conflict = ~g_missing & np.where(
        by_initial, ~same_initial, g_sim <= config.given_name.low
    )
    household = given_conflict & ~f_missing & (f_sim >= config.household_family)
    renamed = (
        ~g_missing
        & ~by_initial
        & (g_sim >= config.given_name.high)
        & ~f_missing
        & (f_sim <= config.family_name.low)
    )
    evidence += np.where(household, np.float32(0), given_evidence)
    evidence += np.where(renamed, np.float32(0), family_evidence)
    against = np.where(household, -given_evidence, np.where(renamed, -family_evidence, 0))
    return _NameEvidence(
        evidence.astype(np.float32), weak_person, household, renamed, against.astype(np.float32)
    )
