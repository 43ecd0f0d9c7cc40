"""A matcher with scores from a table, for tests of what a load or an import does with a
score. The real matcher's quality is tested in tests/matching and measured by the benchmarks;
another tuning of it must not change which record these tests link, review or create."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from syncline.matching import MatchConfig as MatcherConfig
from syncline.matching import (
    Matcher,
    MatchOutcome,
    MatchRecord,
    PinnedPair,
    PreparedRecords,
    Reason,
    Thresholds,
)
from syncline.matching.decide import DECISIONS, REASON_CODE


def label(record: MatchRecord) -> str:
    """A record's name as the score table uses it: "first last" for people, else the company."""
    person = f"{record.given_name} {record.family_name}".strip()
    return person or record.organisation


class ScriptedMatcher(Matcher):
    """Scores a pair by ``scores[frozenset({name, name})]``; equal names score 1.0."""

    def __init__(
        self,
        scores: dict[frozenset[str], float] | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        chosen = thresholds or Thresholds(auto_link=0.92, review=0.75)
        super().__init__(MatcherConfig(thresholds=chosen))
        self.scores = scores or {}

    def score(self, a: MatchRecord, b: MatchRecord) -> float:
        if label(a) == label(b):
            return 1.0
        return self.scores.get(frozenset({label(a), label(b)}), 0.0)

    def _outcome(
        self,
        left: list[MatchRecord],
        right: list[MatchRecord],
        pairs: list[tuple[int, int]],
        pinned: Iterable[PinnedPair],
    ) -> MatchOutcome:
        rejected = {(p.left_id, p.right_id) for p in pinned if not p.linked}
        kept = []
        for i, j in pairs:
            score = self.score(left[i], right[j])
            if (left[i].id, right[j].id) in rejected or score < self.config.thresholds.new:
                continue
            kept.append((i, j, score))
        thresholds = self.config.thresholds
        return MatchOutcome(
            left_ids=[r.id for r in left],
            right_ids=[r.id for r in right],
            left=np.asarray([k[0] for k in kept], dtype=np.int64),
            right=np.asarray([k[1] for k in kept], dtype=np.int64),
            score=np.asarray([k[2] for k in kept], dtype=np.float32),
            decision=np.asarray(
                [DECISIONS.index(thresholds.classify(k[2])) for k in kept], dtype=np.int8
            ),
            reason=np.asarray([REASON_CODE[Reason.SCORE]] * len(kept), dtype=np.int8),
            candidates=len(pairs),
        )

    def link(
        self,
        left: Iterable[MatchRecord] | PreparedRecords,
        right: Iterable[MatchRecord] | PreparedRecords,
        pinned: Iterable[PinnedPair] = (),
    ) -> MatchOutcome:
        assert not isinstance(left, PreparedRecords) and not isinstance(right, PreparedRecords)
        a, b = list(left), list(right)
        return self._outcome(a, b, [(i, j) for i in range(len(a)) for j in range(len(b))], pinned)

    def deduplicate(
        self, records: Iterable[MatchRecord] | PreparedRecords, pinned: Iterable[PinnedPair] = ()
    ) -> MatchOutcome:
        assert not isinstance(records, PreparedRecords)
        items = list(records)
        pairs = [(i, j) for i in range(len(items)) for j in range(i + 1, len(items))]
        return self._outcome(items, items, pairs, pinned)
