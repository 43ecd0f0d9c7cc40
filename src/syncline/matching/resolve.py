"""Decisions in context: what the other candidate pairs of a record say about one pair.

A pair is scored on its own, but some pairs can only be judged together with the others:

* **Sole candidate.** "A. Gruber" at Rosengasse 76 fits Agnes Gruber there, but would fit
  Anna Gruber at the same address just as well, so the pair alone is *ambiguous* and held for
  review. If no Anna (nor anyone else) at least reaches the review threshold with either
  record, the initial can only mean the one person the data holds, and the pair is linked.
  The same holds for a record without a first name, or for an organisation known only by name
  and town: linked when exactly one party in the data fits it, held while two fit (a branch).
* **Implied link.** A held pair whose two records are already linked through other records
  ("A. Gruber" linked to Agnes Gruber by a shared e-mail, Agnes linked to a second Agnes
  Gruber record by phone) is the same party by those links; it is linked even when another
  Gruber with an A also lives there. So is a pair in the upper half of the grey zone (at
  least halfway from ``review`` to ``auto_link``); lower down, the evidence against the pair
  itself outweighs a chain of links. Two records linked through others that blocking never
  proposed as a pair (a record with a typo in every key) are scored first
  (:func:`linked_elsewhere`), then judged by the same rule.

Both rules only use the scores of the pairs, never anything outside the data.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from syncline.matching.decide import REASON_CODE, DecisionCode, Reason

IntArray = npt.NDArray[np.int64]


def components(size: int, left: IntArray, right: IntArray) -> IntArray:
    """Connected components of the graph on ``size`` nodes with edges ``(left[k], right[k])``:
    for each node the smallest node of its component."""
    label = np.arange(size, dtype=np.int64)
    if len(left) == 0:
        return label
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        label = label[label]  # pointer jumping: follow the label to its own label
        if np.array_equal(label, before):
            return label


def linked_elsewhere(
    size: int,
    linked_left: IntArray,
    linked_right: IntArray,
    known: IntArray,
    *,
    split: int | None,
    max_group: int,
) -> tuple[IntArray, IntArray]:
    """Pairs of records linked to each other through other records that are not among the
    ``known`` pair codes (``left * size + right``, sorted): blocking did not propose them, so
    they have no score yet. Only groups of at most ``max_group`` records (a larger group is a
    chain to be checked, not to be completed); with ``split``, only pairs across the two
    collections. Returns ``(left, right)`` with ``left < right``."""
    empty = np.empty(0, dtype=np.int64)
    if len(linked_left) == 0:
        return empty, empty
    group = components(size, linked_left, linked_right)
    members = np.unique(np.concatenate([linked_left, linked_right]))
    labels = group[members]
    group_size = np.bincount(labels, minlength=size)
    members = members[(group_size[labels] > 2) & (group_size[labels] <= max_group)]
    # Members of one group next to each other: every pair of a group is within max_group - 1.
    members = members[np.lexsort((members, group[members]))]
    labels = group[members]
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for step in range(1, min(max_group, len(members))):
        same = labels[:-step] == labels[step:]
        lefts.append(members[:-step][same])
        rights.append(members[step:][same])
    if not lefts:
        return empty, empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    if split is not None:
        across = (left < split) & (right >= split)
        left, right = left[across], right[across]
    codes = left * np.int64(size) + right
    at = np.minimum(np.searchsorted(known, codes), max(len(known) - 1, 0))
    new = known[at] != codes if len(known) else np.ones(len(codes), dtype=np.bool_)
    return left[new].astype(np.int64), right[new].astype(np.int64)


def _distinct_groups(size: int, node: IntArray, group: IntArray) -> IntArray:
    """For each node, how many distinct groups appear among its ``(node, group)`` entries."""
    entries = np.unique(node * np.int64(size) + group)
    return np.bincount(entries // size, minlength=size).astype(np.int64)


def resolve_in_context(
    size: int,
    left: IntArray,
    right: IntArray,
    score: npt.NDArray[np.float32],
    *,
    decision: npt.NDArray[np.int8],
    reason: npt.NDArray[np.int8],
    review: float,
    auto_link: float,
) -> None:
    """Link held pairs whose records have a sole candidate, and held or upper grey-zone pairs
    whose records are already linked through other records (see the module docstring).
    ``size`` is the number of records; ``decision`` and ``reason`` are updated in place."""
    if len(left) == 0:
        return
    linked = decision == DecisionCode.LINK
    group = components(size, left[linked], right[linked])
    held = reason == REASON_CODE[Reason.AMBIGUOUS]
    grey = (reason == REASON_CODE[Reason.SCORE]) & (score >= (review + auto_link) / 2)
    implied = (held | grey) & (decision == DecisionCode.REVIEW) & (group[left] == group[right])
    # Every record's plausible partners (at least the review threshold), by linked group, and
    # the record's own group: a held pair is clear when both records see only the two groups.
    plausible = (score >= review) & (reason != REASON_CODE[Reason.NUMBER_CONFLICT])
    nodes = np.concatenate([left[plausible], right[plausible], np.arange(size)])
    groups = np.concatenate([group[right[plausible]], group[left[plausible]], group])
    seen = _distinct_groups(size, nodes, groups)
    expected = np.where(group[left] == group[right], 1, 2)
    sole = held & ~implied & (seen[left] == expected) & (seen[right] == expected)
    decision[sole | implied] = DecisionCode.LINK
    reason[sole] = REASON_CODE[Reason.SOLE_CANDIDATE]
    reason[implied] = REASON_CODE[Reason.IMPLIED_LINK]
