"""Deterministic keys: normalised key values and the scan-based lookup any connector can use."""

from __future__ import annotations

from syncline.connectors.base import WriteOp, WriteRequest, key_values, lookup_by_scan
from syncline.model import Party
from tests.connectors.memory import MemoryConnector


def test_key_values_split_lists_and_ignore_case_space_and_blanks() -> None:
    assert key_values(" Info@X.de ") == ["info@x.de"]
    assert key_values(["A@x.de", "", None, "b@x.de"]) == ["a@x.de", "b@x.de"]
    assert key_values(None) == [] and key_values("") == [] and key_values([]) == []
    assert key_values(42) == [42]


def test_lookup_by_scan_matches_any_item_of_a_list_field() -> None:
    connector = MemoryConnector()
    parties = [
        Party(name="Alpha", vat_id="DE1", emails=["info@alpha.de", "sales@alpha.de"]),
        Party(name="Beta", vat_id="DE2", emails=["info@beta.de"]),
    ]
    results = connector.write(
        "party", [WriteRequest(WriteOp.CREATE, "party", p.name, data=p) for p in parties]
    )
    alpha, beta = (str(r.native_id) for r in results)
    found = lookup_by_scan(connector, "party", "emails", ["SALES@alpha.de"])
    assert [r.native_id for r in found] == [alpha]
    found = lookup_by_scan(connector, "party", "vat_id", ["DE2", "DE9"])
    assert [r.native_id for r in found] == [beta]
    assert lookup_by_scan(connector, "party", "vat_id", [None, ""]) == []
