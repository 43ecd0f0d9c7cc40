"""Engine benchmarks: initial load of N parties SQLite -> SQLite through the whole engine
(read, map, link, snapshot, outbox, write) against a raw SQLite-to-SQLite copy of the same rows;
the first cycle past the overlap window of the load's last writes, which reads that window
once more (a one-off cost of the load); an incremental cycle with 1,000 of N linked records
changed (the mean of five rounds); a quiet cycle with cursor capture. Between cycles the
store's WAL is checkpointed, as the sync loop does while idle.

``SYNCLINE_BENCH_RECORDS`` sets N (default 1,000,000, the figure of issue 5); for a quick run:
``SYNCLINE_BENCH_RECORDS=20000 python -m bench engine_load``. Every figure is printed as a ratio
to its baseline: the raw copy measured in the same run, or else the issue's target.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.sqltables import party_system

from bench.common import Figure, report
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.sync import SyncEngine

COLUMNS = "name, vat_id, emails, phones, website, language, active, modified_at, deleted"
OVERLAP_SECONDS = 5
INCREMENTAL_ROUNDS = 5


def _change(path: Path, count: int, round_: int) -> None:
    """A user renames ``count`` parties spread over the table (a different set each round)."""
    db = sqlite3.connect(path)
    total = db.execute("SELECT count(*) FROM parties").fetchone()[0]
    step = max(1, total // count)
    now = datetime.now(UTC).replace(tzinfo=None)
    db.executemany(
        "UPDATE parties SET name = ?, modified_at = ? WHERE id = ?",
        [(f"Renamed {round_}.{i}", (now + timedelta(microseconds=i)).isoformat(sep=" "),
          i * step + 1 + round_ % step) for i in range(count)],
    )  # fmt: skip
    db.commit()
    db.close()


def _records() -> int:
    return int(os.environ.get("SYNCLINE_BENCH_RECORDS", "1000000"))


def _fill(path: Path, n: int) -> None:
    db = sqlite3.connect(path)
    start = datetime(2024, 1, 1)
    rows = (
        (
            f"Party {i} GmbH", f"DE{i:09d}", f'["info{i}@example.com"]', "[]",
            None, "de", 1, (start + timedelta(seconds=i)).isoformat(sep=" "), 0,
        )
        for i in range(n)
    )  # fmt: skip
    db.executemany(f"INSERT INTO parties ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.commit()
    db.close()


def _raw_copy(source: Path, target: Path) -> float:
    """Seconds for a plain row-by-row copy of the table with Python's sqlite3 (the baseline)."""
    started = time.perf_counter()
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    cursor = src.execute(f"SELECT {COLUMNS} FROM parties ORDER BY id")
    while rows := cursor.fetchmany(5000):
        dst.executemany(f"INSERT INTO parties ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    dst.commit()
    src.close()
    dst.close()
    return time.perf_counter() - started


def _config() -> SynclineConfig:
    return SynclineConfig.model_validate(
        {
            "systems": {"crm": {"type": "sql"}, "erp": {"type": "sql"}},
            "maps": [
                {
                    "name": "parties",
                    "entity": "party",
                    "a": "crm",
                    "b": "erp",
                    "overlap_seconds": OVERLAP_SECONDS,
                    "only_listed_fields": True,
                    "fields": [
                        {"field": f}
                        for f in ("name", "vat_id", "emails", "phones", "website", "active")
                    ],
                }
            ],
        }
    )


def run() -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="syncline-bench-"))
    try:
        return _run(folder, _records())
    finally:  # gigabytes at 1,000,000 records
        shutil.rmtree(folder, ignore_errors=True)


def _run(folder: Path, n: int) -> list[Figure]:
    crm = party_system("crm", f"sqlite:///{folder / 'crm.db'}")
    erp = party_system("erp", f"sqlite:///{folder / 'erp.db'}")
    party_system("raw", f"sqlite:///{folder / 'raw.db'}").close()
    _fill(folder / "crm.db", n)
    raw = _raw_copy(folder / "crm.db", folder / "raw.db")
    store = Store.open(f"sqlite:///{folder / 'state.db'}")
    engine = SyncEngine(store, _config(), {"crm": crm, "erp": erp}, page_size=5000)
    started = time.perf_counter()
    engine.run_cycle("parties")
    load = time.perf_counter() - started
    echo = engine.run_cycle("parties")  # the echo of the load comes back once, plans nothing
    assert echo.planned_writes == 0 and echo.delivery.delivered == 0
    store.checkpoint()  # between cycles, as `syncline sync --every` does while idle
    # the steady state: the load's gigabytes are on disk, not still being written back, which
    # would hold up every fsync of the systems' commits in the rounds below
    os.sync()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the first cycle past the overlap window of the load's last writes reads that window
    # once more (ARCHITECTURE.md §3.1: commits land out of timestamp order): a one-off cost
    # of the load, shown on its own line
    time.sleep(OVERLAP_SECONDS + 1)
    started = time.perf_counter()
    settling = engine.run_cycle("parties")
    settling_s = time.perf_counter() - started
    assert settling.planned_writes == 0
    store.checkpoint()
    # the steady state: several rounds, so that a WAL checkpoint falling into one of them is
    # counted fairly
    changed = min(1000, n)
    rounds: list[float] = []
    for round_ in range(INCREMENTAL_ROUNDS):
        time.sleep(OVERLAP_SECONDS + 1)
        _change(folder / "crm.db", changed, round_)
        started = time.perf_counter()
        incremental = engine.run_cycle("parties")
        rounds.append(time.perf_counter() - started)
        assert incremental.delivery.delivered == changed, incremental.delivery
        engine.run_cycle("parties")  # echo of the incremental writes
        store.checkpoint()
    incremental_s = sum(rounds) / len(rounds)
    time.sleep(OVERLAP_SECONDS + 1)  # leave the overlap window: the quiet steady state
    engine.run_cycle("parties")
    started = time.perf_counter()
    quiet = engine.run_cycle("parties")
    quiet_s = time.perf_counter() - started
    assert quiet.planned_writes == 0
    store.close()
    crm.close()
    erp.close()
    return [
        Figure(f"initial load {n:,} parties (engine)", load, "s", raw, "raw sqlite copy",
               4.0, higher_is_better=False),
        Figure(f"initial load {n:,} parties (engine)", n / load, "records/s", 50_000,
               "target", 1.0),
        Figure(f"raw sqlite copy {n:,} parties (baseline)", n / raw, "records/s", 50_000,
               "target"),
        Figure("peak memory (load + cycles)", peak_mb, "MB", 500, "target", 1.0,
               higher_is_better=False),
        Figure(f"incremental cycle, {changed:,} of {n:,} changed (mean of {len(rounds)})",
               incremental_s, "s", 0.5, "target", 1.0, higher_is_better=False),
        Figure("incremental cycle, slowest round", max(rounds), "s"),
        Figure("first cycle past the load's overlap window (reads it once more)", settling_s,
               "s"),
        Figure(f"quiet cycle over {n:,} linked (cursor)", quiet_s * 1000, "ms", 50, "target",
               1.0, higher_is_better=False),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    report(run())
