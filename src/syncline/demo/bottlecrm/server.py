"""Run a BottleCRM server on a copy of the template database, on a free loopback port."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from syncline.connectors.bottlecrm.webhooks import SUBSCRIBED_EVENTS
from syncline.demo.bottlecrm.install import Template, access_token
from syncline.demo.bottlecrm.runner import SERVER_NAME, healthy, launch
from syncline.demo.bottlecrm.template import ensure_template
from syncline.demo.process import ManagedServer, ServerError

CONNECTION_FILE = "bottlecrm.json"
WEBHOOK_DESCRIPTION = "syncline"
DATABASE_FILE = "bottlecrm.sqlite"


@dataclass(frozen=True)
class CrmInstance:
    """A running demo BottleCRM: where it listens and how to log in and call its API."""

    url: str
    token: str
    admin_email: str
    admin_password: str
    org_name: str
    database: str
    state_dir: str
    pid: int
    webhook_secret: str | None = None
    webhook_url: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def connection_file(state_dir: Path) -> Path:
    return state_dir / CONNECTION_FILE


def start(state_dir: Path, *, fresh: bool = False) -> CrmInstance:
    """Start the demo CRM for ``state_dir`` (or return the running one) and write its
    connection file (url, token, webhook secret). ``fresh`` replaces the database with a new
    copy of the template."""
    state_dir.mkdir(parents=True, exist_ok=True)
    running = status(state_dir)
    if running is not None and not fresh:
        return running
    stop(state_dir)
    template = ensure_template()
    database = state_dir / DATABASE_FILE
    # The webhook registered in a kept database is still there: keep its secret and URL.
    previous = None if fresh or not database.is_file() else _saved(state_dir)
    if fresh or not database.is_file():
        shutil.copyfile(template.database, database)
    _, url, pid = launch(template, database, state_dir)
    instance = CrmInstance(
        url=url,
        token=template.token,
        admin_email=template.admin_email,
        admin_password=template.admin_password,
        org_name=template.org_name,
        database=str(database),
        state_dir=str(state_dir),
        pid=pid,
        webhook_secret=previous.webhook_secret if previous else None,
        webhook_url=previous.webhook_url if previous else None,
    )
    save(instance)
    return instance


def _saved(state_dir: Path) -> CrmInstance | None:
    """The connection file's instance (running or not), or None."""
    path = connection_file(state_dir)
    if not path.is_file():
        return None
    return CrmInstance(**json.loads(path.read_text("utf-8")))


def save(instance: CrmInstance) -> None:
    """Write the connection file; it holds secrets, so only its owner may read it."""
    path = connection_file(Path(instance.state_dir))
    path.write_text(instance.to_json(), "utf-8")
    path.chmod(0o600)


def status(state_dir: Path) -> CrmInstance | None:
    """The running instance of ``state_dir``, or None when none is running and healthy."""
    if ManagedServer(SERVER_NAME, state_dir).pid() is None:
        return None
    instance = _saved(state_dir)
    return instance if instance is not None and healthy(instance.url) else None


def stop(state_dir: Path) -> bool:
    """Stop the demo CRM of ``state_dir``; True if one was running. The database stays."""
    return ManagedServer(SERVER_NAME, state_dir).stop()


def reset(state_dir: Path) -> CrmInstance:
    """Stop, replace the database with a fresh template copy, and start again."""
    stop(state_dir)
    return start(state_dir, fresh=True)


def register_webhook(instance: CrmInstance, receiver_url: str) -> CrmInstance:
    """Register ``receiver_url`` for every event syncline captures, replacing a webhook an
    earlier call registered; returns the instance with the webhook's signing secret (also
    saved in the connection file)."""
    template = ensure_template()
    jwt = _access_token(instance, template)
    headers = {"Authorization": f"Bearer {jwt}"}
    _remove_syncline_webhooks(instance.url, headers)
    reply = httpx.post(
        f"{instance.url}/api/webhooks/",
        json={
            "url": receiver_url,
            "description": WEBHOOK_DESCRIPTION,
            "events": list(SUBSCRIBED_EVENTS),
            "is_active": True,
        },
        headers=headers,
        timeout=30.0,
    )
    if reply.status_code not in (200, 201):
        raise ServerError(
            f"BottleCRM refused the webhook ({reply.status_code}): {reply.text[:500]}"
        )
    body = reply.json()
    secret = _find_secret(body)
    if secret is None:
        raise ServerError("BottleCRM's webhook reply carried no signing secret")
    updated = CrmInstance(
        **{**asdict(instance), "webhook_secret": secret, "webhook_url": receiver_url}
    )
    save(updated)
    return updated


def _remove_syncline_webhooks(url: str, headers: dict[str, str]) -> None:
    """Delete webhooks registered by an earlier start (BottleCRM allows 10 per organisation
    and shows a secret only once, so an old endpoint is replaced, not reused)."""
    reply = httpx.get(f"{url}/api/webhooks/", headers=headers, timeout=30.0)
    if reply.status_code != 200:
        raise ServerError(f"BottleCRM refused to list webhooks ({reply.status_code})")
    for endpoint in reply.json().get("endpoints") or []:
        if endpoint.get("description") == WEBHOOK_DESCRIPTION:
            httpx.delete(f"{url}/api/webhooks/{endpoint['id']}/", headers=headers, timeout=30.0)


def _find_secret(body: object) -> str | None:
    if isinstance(body, dict):
        value = body.get("secret")
        if isinstance(value, str) and value:
            return value
        for nested in body.values():
            found = _find_secret(nested)
            if found:
                return found
    return None


def _access_token(instance: CrmInstance, template: Template) -> str:
    return access_token(Path(instance.database), template)
