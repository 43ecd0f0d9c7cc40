"""The public API of ``syncline.flows`` is fixed by ``__all__`` (as for the other packages)."""

from __future__ import annotations

import types

from syncline import flows


def test_all_names_exist_and_every_public_name_is_listed() -> None:
    exported = set(flows.__all__)
    assert all(hasattr(flows, n) for n in exported)
    public = {
        n
        for n, value in vars(flows).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", "syncline.flows").startswith("syncline")
        and n != "annotations"
    }
    assert public - exported == set()
