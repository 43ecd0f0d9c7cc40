"""``syncline demo crm start|stop|reset|status``: the demo BottleCRM on this machine.

The first start installs django-crm 1.35.0 into its own virtual environment and builds the
migrated database template under the cache folder (a few minutes, once); later starts copy
nothing and are ready in seconds. The connection file ``bottlecrm.json`` in the state folder
holds url, token and webhook secret for syncline's config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from syncline.demo.bottlecrm.server import (
    CrmInstance,
    connection_file,
    register_webhook,
    reset,
    start,
    status,
    stop,
)

app = typer.Typer(help="The demo CRM (BottleCRM) on a loopback port.", no_args_is_help=True)

StateDir = Annotated[
    Path, typer.Option("--state-dir", help="Folder for the database, logs and connection file.")
]
DEFAULT_STATE_DIR = Path("demo")


def _print(instance: CrmInstance) -> None:
    # The demo credentials are printed on purpose: they are what the user logs in with.
    typer.echo(f"BottleCRM     {instance.url}")
    typer.echo(f"admin         {instance.admin_email} / {instance.admin_password}")
    typer.echo(f"API token     {instance.token}")
    if instance.webhook_url:
        typer.echo(f"webhook       {instance.webhook_url} (secret {instance.webhook_secret})")
    typer.echo(f"connection    {connection_file(Path(instance.state_dir))}")


@app.command("start")
def start_command(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="Register this syncline receiver URL for BottleCRM's webhooks."),
    ] = None,
) -> None:
    """Start the demo CRM (installing and building it on first use) and print URL and login."""
    instance = start(state_dir)
    if webhook_url and instance.webhook_url != webhook_url:
        instance = register_webhook(instance, webhook_url)
    _print(instance)


@app.command("stop")
def stop_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Stop the demo CRM; its data stays for the next start."""
    typer.echo("stopped" if stop(state_dir) else "not running")


@app.command("reset")
def reset_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Throw the demo CRM's data away and start again from the seeded template."""
    _print(reset(state_dir))


@app.command("status")
def status_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Print URL and login of the running demo CRM; exit code 1 when it is not running."""
    instance = status(state_dir)
    if instance is None:
        typer.echo("not running")
        raise typer.Exit(1)
    _print(instance)


__all__ = ["app"]
