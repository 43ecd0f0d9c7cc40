"""A field one system has no place for is not shared: the engine could never agree on it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from syncline.connectors.base import Capabilities
from syncline.mapping import SynclineConfig
from syncline.sync.context import build_context
from tests.connectors.memory import MemoryConnector


def test_fields_a_system_does_not_store_are_left_out_of_the_map() -> None:
    config = SynclineConfig.model_validate(
        {
            "systems": {"crm": {"type": "sql"}, "erp": {"type": "sql"}},
            "maps": [{"name": "parties", "entity": "party", "a": "erp", "b": "crm"}],
        }
    )
    crm = MemoryConnector(system="crm")
    (party,) = crm.capabilities.entities
    crm.capabilities = Capabilities(
        entities=(replace(party, unstored=frozenset({"vat_id", "credit_limit"})),)
    )
    ctx = build_context(
        config,
        "parties",
        {"erp": MemoryConnector(system="erp"), "crm": crm},
        lambda: datetime.now(UTC),
    )
    shared = {f.field_a for f in ctx.fields}
    assert "name" in shared and "emails" in shared
    assert not {"vat_id", "credit_limit"} & shared
