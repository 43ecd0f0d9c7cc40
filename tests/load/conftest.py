"""Two SQL party systems (``crm`` = side a, ``erp`` = side b) and a load config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from syncline.mapping import SynclineConfig
from syncline.store import Store
from tests.sync.harness import Systems


def load_config(**map_options: Any) -> SynclineConfig:
    """One party map ``parties`` between crm (a) and erp (b), matched by VAT id, then fuzzy."""
    options: dict[str, Any] = {
        "name": "parties",
        "entity": "party",
        "a": "crm",
        "b": "erp",
        "only_listed_fields": True,
        "fields": [{"field": f} for f in ("name", "vat_id", "emails", "phones", "active")],
        "conflict": {"leading": "erp"},
        "match": {"keys": ["vat_id"], "fuzzy": True},
        "overlap_seconds": 0,
    }
    options.update(map_options)
    return SynclineConfig.model_validate(
        {"systems": {"crm": {"type": "sql"}, "erp": {"type": "sql"}}, "maps": [options]}
    )


@pytest.fixture
def systems(tmp_path: Path) -> Systems:
    return Systems(tmp_path)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()
