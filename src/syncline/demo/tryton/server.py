"""Run the demo ERP: a ``trytond`` on a free loopback port over a copy of the template."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from syncline.demo.process import ManagedServer, ServerError, free_port
from syncline.demo.tryton.install import venv_bin
from syncline.demo.tryton.template import ensure_template, write_config

CONNECTION_FILE = "tryton.json"


@dataclass(frozen=True)
class TrytonInstance:
    """A running demo ERP and how to reach it (the JSON connection file holds the same)."""

    url: str
    database: str
    username: str
    password: str
    pid: int
    state_dir: str

    @property
    def connection_file(self) -> Path:
        return Path(self.state_dir) / CONNECTION_FILE


def _folder(state_dir: Path) -> Path:
    return state_dir / "tryton"


def _server(state_dir: Path) -> ManagedServer:
    return ManagedServer("trytond", _folder(state_dir))


def _ready(url: str) -> bool:
    try:
        reply = httpx.post(
            f"{url}/rpc/",
            json={"id": 0, "method": "common.server.version", "params": []},
            timeout=1.0,
        )
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


def status(state_dir: Path) -> TrytonInstance | None:
    """The running instance of ``state_dir``, or None when none runs."""
    pid = _server(state_dir).pid()
    connection = state_dir / CONNECTION_FILE
    if pid is None or not connection.is_file():
        return None
    data = json.loads(connection.read_text())
    return TrytonInstance(**{**data, "pid": pid})


def start(state_dir: Path, *, port: int | None = None, timeout: float = 60.0) -> TrytonInstance:
    """Start the demo ERP for ``state_dir`` (reusing its database, else a template copy).

    Builds the cached template first when needed (minutes, once per machine). Returns the
    running instance; a second call while it runs returns the same instance. ``timeout`` is in
    seconds.
    """
    state_dir = state_dir.resolve()
    running = status(state_dir)
    if running is not None:
        return running
    template = ensure_template()
    folder = _folder(state_dir)
    db_dir = folder / "db"
    db_dir.mkdir(parents=True, exist_ok=True)
    database_file = db_dir / f"{template.database}.sqlite"
    if not database_file.is_file():
        shutil.copyfile(template.path, database_file)
    port = port or free_port()
    conf = write_config(db_dir, port)
    url = f"http://127.0.0.1:{port}"
    server = _server(state_dir)
    # "-d NAME" is mandatory in 8.2: without it every model call fails with KeyError 'res.user'.
    pid = server.start(
        [str(venv_bin("trytond")), "-c", str(conf), "-d", template.database],
        ready=lambda: _ready(url),
        timeout=timeout,
    )
    instance = TrytonInstance(
        url=url,
        database=template.database,
        username=template.username,
        password=template.password,
        pid=pid,
        state_dir=str(state_dir),
    )
    connection = state_dir / CONNECTION_FILE
    connection.write_text(json.dumps(asdict(instance), indent=2))
    connection.chmod(0o600)
    return instance


def stop(state_dir: Path) -> bool:
    """Stop the demo ERP of ``state_dir``; True if one was running."""
    stopped = _server(state_dir.resolve()).stop()
    (state_dir / CONNECTION_FILE).unlink(missing_ok=True)
    return stopped


def reset(state_dir: Path) -> None:
    """Stop the demo ERP and drop its database; the next start copies the template again."""
    stop(state_dir)
    shutil.rmtree(_folder(state_dir.resolve()) / "db", ignore_errors=True)


def log_tail(state_dir: Path, lines: int = 30) -> str:
    """The last ``lines`` of the server's log."""
    return _server(state_dir.resolve()).log_tail(lines)


__all__ = [
    "CONNECTION_FILE",
    "ServerError",
    "TrytonInstance",
    "log_tail",
    "reset",
    "start",
    "status",
    "stop",
]
