"""Deterministic keys: normalised key values and the scan-based lookup any connector can use."""

from __future__ import annotations

from syncline.connectors.base import WriteOp, WriteRequest, lookup_by_scan, loose_keys
from syncline.model import Party
from tests.connectors.memory import MemoryConnector


def test_loose_keys_split_lists_and_ignore_case_spacing_punctuation_and_blanks() -> None:
    assert loose_keys(" Info@X.de ") == ["infoxde"]
    assert loose_keys(["A@x.de", "", None, "b@x.de"]) == ["axde", "bxde"]
    assert loose_keys("DE 136 695 976") == loose_keys("de136695976")
    assert loose_keys(None) == [] and loose_keys("") == [] and loose_keys([]) == []
    assert loose_keys(42) == [42]


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
    found = lookup_by_scan(connector, "party", "vat_id", ["de 2"])
    assert [r.native_id for r in found] == [beta]
    assert lookup_by_scan(connector, "party", "vat_id", [None, ""]) == []
