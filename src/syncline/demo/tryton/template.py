"""The initialised and seeded demo database, built once and cached as a template file."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from syncline.demo.process import ServerError
from syncline.demo.tryton import dataset
from syncline.demo.tryton.install import (
    ACTIVATE,
    cache_lock,
    ensure_venv,
    installed_version,
    venv_bin,
)
from syncline.paths import cache_dir

DATABASE = "syncline_demo"
ADMIN = "admin"
_HERE = Path(__file__).parent
SEED_SCRIPT = _HERE / "seed_company.py"


@dataclass(frozen=True)
class Template:
    """A cached database file and the admin password it was built with."""

    path: Path
    database: str
    username: str
    password: str
    key: str


def write_config(folder: Path, port: int | None = None) -> Path:
    """A trytond config for a SQLite database folder (and a listen port); returns its path."""
    lines = ["[database]", "uri = sqlite://", f"path = {folder}", ""]
    if port is not None:
        lines += ["[web]", f"listen = 127.0.0.1:{port}", ""]
    lines += ["[session]", "max_attempt = 100", ""]
    conf = folder / "trytond.conf"
    conf.write_text("\n".join(lines))
    return conf


def template_key() -> str:
    """The cache key: Tryton's installed version plus a hash of the seeding code and data."""
    digest = hashlib.sha256()
    for source in (SEED_SCRIPT, Path(dataset.__file__), Path(__file__)):
        digest.update(source.read_bytes())
    return f"{installed_version()}-{digest.hexdigest()[:12]}"


def ensure_template() -> Template:
    """The cached template database, built when missing (install + init + seed, minutes).

    Safe to call from several processes: one builds, the others wait on a file lock.
    """
    ensure_venv()
    key = template_key()
    folder = cache_dir("tryton", "templates")
    path = folder / f"{key}.sqlite"
    meta = folder / f"{key}.json"
    if not (path.is_file() and meta.is_file()):
        with cache_lock("template"):
            if not (path.is_file() and meta.is_file()):
                _build(path, meta)
                _prune(folder, keep=key)
    info = json.loads(meta.read_text())
    return Template(path, DATABASE, info["username"], info["password"], key)


def _build(target: Path, meta: Path) -> None:
    started = time.monotonic()
    work = cache_dir("tryton", "build") / f"{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    conf = write_config(work)
    (work / f"{DATABASE}.sqlite").touch()
    password = secrets.token_urlsafe(12)
    passfile = work / "admin-password"
    passfile.write_text(password + "\n")
    passfile.chmod(0o600)
    env = {**os.environ, "TRYTONPASSFILE": str(passfile)}
    _run(
        [str(venv_bin("trytond-admin")), "-c", str(conf), "-d", DATABASE,
         "--email", "admin@example.com", "-u", *ACTIVATE, "--activate-dependencies"],
        env, work / "admin.log", "initialise the Tryton database",
    )  # fmt: skip
    data_file = work / "data.json"
    data_file.write_text(json.dumps(dataset.dataset()))
    _run(
        [str(venv_bin("python")), str(SEED_SCRIPT), str(conf), DATABASE, str(data_file)],
        env, work / "seed.log", "seed the demo company",
    )  # fmt: skip
    partial = target.with_suffix(".partial")
    shutil.copyfile(work / f"{DATABASE}.sqlite", partial)
    partial.replace(target)
    meta.write_text(
        json.dumps(
            {
                "username": ADMIN,
                "password": password,
                "built_in_seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    meta.chmod(0o600)
    shutil.rmtree(work, ignore_errors=True)


def _prune(folder: Path, keep: str) -> None:
    """Remove templates of other keys (older Tryton versions or seeding code)."""
    for stale in folder.iterdir():
        if stale.suffix in (".sqlite", ".json") and stale.stem != keep:
            stale.unlink(missing_ok=True)


def _run(argv: list[str], env: dict[str, str], log: Path, what: str) -> None:
    with log.open("wb") as handle:
        result = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode != 0:
        tail = "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-40:])
        raise ServerError(f"could not {what} (exit {result.returncode}); log {log}:\n{tail}")


__all__ = ["ADMIN", "DATABASE", "Template", "ensure_template", "template_key", "write_config"]
