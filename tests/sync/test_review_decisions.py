"""A person's review decision is carried out by the next sync cycle."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from syncline.connectors.base import NativeRecord
from syncline.store import Store
from syncline.store.links import Side
from syncline.store.reviews import decide, list_reviews
from syncline.sync.context import MapContext
from syncline.sync.fields import other
from syncline.sync.links import Suggestion
from tests.sync.harness import FakeClock, Systems, config, engine


class GreyZone:
    """Suggests every record of the other side with a score between review and auto-link."""

    def suggest(
        self, ctx: MapContext, side: Side, records: Sequence[NativeRecord]
    ) -> list[Suggestion]:
        partners = [r for page in ctx.connectors[other(side)].scan(ctx.entity) for r in page]
        return [Suggestion(r.native_id, p.native_id, 0.8, {}) for r in records for p in partners]


@pytest.mark.parametrize(
    ("decision", "erp_rows", "links"), [("link", 1, 1), ("create", 2, 1), ("skip", 1, 0)]
)
def test_the_next_cycle_carries_out_the_decision(
    store: Store, tmp_path: Path, decision: str, erp_rows: int, links: int
) -> None:
    systems = Systems(tmp_path)
    crm_id = systems.create("crm", name="Müller Maschinenbau GmbH", vat_id="DE2")
    systems.create("erp", name="Mueller Maschinenbau", vat_id="DE1")
    sync = engine(
        store,
        systems,
        FakeClock(),
        config=config(match={"keys": ["vat_id"], "fuzzy": True}),
        suggester=GreyZone(),
    )
    sync.run_cycle("parties")
    # both records wait for a person: nothing is linked or created
    assert (len(systems.rows("crm")), len(systems.rows("erp"))) == (1, 1)
    with store.begin() as conn:
        (item,) = [
            i
            for i in list_reviews(conn, map_name="parties")
            if (i.left_system, i.left_id) == ("crm", crm_id)
        ]
        decide(conn, item.id, decision, "tester")
    sync.run_cycle("parties")
    sync.run_cycle("parties")
    assert len(systems.rows("crm")) == 1
    assert len(systems.rows("erp")) == erp_rows
    active = [k for k in sync.links("parties") if k.state == "active"]
    assert len(active) == links
    if decision == "link":  # a person's link: origin manual, pinned against automatic matches
        assert (active[0].id_a, active[0].origin, active[0].pinned) == (crm_id, "manual", True)
    assert sync.run_cycle("parties").planned_writes == 0
