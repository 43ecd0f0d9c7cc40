"""The public API of the load and import packages is fixed by ``__all__``."""

from __future__ import annotations

import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["syncline.load", "syncline.imports"])
def test_every_public_name_is_listed_and_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported)
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name).startswith("syncline")
        and n != "annotations"
    }
    assert public - exported == set()
