"""Tryton 8.2 and its modules in their own virtual environment under syncline's cache."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syncline.demo.process import ServerError
from syncline.paths import cache_dir

SERIES = "8.2"
MODULES = [
    "party",
    "company",
    "currency",
    "country",
    "product",
    "account",
    "account-invoice",
    "stock",
    "sale",
    "sale-opportunity",
    "sale-complaint",
    "sale-subscription",
    "project",
    "timesheet",
    "project-invoice",
]
REQUIREMENTS = (
    f"trytond=={SERIES}.*",
    f"proteus=={SERIES}.*",
    *(f"trytond-{module}=={SERIES}.*" for module in MODULES),
)
#: The modules trytond-admin activates (their dependencies come along).
ACTIVATE = (
    "sale_opportunity",
    "sale_complaint",
    "sale_subscription",
    "project_invoice",
    "timesheet",
)


@contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``name`` in the Tryton cache (one builder per machine)."""
    path = cache_dir("tryton") / f"{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_python() -> str:
    """The machine's ``python3`` (Tryton 8.2 runs on 3.11); ``SYNCLINE_TRYTON_PYTHON`` wins."""
    chosen = os.environ.get("SYNCLINE_TRYTON_PYTHON") or shutil.which("python3")
    if not chosen:
        raise ServerError("no python3 found on PATH to build Tryton's virtual environment")
    return chosen


def venv_dir() -> Path:
    """Where Tryton's virtual environment lives."""
    return cache_dir("tryton") / f"venv-{SERIES}"


def venv_bin(name: str) -> Path:
    """An executable of Tryton's virtual environment (``python``, ``trytond``)."""
    return venv_dir() / "bin" / name


def ensure_venv() -> Path:
    """Create Tryton's virtual environment and install the pinned packages, once.

    A stamp file records the requirements; a change of them reinstalls. Returns the folder.
    """
    folder = venv_dir()
    stamp = folder / ".syncline-installed"
    wanted = "\n".join(REQUIREMENTS)
    if stamp.is_file() and stamp.read_text() == wanted:
        return folder
    with cache_lock("venv"):
        if stamp.is_file() and stamp.read_text() == wanted:
            return folder
        if not (folder / "bin" / "python").exists():
            _run([base_python(), "-m", "venv", str(folder)], "create Tryton's venv")
        _run(
            [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *REQUIREMENTS],
            "install Tryton",
        )  # fmt: skip
        stamp.write_text(wanted)
    return folder


def installed_version() -> str:
    """The installed trytond version (``8.2.1``); part of the template's cache key."""
    result = subprocess.run(
        [str(venv_bin("python")), "-c", "import trytond; print(trytond.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"Tryton's venv is broken: {result.stderr.strip()[-500:]}")
    return result.stdout.strip()


def _run(argv: list[str], what: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-3000:]
        raise ServerError(f"could not {what} (exit {result.returncode}):\n{tail}")


__all__ = [
    "ACTIVATE",
    "MODULES",
    "REQUIREMENTS",
    "SERIES",
    "cache_lock",
    "ensure_venv",
    "installed_version",
    "venv_bin",
    "venv_dir",
]
