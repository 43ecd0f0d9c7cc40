"""``syncline demo erp start|stop|reset|status``: the demo Tryton ERP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from syncline.demo import tryton

app = typer.Typer(help="The demo ERP (Tryton 8.2 on SQLite, seeded with a demo company).")

_StateDir = Annotated[
    Path, typer.Option("--dir", help="State folder (database copy, pid, log, connection file)")
]


def _print(instance: tryton.TrytonInstance) -> None:
    typer.echo(f"url:      {instance.url}")
    typer.echo(f"database: {instance.database}")
    typer.echo(f"user:     {instance.username}")
    typer.echo(f"password: {instance.password}")
    typer.echo(f"pid:      {instance.pid}")
    typer.echo(f"details:  {instance.connection_file}")


@app.command("start")
def _start(state_dir: _StateDir = Path("demo")) -> None:
    """Start the demo ERP (the first start builds the cached template: a few minutes)."""
    _print(tryton.start(state_dir))


@app.command("stop")
def _stop(state_dir: _StateDir = Path("demo")) -> None:
    """Stop the demo ERP."""
    stopped = tryton.stop(state_dir)
    typer.echo("stopped" if stopped else "not running")


@app.command("reset")
def _reset(state_dir: _StateDir = Path("demo")) -> None:
    """Stop the demo ERP and drop its database; the next start begins from the template."""
    tryton.reset(state_dir)
    typer.echo("reset: the next start copies a fresh database from the template")


@app.command("status")
def _status(state_dir: _StateDir = Path("demo")) -> None:
    """Show whether the demo ERP runs and how to reach it."""
    instance = tryton.status(state_dir)
    if instance is None:
        typer.echo("not running")
        raise typer.Exit(1)
    _print(instance)


__all__ = ["app"]
