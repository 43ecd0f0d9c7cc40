"""The bootstrapped, seeded BottleCRM database template (built once per version and cache).

Building it: venv and ``migrate`` (cached separately), then admin, organisation, token and the
``erp_number`` account field through the ORM, then the demo data through the REST API.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
from pathlib import Path

from syncline.connectors.bottlecrm import custom_fields
from syncline.demo.bottlecrm import scripts, seed, seed_data
from syncline.demo.bottlecrm.install import (
    ADMIN_EMAIL,
    ORG_NAME,
    Template,
    bootstrap,
    build_lock,
    ensure_migrated,
    home,
    write_settings,
)
from syncline.demo.bottlecrm.runner import run_server
from syncline.demo.bottlecrm.seed import seed_demo_data
from syncline.demo.process import ServerError


def revision() -> str:
    """A digest of what goes into the template (bootstrap script, settings, demo data), so a
    changed seed or custom field set rebuilds it; the slow ``migrate`` step is kept."""
    digest = hashlib.sha256()
    for text in (scripts.SETTINGS, scripts.BOOTSTRAP):
        digest.update(text.encode())
    for module in (seed, seed_data, custom_fields):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def _read_template() -> Template | None:
    meta = home() / "template.json"
    database = home() / "template.sqlite"
    if not (meta.is_file() and database.is_file()):
        return None
    data = json.loads(meta.read_text("utf-8"))
    if data.get("revision") != revision():
        return None
    return Template(
        database=database,
        admin_email=data["admin_email"],
        admin_password=data["admin_password"],
        org_name=data["org_name"],
        token=data["token"],
        secret_key=data["secret_key"],
    )


def ensure_template() -> Template:
    """The bootstrapped, seeded template; built on first use (minutes), then read (instant)."""
    found = _read_template()
    if found is not None:
        return found
    with build_lock():
        found = _read_template()
        if found is not None:
            return found
        started = time.monotonic()
        migrated = ensure_migrated()
        write_settings()
        work = home() / "template.partial"
        shutil.copyfile(migrated, work)
        password = secrets.token_urlsafe(12)
        secret_key = secrets.token_urlsafe(48)
        token = bootstrap(work, password, secret_key)
        draft = Template(
            database=work,
            admin_email=ADMIN_EMAIL,
            admin_password=password,
            org_name=ORG_NAME,
            token=token,
            secret_key=secret_key,
        )
        _seed_template(draft)
        work.replace(home() / "template.sqlite")
        meta = {
            "admin_email": ADMIN_EMAIL,
            "admin_password": password,
            "org_name": ORG_NAME,
            "token": token,
            "secret_key": secret_key,
            "revision": revision(),
            "built_in_seconds": round(time.monotonic() - started, 1),
        }
        (home() / "template.json").write_text(json.dumps(meta, indent=2), "utf-8")
    found = _read_template()
    if found is None:
        raise ServerError(f"BottleCRM template was not written to {home()}")
    return found


def _seed_template(draft: Template) -> None:
    """Start a server on the draft database and load the demo data through the REST API."""
    with run_server(draft, home() / "seed-run") as url:
        seed_demo_data(url, draft.token)
