"""A throwaway PostgreSQL server for the test suite.

``SYNCLINE_TEST_PG_URL`` wins when set. Otherwise the server binaries are found under
``/usr/lib/postgresql/*/bin`` (installed with apt-get when missing, as CI runs as root), a
cluster is initialised in a temporary folder as the ``postgres`` user and started on a free
loopback port. Each call of :func:`fresh_database` gives an empty database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from syncline.demo.process import free_port

_APT_HINT = "install it with: apt-get update && apt-get install -y postgresql"


def _find_bin_dir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if candidates:
        return candidates[0].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _install_postgres() -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            f"PostgreSQL server binaries are missing and we are not root; {_APT_HINT}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-2000:]}\n{_APT_HINT}")


def _as_postgres(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the 'postgres' user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the admin URL of a running server (``postgresql://postgres@127.0.0.1:PORT/postgres``)."""
    given = os.environ.get("SYNCLINE_TEST_PG_URL")
    if given:
        yield given
        return
    bin_dir = _find_bin_dir()
    if bin_dir is None:
        _install_postgres()
        bin_dir = _find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(f"PostgreSQL installed but initdb not found; {_APT_HINT}")
    data = Path(tempfile.mkdtemp(prefix="syncline-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data / "db"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    log = data / "server.log"
    proc = subprocess.Popen(
        _as_postgres(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data / "db"),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-k",
                str(data),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        ),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited while starting:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        else:
            raise RuntimeError(f"PostgreSQL not ready after 30 s:\n{log.read_text()[-2000:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    import psycopg  # only the PostgreSQL tests need the driver

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"
