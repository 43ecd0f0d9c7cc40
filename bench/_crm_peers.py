"""The peers of the CRM benchmark (:mod:`bench.matching_crm`), on the same generated data:
plain rapidfuzz and splink. Each returns the same figures as syncline's run."""

from __future__ import annotations

import importlib
import time
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils

from bench._crm_data import generate, max_rss_mb, prf, true_pairs


def _figures(
    predicted: set[tuple[int, int]], truth: set[tuple[int, int]], started: float
) -> dict[str, float]:
    """A peer's figures, measured from ``started`` until now."""
    seconds = time.perf_counter() - started
    p, r, f1 = prf(predicted, truth)
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "match_s": seconds,
        "total_s": seconds,
        "peak_mb": max_rss_mb(),
    }


def run_rapidfuzz(records: int) -> dict[str, float]:
    """Plain rapidfuzz: records within a postcode compared all-with-all on one concatenated
    string with ``token_sort_ratio``; 85 or more is a match."""
    data, truth = generate(records)
    pairs = true_pairs(truth)
    started = time.perf_counter()
    blocks: dict[str, list[int]] = {}
    texts = []
    for i, rec in enumerate(data):
        text = " ".join(
            (
                rec.given_name,
                rec.family_name,
                rec.organisation,
                rec.street,
                rec.house_number,
                rec.city,
                *rec.emails,
                *rec.phones,
            )
        )
        texts.append(utils.default_process(text))
        blocks.setdefault(rec.postal_code.replace(" ", "").upper(), []).append(i)
    predicted: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        block_texts = [texts[i] for i in members]
        scores = process.cdist(
            block_texts,
            block_texts,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=85,
            workers=-1,
            dtype=np.uint8,
        )
        rows, cols = np.nonzero(np.triu(scores, 1))
        for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = members[a], members[b]
            predicted.add((min(i, j), max(i, j)))
    return _figures(predicted, pairs, started)


def run_splink(records: int) -> dict[str, float]:
    """splink on DuckDB, deduplication with the usual set-up for person and company data:
    Jaro-Winkler levels on names and street, exact levels on the rest, blocking on e-mail,
    phone, postcode with family or organisation name, and street with house number;
    u by random sampling, m by EM; pairs with match probability >= 0.99 are links."""
    pd: Any = importlib.import_module("pandas")  # untyped, and only in the bench extra
    import splink.comparison_library as cl  # noqa: PLC0415
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: PLC0415

    data, truth = generate(records)
    pairs = true_pairs(truth)
    started = time.perf_counter()

    def text(value: str) -> str | None:
        return utils.default_process(value) or None

    frame = pd.DataFrame(
        {
            "unique_id": range(len(data)),
            "given": [text(r.given_name) for r in data],
            "family": [text(r.family_name) for r in data],
            "organisation": [text(r.organisation) for r in data],
            "street": [text(r.street) for r in data],
            "house": [text(r.house_number) for r in data],
            "postcode": [text(r.postal_code) for r in data],
            "city": [text(r.city) for r in data],
            "email": [text(r.emails[0]) if r.emails else None for r in data],
            "phone": [
                "".join(c for c in r.phones[0] if c.isdigit())[-8:] if r.phones else None
                for r in data
            ],
        }
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given"),
            cl.JaroWinklerAtThresholds("family"),
            cl.JaroWinklerAtThresholds("organisation"),
            cl.JaroWinklerAtThresholds("street"),
            cl.ExactMatch("house"),
            cl.ExactMatch("postcode"),
            cl.JaroWinklerAtThresholds("city"),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("postcode", "family"),
            block_on("postcode", "organisation"),
            block_on("street", "house"),
        ],
    )
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=40)
    linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for rule in (block_on("email"), block_on("postcode", "given")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predicted = linker.inference.predict(threshold_match_probability=0.99)
    found = predicted.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    predicted_pairs = {
        (min(a, b), max(a, b))
        for a, b in zip(found["unique_id_l"].tolist(), found["unique_id_r"].tolist(), strict=True)
    }
    return _figures(predicted_pairs, pairs, started)
