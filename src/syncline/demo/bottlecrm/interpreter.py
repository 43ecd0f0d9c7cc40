"""Find a Python interpreter new enough for BottleCRM (django-crm 1.35.0 needs Python >= 3.12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from syncline.demo.process import ServerError

MINIMUM = (3, 12)
_PATH_NAMES = ("python3.14", "python3.13", "python3.12", "python3")


def _version(python: Path) -> tuple[int, int] | None:
    """The interpreter's (major, minor), or None when it does not run (e.g. a broken shim)."""
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = done.stdout.split()
    if done.returncode != 0 or len(parts) != 2:
        return None
    return int(parts[0]), int(parts[1])


def _pyenv_root() -> Path | None:
    env = os.environ.get("PYENV_ROOT")
    if env:
        return Path(env)
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            done = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def candidates() -> list[Path]:
    """Interpreters to try, in order: this one, PATH, then pyenv's ``versions/3.1[2-9]*``."""
    found: list[Path] = [Path(sys.executable)]
    for name in _PATH_NAMES:
        where = shutil.which(name)
        if where:
            found.append(Path(where))
    root = _pyenv_root()
    if root is not None:
        versions = sorted((root / "versions").glob("3.1[2-9]*"), reverse=True)
        found.extend(v / "bin" / "python3" for v in versions)
    return list(dict.fromkeys(found))


def find_python() -> Path:
    """The first working interpreter with version >= 3.12.

    Raises ServerError naming what to install when there is none.
    """
    for python in candidates():
        version = _version(python)
        if version is not None and version >= MINIMUM:
            return python
    raise ServerError(
        "BottleCRM (django-crm 1.35.0) needs Python 3.12 or newer and none was found on PATH "
        "or under pyenv's versions folder. Install one, e.g. `pyenv install 3.12` or your "
        "distribution's python3.12 package with its venv module, then retry."
    )
