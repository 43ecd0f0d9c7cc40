"""Matching: find the records in two systems (or one file) that are the same party.

Normalise (:mod:`.normalize`), block (:mod:`.blocking`), estimate from the data how much its
traps apply (:mod:`.calibration`), score (:mod:`.scoring`) and decide (:mod:`.decide`,
:mod:`.resolve`); :class:`Matcher` runs the whole pipeline. See ``docs/matching.md``.
"""

from __future__ import annotations

from syncline.matching.blocking import (
    BlockingConfig,
    BlockingPass,
    CandidatePairs,
    blocking_recall,
    candidate_pairs,
)
from syncline.matching.calibration import Calibration, calibrate
from syncline.matching.decide import Decision, MatchResult, PinnedPair, Reason, Thresholds
from syncline.matching.matcher import MatchConfig, Matcher, MatchOutcome
from syncline.matching.normalize import (
    LegalName,
    StreetParts,
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
    phonetic_key,
    split_legal_form,
)
from syncline.matching.records import (
    MatchRecord,
    NormalizedRecord,
    PreparedRecords,
    normalize_record,
    prepare_records,
    record_from_contact,
    record_from_party,
)
from syncline.matching.scoring import FieldWeight, ScoredPairs, ScoringConfig, score_pairs

__all__ = [
    "BlockingConfig",
    "BlockingPass",
    "Calibration",
    "CandidatePairs",
    "Decision",
    "FieldWeight",
    "LegalName",
    "MatchConfig",
    "MatchOutcome",
    "MatchRecord",
    "MatchResult",
    "Matcher",
    "NormalizedRecord",
    "PinnedPair",
    "PreparedRecords",
    "Reason",
    "ScoredPairs",
    "ScoringConfig",
    "StreetParts",
    "Thresholds",
    "blocking_recall",
    "calibrate",
    "candidate_pairs",
    "fold",
    "is_initial",
    "loose",
    "normalize_email",
    "normalize_house_number",
    "normalize_person_name",
    "normalize_phone",
    "normalize_postcode",
    "normalize_record",
    "normalize_street",
    "normalize_vat",
    "phonetic_key",
    "prepare_records",
    "record_from_contact",
    "record_from_party",
    "score_pairs",
    "split_legal_form",
]
