"""Decisions: link, review or new, from a score, the thresholds of a map and what people decided.

Three thresholds per map (:class:`Thresholds`): at or above ``auto_link`` a pair is linked
without asking; at or above ``review`` it becomes a review item for a person; below that the
record is new. ``new`` is the floor under which a pair is not reported at all, so a large load
does not carry millions of hopeless pairs; pairs between ``new`` and ``review`` are reported
with decision NEW as "considered and rejected".

A decision a person made is never undone by the matcher (:class:`PinnedPair`): a pinned link
stays a link, a pinned rejection is never suggested again, and a record that a person has
linked is never linked automatically to anything else (such a pair is at most a review item).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Decision(StrEnum):
    """What happens to a candidate pair."""

    LINK = "link"
    REVIEW = "review"
    NEW = "new"


class Reason(StrEnum):
    """Why a pair got its decision."""

    SCORE = "score"
    """The score against the thresholds."""
    SYSTEM_NUMBER = "system_number"
    """Both records carry the same number of one system (e.g. the ERP debtor number)."""
    NUMBER_CONFLICT = "number_conflict"
    """Both records carry a number of the same system, and the numbers differ."""
    AMBIGUOUS = "ambiguous"
    """Linkable by score, but the person is known only by an initial or no first name and no
    identifying field agrees (a family member at the same address would score the same)."""
    PINNED_LINK = "pinned_link"
    """A person linked the two records."""
    PINNED_REJECTION = "pinned_rejection"
    """A person decided the two records are different."""
    PINNED_ELSEWHERE = "pinned_elsewhere"
    """One of the records was linked by a person to another record."""
    SOLE_CANDIDATE = "sole_candidate"
    """Ambiguous on its own, but the only party in the data that fits: no third record reaches
    the review threshold with either of the two."""
    IMPLIED_LINK = "implied_link"
    """Ambiguous or in the upper grey zone on its own, but both records are linked through
    other records."""


class DecisionCode(IntEnum):
    """Compact codes of :class:`Decision` for array storage."""

    NEW = 0
    REVIEW = 1
    LINK = 2


DECISIONS = (Decision.NEW, Decision.REVIEW, Decision.LINK)
""":class:`Decision` by :class:`DecisionCode`."""
REASONS = tuple(Reason)
""":class:`Reason` by its index, the code stored in arrays."""
REASON_CODE = {reason: code for code, reason in enumerate(REASONS)}


class Thresholds(BaseModel):
    """The three score thresholds of a map, each in [0, 1]; ``new <= review <= auto_link``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auto_link: float = Field(default=0.9, ge=0, le=1)
    review: float = Field(default=0.5, ge=0, le=1)
    new: float = Field(default=0.2, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.new <= self.review <= self.auto_link:
            raise ValueError(
                "thresholds must satisfy new <= review <= auto_link "
                f"(got new={self.new}, review={self.review}, auto_link={self.auto_link})"
            )
        return self

    def classify(self, score: float, *, ambiguous: bool = False) -> Decision:
        """The decision for one pair: LINK, REVIEW or NEW. An ambiguous pair is never LINK."""
        if score >= self.auto_link and not ambiguous:
            return Decision.LINK
        if score >= self.review:
            return Decision.REVIEW
        return Decision.NEW

    def classify_array(
        self, score: npt.NDArray[np.float32], ambiguous: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int8]:
        """:meth:`classify` over arrays; returns :class:`DecisionCode` values."""
        codes = np.full(len(score), DecisionCode.NEW, dtype=np.int8)
        codes[score >= self.review] = DecisionCode.REVIEW
        codes[(score >= self.auto_link) & ~ambiguous] = DecisionCode.LINK
        return codes


@dataclass(frozen=True, slots=True)
class PinnedPair:
    """A decision a person made about two records (ids as given to the matcher).

    ``linked`` True: they are the same (a manual link); False: they are different (a rejection).
    In deduplication the order of the two ids does not matter.
    """

    left_id: str
    right_id: str
    linked: bool


@dataclass(frozen=True, slots=True)
class MatchResult:
    """One decided candidate pair. ``score`` is in [0, 1]."""

    left_id: str
    right_id: str
    score: float
    decision: Decision
    reason: Reason
