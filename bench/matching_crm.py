"""Matching at scale on CRM-like data: 100,000 records with the traps of real customer data.

The data and its ground truth come from :mod:`bench._crm_data` (family members and sister
companies at one address, branches, namesakes, initials, street abbreviations, typos,
transliteration, missing fields). Figures: pairwise precision/recall/F1 of the shipped
thresholds, blocking recall, seconds of matching (block + score + decide) and end to end
(normalise + match), each as wall-clock and CPU seconds (the wall clock of a shared 2-core
machine is noisy; CPU seconds count all threads), peak memory. Peers in the same run
(:mod:`bench._crm_peers`): plain rapidfuzz and splink. Every contender runs in its own child
process, so that its peak memory (max RSS) is its own.

Run alone: ``python -m bench.matching_crm [--records N]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable

from bench._crm_data import RECORDS, generate, max_rss_mb, prf, true_pairs
from bench._crm_peers import run_rapidfuzz, run_splink
from bench.common import Figure, report
from syncline.matching import Decision, Matcher, blocking_recall, candidate_pairs


def _run_syncline(records: int) -> dict[str, float]:
    data, truth = generate(records)
    pairs = true_pairs(truth)
    matcher = Matcher()
    started, cpu_started = time.perf_counter(), time.process_time()
    prepared = matcher.prepare(data)
    prepared_at, cpu_prepared_at = time.perf_counter(), time.process_time()
    outcome = matcher.deduplicate(prepared)
    finished, cpu_finished = time.perf_counter(), time.process_time()
    index = {rid: i for i, rid in enumerate(prepared.ids)}

    def as_index(decision: Decision) -> set[tuple[int, int]]:
        result = set()
        for a, b in outcome.id_pairs(decision):
            i, j = index[a], index[b]
            result.add((min(i, j), max(i, j)))
        return result

    linked = as_index(Decision.LINK)
    reviewed = as_index(Decision.REVIEW)
    p, r, f1 = prf(linked, pairs)
    _, _, f1_review = prf(linked | reviewed, pairs)
    recall = blocking_recall(candidate_pairs(prepared, matcher.config.blocking), pairs)
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "f1_with_review": f1_review,
        "review_pairs": len(reviewed),
        "blocking_recall": recall,
        "candidates": outcome.candidates,
        "match_s": finished - prepared_at,
        "match_cpu_s": cpu_finished - cpu_prepared_at,
        "total_s": finished - started,
        "total_cpu_s": cpu_finished - cpu_started,
        "peak_mb": max_rss_mb(),
        "true_pairs": len(pairs),
    }


_CONTENDERS: dict[str, Callable[[int], dict[str, float]]] = {
    "syncline": _run_syncline,
    "rapidfuzz": run_rapidfuzz,
    "splink": run_splink,
}


def _in_child(contender: str, records: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.matching_crm",
            "--contender",
            contender,
            "--records",
            str(records),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _seconds(name: str, value: float, target: float | None = None) -> Figure:
    return Figure(name, value, "s", target=target, higher_is_better=False)


def run(records: int = RECORDS) -> list[Figure]:
    """Every contender, each in a child process, on the same generated data. Figures with a
    target are syncline's bars (issue 6); the "met" column says whether each one is met."""
    ours = _in_child("syncline", records)
    name = f"crm{records // 1000}k syncline"
    figures = [
        Figure(f"{name} F1 at the shipped thresholds", ours["f1"], "", target=0.975),
        Figure(f"{name} precision at auto-link", ours["precision"], "", target=0.99),
        Figure(f"{name} recall at auto-link", ours["recall"], ""),
        Figure(f"{name} F1 counting review as match", ours["f1_with_review"], ""),
        Figure(f"{name} review pairs", ours["review_pairs"], "pairs"),
        Figure(f"{name} blocking recall", ours["blocking_recall"], "", target=0.99),
        Figure(f"{name} candidate pairs", ours["candidates"], "pairs"),
        _seconds(f"{name} matching seconds", ours["match_s"], target=2.5),
        _seconds(f"{name} matching CPU seconds (all threads)", ours["match_cpu_s"]),
        _seconds(f"{name} end-to-end seconds", ours["total_s"], target=6.0),
        _seconds(f"{name} end-to-end CPU seconds (all threads)", ours["total_cpu_s"]),
        Figure(f"{name} peak memory", ours["peak_mb"], "MB", target=500, higher_is_better=False),
    ]
    for peer in ("rapidfuzz", "splink"):
        try:
            theirs = _in_child(peer, records)
        except subprocess.CalledProcessError as exc:  # reported, not hidden
            print(f"{peer} failed: {exc.stderr.strip().splitlines()[-1:]}")
            continue
        peer_name = f"crm{records // 1000}k {peer}"
        figures += [
            Figure(f"{peer_name} F1", theirs["f1"], ""),
            Figure(f"{peer_name} precision", theirs["precision"], ""),
            Figure(f"{peer_name} recall", theirs["recall"], ""),
            _seconds(f"{peer_name} seconds", theirs["total_s"]),
            Figure(f"{peer_name} peak memory", theirs["peak_mb"], "MB", higher_is_better=False),
        ]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching_crm", description=__doc__)
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--contender", choices=sorted(_CONTENDERS))
    args = parser.parse_args(argv)
    if args.contender:
        print(json.dumps(_CONTENDERS[args.contender](args.records)))
        return 0
    report(run(args.records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
