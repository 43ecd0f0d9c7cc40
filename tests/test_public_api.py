"""Each package's public API is fixed by ``__all__`` (as in httpx): nothing more, nothing less."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "syncline.errors",
    "syncline.model",
    "syncline.connectors.base",
    "syncline.store",
    "syncline.mapping",
    "syncline.runtime",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_every_public_name_is_listed(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported), sorted(
        n for n in exported if not hasattr(module, n)
    )
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name).startswith("syncline")
        and n != "annotations"
    }
    assert public - exported == set(), f"public but not in __all__: {sorted(public - exported)}"
