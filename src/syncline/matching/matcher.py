"""The matcher: normalise, block, score and decide, for two collections or within one.

Deterministic keys come first: records sharing a system number (the ERP debtor number stored
in the CRM) are linked outright, records holding different numbers of the same system are
never linked. A shared VAT id, e-mail or phone number always makes a pair a candidate and is
strong evidence in the score, but a contradicting name still wins (families share landlines).
Then fuzzy scoring decides the rest against the map's thresholds, with what the data being
matched says about its traps (:mod:`~syncline.matching.calibration`) and what the other pairs of
a record say about it (:mod:`~syncline.matching.resolve`); people's decisions
(:class:`~syncline.matching.decide.PinnedPair`) override everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from syncline.matching.blocking import BlockingConfig, BlockingPass, candidate_pairs
from syncline.matching.calibration import Calibration, calibrate
from syncline.matching.decide import (
    DECISIONS,
    REASON_CODE,
    REASONS,
    Decision,
    DecisionCode,
    MatchResult,
    PinnedPair,
    Reason,
    Thresholds,
)
from syncline.matching.records import MatchRecord, PreparedRecords, prepare_records
from syncline.matching.resolve import linked_elsewhere, resolve_in_context
from syncline.matching.scoring import ScoringConfig, score_pairs

IntArray = npt.NDArray[np.int64]


class MatchConfig(BaseModel):
    """Everything that steers matching for one map. The defaults are the shipped configuration.

    ``default_country``: ISO country for records without one (phone region, VAT prefix).
    ``workers``: threads for the similarity computations (-1: all cores).
    ``chunk_size``: candidate pairs scored at a time; bounds the memory of scoring.
    ``resolve_in_context``: link held (ambiguous) pairs whose records have a sole candidate,
    and held or upper grey-zone pairs whose records are already linked through other records
    (:mod:`syncline.matching.resolve`); pairs linked through other records that blocking did
    not propose are scored too, in groups of at most ``max_group`` linked records.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    thresholds: Thresholds = Thresholds()
    blocking: BlockingConfig = BlockingConfig()
    scoring: ScoringConfig = ScoringConfig()
    default_country: str = ""
    workers: int = -1
    chunk_size: int = Field(default=250_000, ge=1000)
    resolve_in_context: bool = True
    max_group: int = Field(default=12, ge=2)


@dataclass(frozen=True)
class MatchOutcome:
    """The decided candidate pairs (score >= ``thresholds.new``) as parallel arrays.

    ``left``/``right`` index ``left_ids``/``right_ids`` (the same list in deduplication).
    ``candidates`` counts the pairs blocking proposed, reported or not. Iterating yields
    :class:`~syncline.matching.decide.MatchResult` objects one by one.
    """

    left_ids: list[str]
    right_ids: list[str]
    left: IntArray
    right: IntArray
    score: npt.NDArray[np.float32]
    decision: npt.NDArray[np.int8]
    reason: npt.NDArray[np.int8]
    candidates: int

    def __len__(self) -> int:
        return len(self.left)

    def __iter__(self) -> Iterator[MatchResult]:
        for k in range(len(self.left)):
            yield self.result(k)

    def result(self, k: int) -> MatchResult:
        """The ``k``-th pair as a :class:`MatchResult`."""
        return MatchResult(
            left_id=self.left_ids[int(self.left[k])],
            right_id=self.right_ids[int(self.right[k])],
            score=float(self.score[k]),
            decision=DECISIONS[int(self.decision[k])],
            reason=REASONS[int(self.reason[k])],
        )

    def pairs(self, decision: Decision) -> Iterator[MatchResult]:
        """Only the pairs with ``decision``."""
        code = DECISIONS.index(decision)
        for k in np.flatnonzero(self.decision == code):
            yield self.result(int(k))

    def id_pairs(self, decision: Decision) -> set[tuple[str, str]]:
        """``(left_id, right_id)`` of the pairs with ``decision``."""
        return {(r.left_id, r.right_id) for r in self.pairs(decision)}


