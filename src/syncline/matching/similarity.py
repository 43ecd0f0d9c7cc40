"""Field similarities of candidate pairs, each distinct pair of values compared once.

Blocking proposes hundreds of thousands of pairs, but they share few distinct values per field
(first names, towns, streets). :func:`similarity` compares each distinct pair of values once
with a rapidfuzz scorer and spreads the result over the pairs, so the cost follows the distinct
value pairs, not the candidate pairs. Scoring (:mod:`.scoring`) and the estimates taken from
the data (:mod:`.calibration`) both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from syncline.matching.records import PreparedRecords

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

Scorer = Callable[..., Any]
JARO_WINKLER: Scorer = JaroWinkler.normalized_similarity
OSA_SIMILARITY: Scorer = OSA.normalized_similarity
ONE_TYPO = np.float32(0.75)
"""Normalised edit similarity of one edit in a four-letter name."""


def similarity(
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
    where either is missing. ``scorer`` None compares for equality. Scorers must be symmetric.
    ``scale`` is the scorer's maximum (100 for the ``fuzz`` ratios); the result is in [0, 1]."""
    codes_a, values_a = records.codes(names[0])
    codes_b, values_b = records.codes(names[1])
    a, b = codes_a[left], codes_b[right]
    missing: BoolArray = (a == 0) | (b == 0)
    same_column = names[0] == names[1]
    if scorer is None:
        equal: FloatArray = (a == b).astype(np.float32)
        return equal, missing
    result = np.zeros(len(left), dtype=np.float32)
    todo = ~missing
    if same_column:
        result[a == b] = 1.0
        todo &= a != b
        a, b = np.minimum(a, b), np.maximum(a, b)
    if not todo.any():
        return result, missing
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
    result[todo] = distinct_similarity[inverse.reshape(-1)]
    return result, missing


def has_values(records: PreparedRecords, name: str) -> bool:
    """Whether any record has a value in column ``name``."""
    return len(records.codes(name)[1]) > 1


def given_name_similarity(
    records: PreparedRecords, left: IntArray, right: IntArray, *, workers: int
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Similarity of the given names, their plain Jaro-Winkler similarity, and where either
    is missing.

    Jaro-Winkler rewards a shared beginning ("Urs"/"Ursina", "Siri"/"Sigrid": family members);
    a typo is one edit, so beyond one edit in four letters the edit distance rules.
    """
    jaro, missing = similarity(
        records, JARO_WINKLER, ("given_name", "given_name"), left, right, workers=workers
    )
    edit, _ = similarity(
        records, OSA_SIMILARITY, ("given_name", "given_name"), left, right, workers=workers
    )
    result: FloatArray = np.where(edit >= ONE_TYPO, jaro, np.minimum(jaro, edit))
    return result, jaro, missing
