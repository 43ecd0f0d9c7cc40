"""A crash during an initial load into a system whose key lookup scans (ARCHITECTURE.md §3.10).

The Tryton and BottleCRM connectors look a value up by reading the whole entity
(:func:`~syncline.connectors.base.lookup_by_scan`). Recovery settled each in-doubt create of
the batch with lookups of its own: a full scan of the target per record of the batch. It now
asks such a target once per pass for all of them, and settles them exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from syncline.connectors.base import Connector, NativeRecord, lookup_by_scan
from syncline.connectors.sql import SqlConnector
from syncline.mapping import SynclineConfig
from syncline.store import Store
from syncline.sync import SyncEngine
from syncline.sync.first_load import release_abandoned
from tests.sync.harness import FakeClock, Systems, config, engine
from tests.sync.test_created_copy_by_content import CrashError, _crash_at
from tests.sync.test_twin_copies import DiesWriting

COUNT = 12


class ScanningErp(DiesWriting):
    """The ERP with Tryton's key lookup (a full scan per call, live records only); counts its
    scans. Armed with ``landing``, it dies in the middle of the next write."""

    lookup_scans = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finds_deleted_by_key = False  # as Tryton: no deleted record is kept to be found
        self.scans = 0

    def lookup(
        self, entity: str, field: str, values: Sequence[Any], include_deleted: bool = False
    ) -> list[NativeRecord]:
        return lookup_by_scan(self, entity, field, values)

    def scan(self, entity: str) -> Iterator[list[NativeRecord]]:
        self.scans += 1
        return super().scan(entity)


class Landing(Connector, Protocol):
    """An ERP wrapper that, armed with ``landing``, dies in the middle of its next write."""

    landing: int | None


L = TypeVar("L", bound=Landing)


def _load_crashes(  # noqa: PLR0917 - the systems, the config and how the crash lands
    store: Store,
    systems: Systems,
    clock: FakeClock,
    cfg: SynclineConfig,
    landing: int | None,
    wrap: Callable[[SqlConnector], L],
) -> tuple[SyncEngine, L]:
    """An initial load into the ERP as ``wrap`` makes it dies after writing its batch
    (``landing`` None) or in the middle of it (its first ``landing`` records written); returns
    a restarted engine, past any lease, whose batch is released into one in-doubt create per
    record, and its ERP (wrapped afresh)."""
    erp = wrap(systems.conn["erp"])
    erp.landing = landing
    connectors = {"crm": systems.conn["crm"], "erp": erp}
    crashing = engine(
        store, systems, clock, config=cfg, connectors=connectors,
        checkpoint=_crash_at("load.written"),
    )  # fmt: skip
    with pytest.raises(CrashError):
        crashing.run_cycle("parties")
    clock.advance(600)
    erp = wrap(systems.conn["erp"])
    restarted = engine(store, systems, clock, config=cfg, connectors={**connectors, "erp": erp})
    with store.begin() as conn:
        assert release_abandoned(conn, "parties", restarted.context, clock()) == 1
    return restarted, erp


def _assert_one_linked_copy_each(systems: Systems, sync: SyncEngine, crm_ids: list[str]) -> None:
    """Every CRM record has exactly one ERP copy with its values, actively linked; nothing is
    copied back, nothing left to do."""
    crm, erp = systems.rows("crm"), systems.rows("erp")
    links = {str(k.id_a): k for k in sync.links("parties")}
    assert sorted(links) == sorted(crm_ids) and {k.state for k in links.values()} == {"active"}
    copies = [str(k.id_b) for k in links.values()]
    assert sorted(copies) == sorted(erp), "a copy twice, or a copy taken twice"
    for crm_id, link in links.items():
        mine, copy = crm[crm_id], erp[str(link.id_b)]
        assert copy.model_dump() == mine.model_dump()
    assert sorted(crm) == sorted(crm_ids), "copied back"
    assert sync.dead_letters() == []
    assert sync.run_cycle("parties").planned_writes == 0


def _records(systems: Systems, key: str | None, twins: int, twin_key: Any) -> list[str]:
    """``COUNT`` CRM records: the first ``twins`` identical (``twin_key`` their ``key``
    value), the others each with a name, a website and a ``key`` value of their own."""
    twin = {"name": "Twin", "website": "https://twin.example"}
    ids = [systems.create("crm", **twin, **({key: twin_key} if key else {})) for _ in range(twins)]
    for i in range(twins, COUNT):
        own = {"vat_id": f"DE{100 + i}", "emails": [f"info@{i}.example"]}
        keyed = {key: own[key]} if key else {}
        ids.append(systems.create("crm", name=f"Firm {i}", website=f"https://{i}.example", **keyed))
    return ids


CASES: dict[str, tuple[str | None, int, Any]] = {  # match key, twins, the twins' key value
    "keys": ("vat_id", 0, None),
    "no keys": (None, 0, None),
    "no keys, twins": (None, 3, None),
    "keys, twins without key values": ("vat_id", 3, None),
    "keys, twins with one key value": ("emails", 3, ["info@twin.example"]),
}


@pytest.mark.parametrize("landing", [None, 0, 5], ids=["all landed", "none landed", "5 landed"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_crashed_load_is_settled_with_one_scan_of_the_target(
    store: Store, tmp_path: Path, case: str, landing: int | None
) -> None:
    """A batch of ``COUNT`` creates in doubt: one recovery pass scans the ERP once, takes
    every copy that landed (each twin its own) and repeats only the creates that did not.
    Twins whose key value finds several copies are then looked up by content: a second scan."""
    key, twins, twin_key = CASES[case]
    cfg = config(match={"keys": [key] if key else []})
    systems, clock = Systems(tmp_path), FakeClock()
    crm_ids = _records(systems, key, twins, twin_key)
    sync, erp = _load_crashes(store, systems, clock, cfg, landing, ScanningErp)
    landed = len(systems.rows("erp"))
    assert landed == (COUNT if landing is None else landing)

    report = sync.worker.recover(["parties"])

    assert report.recovered == COUNT and report.errors == []
    scans = 2 if twin_key is not None and landing != 0 else 1
    assert erp.scans <= scans, f"{erp.scans} scans of the ERP for {COUNT} creates in doubt"
    assert len(systems.rows("erp")) == landed, "settling writes nothing"
    sync.run_cycle("parties")
    _assert_one_linked_copy_each(systems, sync, crm_ids)
    assert len(erp.writes) == COUNT - landed, "only the copies that never landed are created"
