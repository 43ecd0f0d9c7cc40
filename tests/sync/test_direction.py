"""One-way maps: records flow only in the map's direction; key matches still link."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.store import Store
from tests.sync.harness import FakeClock, Systems, config, engine


@pytest.mark.parametrize(
    ("direction", "source", "sink"), [("a_to_b", "crm", "erp"), ("b_to_a", "erp", "crm")]
)
def test_a_one_way_map_never_copies_records_back(
    store: Store, tmp_path: Path, direction: str, source: str, sink: str
) -> None:
    systems = Systems(tmp_path)
    systems.create(source, name="Forward", vat_id="DE1")
    systems.create(sink, name="Only here", vat_id="DE2")
    sink_twin = systems.create(sink, name="Twin in sink", vat_id="DE3")
    systems.create(source, name="Twin in source", vat_id="DE3")
    sync = engine(store, systems, FakeClock(), config=config(direction=direction))
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    assert sorted(systems.by_vat(sink)) == ["DE1", "DE2", "DE3"]
    # the record that exists only in the sink stays there
    assert sorted(systems.by_vat(source)) == ["DE1", "DE3"]
    # the key match links the twins instead of creating a third record; the source leads
    assert systems.by_vat(sink)["DE3"] == (sink_twin, systems.by_vat(sink)["DE3"][1])
    assert systems.by_vat(sink)["DE3"][1].name == "Twin in source"
    assert sync.run_cycle("parties").planned_writes == 0
