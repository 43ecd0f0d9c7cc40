"""The Tryton packages' public API is fixed by ``__all__``."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "syncline.connectors.tryton",
    "syncline.connectors.tryton.client",
    "syncline.connectors.tryton.codec",
    "syncline.connectors.tryton.connector",
    "syncline.connectors.tryton.insight",
    "syncline.connectors.tryton.settings",
    "syncline.demo.tryton",
    "syncline.demo.erp",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_every_public_name_is_listed(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported)
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", None) == name
    }
    assert public - exported == set(), f"public but not in __all__: {sorted(public - exported)}"


def test_no_tryton_import_in_the_syncline_process() -> None:
    import sys

    importlib.import_module("syncline.connectors.tryton")
    importlib.import_module("syncline.demo.erp")
    assert not [m for m in sys.modules if m.split(".")[0] in ("trytond", "proteus")]