class Matcher:
    """Finds the records that are the same party, within one collection or across two."""

    def __init__(self, config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()

    def prepare(self, records: Iterable[MatchRecord]) -> PreparedRecords:
        """Normalise ``records`` (reusable for several matches against the same collection)."""
        return prepare_records(records, self.config.default_country)

    def link(
        self,
        left: Iterable[MatchRecord] | PreparedRecords,
        right: Iterable[MatchRecord] | PreparedRecords,
        pinned: Iterable[PinnedPair] = (),
    ) -> MatchOutcome:
        """Match every record of ``left`` (e.g. the CRM) against ``right`` (e.g. the ERP)."""
        first = left if isinstance(left, PreparedRecords) else self.prepare(left)
        second = right if isinstance(right, PreparedRecords) else self.prepare(right)
        combined = PreparedRecords.concat(first, second)
        split = len(first)
        outcome = self._match(combined, split, pinned)
        return MatchOutcome(
            left_ids=first.ids,
            right_ids=second.ids,
            left=outcome.left,
            right=outcome.right - split,
            score=outcome.score,
            decision=outcome.decision,
            reason=outcome.reason,
            candidates=outcome.candidates,
        )

    def deduplicate(
        self,
        records: Iterable[MatchRecord] | PreparedRecords,
        pinned: Iterable[PinnedPair] = (),
    ) -> MatchOutcome:
        """Find duplicates within one collection (a file to import, one system's debtors)."""
        prepared = records if isinstance(records, PreparedRecords) else self.prepare(records)
        return self._match(prepared, None, pinned)

    def _match(
        self, records: PreparedRecords, split: int | None, pinned: Iterable[PinnedPair]
    ) -> MatchOutcome:
        config = self.config
        candidates = candidate_pairs(records, config.blocking, split=split)
        calibration = calibrate(
            records,
            candidates.left,
            candidates.right,
            given_conflict=config.scoring.given_name.low,
            family_conflict=config.scoring.family_name.low,
            prior_pairs=config.scoring.calibration_prior_pairs,
            workers=config.workers,
        )
        pins = _Pins(records, split, pinned)
        parts = [
            self._decide(
                records,
                candidates.left[start : start + config.chunk_size],
                candidates.right[start : start + config.chunk_size],
                candidates.passes[start : start + config.chunk_size],
                calibration=calibration,
                pins=pins,
            )
            for start in range(0, len(candidates), config.chunk_size)
        ]
        if config.resolve_in_context:
            decided = _Decided.concat(parts)
            linked = decided.decision == DecisionCode.LINK
            left, right = linked_elsewhere(
                len(records),
                decided.left[linked],
                decided.right[linked],
                candidates.left * np.int64(len(records)) + candidates.right,
                split=split,
                max_group=config.max_group,
            )
            passes = np.zeros(len(left), dtype=np.int32)
            parts.append(
                self._decide(records, left, right, passes, calibration=calibration, pins=pins)
            )
        decided = _Decided.concat(parts)
        left, right, score = decided.left, decided.right, decided.score
        decision, reason = decided.decision, decided.reason
        if config.resolve_in_context:
            resolve_in_context(
                len(records),
                left,
                right,
                score,
                decision=decision,
                reason=reason,
                review=config.thresholds.review,
                auto_link=config.thresholds.auto_link,
            )
        outcome = MatchOutcome(
            left_ids=records.ids,
            right_ids=records.ids,
            left=left,
            right=right,
            score=score,
            decision=decision,
            reason=reason,
            candidates=len(candidates),
        )
        return pins.apply(outcome)

    def _decide(
        self,
        records: PreparedRecords,
        left: IntArray,
        right: IntArray,
        passes: npt.NDArray[np.int32],
        *,
        calibration: Calibration,
        pins: _Pins,
    ) -> _Decided:
        """Score and decide the pairs ``(left[k], right[k])`` on their own; keeps the pairs worth
        reporting."""
        config = self.config
        scored = score_pairs(
            records, left, right, config.scoring, calibration=calibration, workers=config.workers
        )
        decision = config.thresholds.classify_array(scored.score, scored.ambiguous)
        reason = np.full(len(left), REASON_CODE[Reason.SCORE], dtype=np.int8)
        held = scored.ambiguous & (scored.score >= config.thresholds.auto_link)
        reason[held] = REASON_CODE[Reason.AMBIGUOUS]
        score = scored.score.copy()
        _apply_numbers(records, left, right, passes, score=score, decision=decision, reason=reason)
        keep = (score >= config.thresholds.new) | (decision != DecisionCode.NEW)
        keep |= reason != REASON_CODE[Reason.SCORE]
        keep |= pins.touches(left, right)
        return _Decided(left[keep], right[keep], score[keep], decision[keep], reason[keep])


@dataclass(frozen=True)
class _Decided:
    """Decided pairs as parallel arrays (see :class:`MatchOutcome`)."""

    left: IntArray
    right: IntArray
    score: npt.NDArray[np.float32]
    decision: npt.NDArray[np.int8]
    reason: npt.NDArray[np.int8]

    @classmethod
    def concat(cls, parts: list[_Decided]) -> _Decided:
        if not parts:
            return cls(
                np.empty(0, dtype=np.int64),
                np.empty(0, dtype=np.int64),
                np.empty(0, dtype=np.float32),
                np.empty(0, dtype=np.int8),
                np.empty(0, dtype=np.int8),
            )
        return cls(
            np.concatenate([p.left for p in parts]),
            np.concatenate([p.right for p in parts]),
            np.concatenate([p.score for p in parts]),
            np.concatenate([p.decision for p in parts]),
            np.concatenate([p.reason for p in parts]),
        )


def _apply_numbers(
    records: PreparedRecords,
    left: IntArray,
    right: IntArray,
    passes: npt.NDArray[np.int32],
    *,
    score: npt.NDArray[np.float32],
    decision: npt.NDArray[np.int8],
    reason: npt.NDArray[np.int8],
) -> None:
    """Deterministic system numbers: a shared number links, a conflicting one separates."""
    numbers = records.numbers
    has = np.fromiter((bool(n) for n in numbers), dtype=np.bool_, count=len(numbers))
    for k in np.flatnonzero(has[left] & has[right]):
        a = dict(n.split(":", 1) for n in numbers[int(left[k])])
        b = dict(n.split(":", 1) for n in numbers[int(right[k])])
        shared = a.keys() & b.keys()
        if any(a[s] != b[s] for s in shared):
            score[k] = 0.0
            decision[k] = DecisionCode.NEW
            reason[k] = REASON_CODE[Reason.NUMBER_CONFLICT]
        elif passes[k] & BlockingPass.NUMBER:
            score[k] = 1.0
            decision[k] = DecisionCode.LINK
            reason[k] = REASON_CODE[Reason.SYSTEM_NUMBER]


class _Pins:
    """People's decisions, resolved to record indexes of the combined collection."""

    def __init__(
        self, records: PreparedRecords, split: int | None, pinned: Iterable[PinnedPair]
    ) -> None:
        left_index = {rid: i for i, rid in enumerate(records.ids[: split or len(records)])}
        right_index = (
            left_index
            if split is None
            else {rid: split + i for i, rid in enumerate(records.ids[split:])}
        )
        self.verdicts: dict[tuple[int, int], bool] = {}
        linked: set[int] = set()
        for pin in pinned:
            a, b = left_index.get(pin.left_id), right_index.get(pin.right_id)
            if a is None or b is None or a == b:
                continue
            key = (min(a, b), max(a, b))
            self.verdicts[key] = pin.linked
            if pin.linked:
                linked.update(key)
        self.linked = np.zeros(len(records), dtype=np.bool_)
        self.linked[list(linked)] = True

    def touches(self, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
        """Pairs with a record that a person has linked (kept to show why they are held)."""
        result: npt.NDArray[np.bool_] = self.linked[left] | self.linked[right]
        return result

    def apply(self, outcome: MatchOutcome) -> MatchOutcome:
        if not self.verdicts and not self.linked.any():
            return outcome
        decision, reason = outcome.decision.copy(), outcome.reason.copy()
        position = {
            (int(a), int(b)): k
            for k, (a, b) in enumerate(zip(outcome.left, outcome.right, strict=True))
            if self.linked[a] or self.linked[b] or (int(a), int(b)) in self.verdicts
        }
        for k in position.values():
            if decision[k] == DecisionCode.LINK:
                decision[k] = DecisionCode.REVIEW
                reason[k] = REASON_CODE[Reason.PINNED_ELSEWHERE]
        extra: list[tuple[int, int, bool]] = []
        for pair, linked in self.verdicts.items():
            k_or_none = position.get(pair)
            if k_or_none is None:
                extra.append((*pair, linked))
                continue
            decision[k_or_none] = DecisionCode.LINK if linked else DecisionCode.NEW
            reason[k_or_none] = REASON_CODE[
                Reason.PINNED_LINK if linked else Reason.PINNED_REJECTION
            ]
        left, right, score = outcome.left, outcome.right, outcome.score
        if extra:
            left = np.concatenate([left, np.asarray([e[0] for e in extra], dtype=np.int64)])
            right = np.concatenate([right, np.asarray([e[1] for e in extra], dtype=np.int64)])
            score = np.concatenate(
                [score, np.asarray([1.0 if e[2] else 0.0 for e in extra], dtype=np.float32)]
            )
            decision = np.concatenate(
                [
                    decision,
                    np.asarray(
                        [DecisionCode.LINK if e[2] else DecisionCode.NEW for e in extra],
                        dtype=np.int8,
                    ),
                ]
            )
            reason = np.concatenate(
                [
                    reason,
                    np.asarray(
                        [
                            REASON_CODE[Reason.PINNED_LINK if e[2] else Reason.PINNED_REJECTION]
                            for e in extra
                        ],
                        dtype=np.int8,
                    ),
                ]
            )
        return MatchOutcome(
            left_ids=outcome.left_ids,
            right_ids=outcome.right_ids,
            left=left,
            right=right,
            score=score,
            decision=decision,
            reason=reason,
            candidates=outcome.candidates,
        )
