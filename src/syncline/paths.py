"""Where syncline keeps caches (demo systems' virtual environments, database templates)."""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: cwd) holding syncline's pyproject."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and 'name = "syncline"' in candidate.read_text("utf-8"):
            return folder
    return None


def cache_dir(*parts: str) -> Path:
    """``$SYNCLINE_CACHE_DIR``, else ``<project>/.cache`` in a checkout, else ``~/.cache/syncline``.

    The folder (and ``parts`` below it) is created on first use.
    """
    env = os.environ.get("SYNCLINE_CACHE_DIR")
    if env:
        base = Path(env)
    else:
        root = project_root()
        base = root / ".cache" if root else Path.home() / ".cache" / "syncline"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
