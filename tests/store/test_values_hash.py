"""The snapshot hash: orjson's fast path must hash exactly the text the json module writes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from syncline.model import Party
from syncline.store.snapshots import values_hash

# canonical values: JSON without floats (amounts and quantities are decimal strings)
SCALARS = st.none() | st.booleans() | st.integers() | st.text()
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _reference(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@given(st.dictionaries(st.text(), VALUES, max_size=6))
def test_values_hash_is_the_hash_of_the_json_text(values: dict[str, Any]) -> None:
    """Any text (control characters, non-ASCII, surrogates' neighbours), integers of any size
    (past orjson's 64 bits), nesting and key order: the same digest as the json module's."""
    assert values_hash(values) == _reference(values)


def test_values_hash_of_an_entity_is_its_content_hash() -> None:
    party = Party(name="Müller Maschinenbau", emails=["info@mueller-mb.de"], vat_id="DE1")
    assert values_hash(party.canonical_values()) == party.content_hash()
    ascii_party = Party(name="Fjord Fisk AS", phones=["+47 22 00 00 00"])
    assert values_hash(ascii_party.canonical_values()) == ascii_party.content_hash()
