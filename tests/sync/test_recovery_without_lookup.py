"""A crash during an initial load into a system that offers no lookup at all (§3.10).

A connector need not offer :class:`~syncline.sync.links.KeyLookup` (README, "Adding a
connector"); it only has to scan. Recovery asked such a target nothing by key, took "no key
value found" for "the create never landed", and made every landed copy of a map with keys
again: duplicates. It now looks such a target up by one scan per recovery pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from syncline.connectors.base import Delegating, NativeRecord, WriteRequest, WriteResult
from syncline.store import Store
from syncline.sync.links import KeyLookup
from tests.sync.harness import FakeClock, Systems, config
from tests.sync.test_created_copy_by_content import CrashError
from tests.sync.test_recovery_lookups import (
    CASES,
    COUNT,
    _assert_one_linked_copy_each,
    _load_crashes,
    _records,
)


class PlainErp(Delegating):
    """The ERP behind a connector that can read, write and scan, and look nothing up; counts
    its scans and delivered requests. Armed with ``landing``, it dies in the middle of the
    next write, its first ``landing`` requests written."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.landing: int | None = None
        self.scans = 0
        self.writes: list[WriteRequest] = []

    def write(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        landing, self.landing = self.landing, None
        if landing is None:
            self.writes.extend(requests)
            return self.inner.write(entity, requests)
        if landing:
            self.inner.write(entity, requests[:landing])
        raise CrashError("write")

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        self.scans += 1
        return self.inner.scan(entity)

    def close(self) -> None:
        """The systems' connectors are closed by the test's ``Systems``."""


@pytest.mark.parametrize("landing", [None, 0, 5], ids=["all landed", "none landed", "5 landed"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_crashed_load_into_a_system_without_lookup_creates_nothing_twice(
    store: Store, tmp_path: Path, case: str, landing: int | None
) -> None:
    """Every landed copy is taken (by key where the map has keys, else by content), only the
    creates that never landed are repeated, and the target is scanned at most twice."""
    key, twins, twin_key = CASES[case]
    cfg = config(match={"keys": [key] if key else []})
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _records(systems, key, twins, twin_key)
    sync, erp = _load_crashes(store, systems, clock, cfg, landing, PlainErp)
    assert not isinstance(erp, KeyLookup)
    landed = len(systems.rows("erp"))

    report = sync.worker.recover(["parties"])

    assert report.recovered == COUNT and report.errors == []
    assert erp.scans <= 2, f"{erp.scans} scans of the ERP for {COUNT} creates in doubt"
    assert len(systems.rows("erp")) == landed, "settling writes nothing"
    sync.run_cycle("parties")
    _assert_one_linked_copy_each(systems, sync, crm_ids)
    assert len(erp.writes) == COUNT - landed, "only the copies that never landed are created"
