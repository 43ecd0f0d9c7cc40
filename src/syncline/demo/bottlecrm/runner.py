"""Start a BottleCRM server process on a database file, on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from syncline.demo.bottlecrm.install import Template, crm_env, home, venv_python
from syncline.demo.process import ManagedServer, free_port

HOST = "127.0.0.1"
SERVER_NAME = "bottlecrm"


def healthy(url: str, timeout: float = 1.0) -> bool:
    """True when ``GET /healthz/`` answers 200 within ``timeout`` seconds."""
    try:
        return httpx.get(f"{url}/healthz/", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _argv(port: int) -> list[str]:
    gunicorn = venv_python().parent / "gunicorn"
    if gunicorn.exists():
        return [
            str(gunicorn),
            "crm.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--timeout",
            "120",
        ]
    return [str(venv_python()), "-m", "django", "runserver", f"{HOST}:{port}", "--noreload"]


def launch(template: Template, database: Path, state_dir: Path) -> tuple[ManagedServer, str, int]:
    """Start a server process on ``database``; returns it, its base URL and its pid."""
    server = ManagedServer(SERVER_NAME, state_dir)
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    pid = server.start(
        _argv(port),
        env=crm_env(database, template.secret_key),
        cwd=home(),
        ready=lambda: healthy(url),
        timeout=90.0,
    )
    return server, url, pid


@contextmanager
def run_server(template: Template, state_dir: Path) -> Iterator[str]:
    """Run a server on ``template.database`` itself (used while building the template)."""
    server, url, _ = launch(template, template.database, state_dir)
    try:
        yield url
    finally:
        server.stop()
