"""Install django-crm into its own virtual environment and build the migrated database template.

Everything lives under ``cache_dir("bottlecrm", VERSION)`` (the clone's ignored ``.cache/``):

- ``venv/``               BottleCRM's interpreter (Python >= 3.12) with django-crm installed;
- ``settings/``           the settings module syncline writes (SQLite, eager Celery, ...);
- ``migrated.sqlite``     the database after ``migrate`` (2-4 minutes of CPU, built once);
- ``template.sqlite``     migrated + admin, organisation, token and demo data;
- ``template.json``       the credentials that belong to ``template.sqlite``.

Each step is skipped when its result exists, so only the first run pays for it.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from syncline.demo.bottlecrm import scripts
from syncline.demo.bottlecrm.interpreter import find_python
from syncline.demo.process import ServerError
from syncline.paths import cache_dir

VERSION = "1.35.0"
PACKAGE = f"django-crm=={VERSION}"
ADMIN_EMAIL = "admin@example.com"
ORG_NAME = "Syncline Demo GmbH"


@dataclass(frozen=True)
class Template:
    """A bootstrapped BottleCRM database and the credentials stored in it."""

    database: Path
    admin_email: str
    admin_password: str
    org_name: str
    token: str
    secret_key: str


def home() -> Path:
    """The cache folder of this BottleCRM version."""
    return cache_dir("bottlecrm", VERSION)


def venv_python() -> Path:
    return home() / "venv" / "bin" / "python"


def settings_dir() -> Path:
    return home() / "settings"


def crm_env(database: Path, secret_key: str) -> dict[str, str]:
    """Environment for any BottleCRM process working on ``database``."""
    return {
        "DJANGO_SETTINGS_MODULE": scripts.SETTINGS_MODULE,
        "PYTHONPATH": str(settings_dir()),
        "SYNCLINE_BOTTLECRM_DB": str(database),
        "SYNCLINE_BOTTLECRM_SECRET_KEY": secret_key,
        "ENV_TYPE": "dev",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "0",
    }


@contextmanager
def build_lock() -> Iterator[None]:
    """Serialise template builds across processes (parallel test workers, two CLIs)."""
    with (home() / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: Sequence[str], *, env: dict[str, str] | None = None, what: str) -> str:
    full_env = dict(os.environ)
    full_env.update(env or {})
    done = subprocess.run(
        list(argv), capture_output=True, text=True, env=full_env, cwd=str(home()), check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise ServerError(f"BottleCRM: {what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def ensure_venv() -> Path:
    """Create the virtual environment and install django-crm unless done; its python path."""
    python = venv_python()
    marker = home() / "venv" / ".syncline-installed"
    if marker.is_file() and marker.read_text().strip() == PACKAGE:
        return python
    base = find_python()
    if not python.exists():
        _run([str(base), "-m", "venv", str(home() / "venv")], what="creating its venv")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PACKAGE],
        what=f"pip install {PACKAGE}",
    )
    marker.write_text(PACKAGE)
    return python


def write_settings() -> None:
    """Write the settings module (idempotent; rewritten when syncline's copy changed)."""
    folder = settings_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{scripts.SETTINGS_MODULE}.py"
    if not target.is_file() or target.read_text("utf-8") != scripts.SETTINGS:
        target.write_text(scripts.SETTINGS, "utf-8")
    for name, text in (
        ("bootstrap.py", scripts.BOOTSTRAP),
        ("access_token.py", scripts.ACCESS_TOKEN),
    ):
        path = folder / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")


def ensure_migrated() -> Path:
    """The migrated, empty database file; runs ``migrate`` (minutes) only when it is missing."""
    target = home() / "migrated.sqlite"
    if target.is_file():
        return target
    python = ensure_venv()
    write_settings()
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    env = crm_env(partial, "migrate-" + "x" * 40)
    _run(
        [str(python), "-m", "django", "migrate", "--noinput"],
        env=env,
        what="migrate (the database template)",
    )
    partial.replace(target)
    return target


def bootstrap(database: Path, password: str, secret_key: str) -> str:
    """Create admin, organisation, profile and token in ``database`` (through the ORM);
    returns the raw personal access token. The custom fields come later, through the API."""
    out = _run(
        [str(venv_python()), str(settings_dir() / "bootstrap.py"), ADMIN_EMAIL, password, ORG_NAME],
        env=crm_env(database, secret_key),
        what="bootstrap (admin, organisation, token)",
    )
    token: str = json.loads(out.strip().splitlines()[-1])["token"]
    return token


def access_token(database: Path, template: Template) -> str:
    """A short-lived JWT for the admin (needed to register webhooks; PATs may not)."""
    out = _run(
        [
            str(venv_python()),
            str(settings_dir() / "access_token.py"),
            template.admin_email,
            template.org_name,
        ],
        env=crm_env(database, template.secret_key),
        what="minting an access token",
    )
    return out.strip().splitlines()[-1]
