"""What the CLI tests share: running the console entry point, and a party map between the
legacy tables ``crm`` and ``erp``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncline.cli import main


def run(
    config: Path, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> tuple[str, str]:
    """``syncline --config CONFIG ARGS``: its standard output and error, after checking the
    exit code and that no traceback was shown."""
    got = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    assert got == code, (args, out, err)
    assert "Traceback" not in err
    return out, err


def parties_map(**rule: Any) -> dict[str, Any]:
    """The map ``parties``: name and VAT id shared, matched by VAT id (``rule`` overrides)."""
    return {
        "name": "parties",
        "entity": "party",
        "a": "crm",
        "b": "erp",
        "only_listed_fields": True,
        "fields": [{"field": "name"}, {"field": "vat_id"}],
        "match": {"keys": ["vat_id"]},
        "overlap_seconds": 0,
        **rule,
    }
