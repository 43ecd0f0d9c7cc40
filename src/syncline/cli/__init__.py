"""The ``syncline`` command line (Typer). It holds no business logic: it wires and reports."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from syncline import __version__
from syncline.cli import (
    audit,
    conflicts,
    deadletters,
    demo_commands,
    flows_commands,
    import_commands,
    links,
    load_commands,
    setup_commands,
    sync,
    unreadable,
    web_commands,
)
from syncline.cli.common import err_console, plain, state
from syncline.errors import SynclineError

app = typer.Typer(
    name="syncline",
    help="syncline joins a CRM and an ERP: mapping, two-way sync, conflicts and business flows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"syncline {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file for every command (default: $SYNCLINE_CONFIG, else ./syncline.yaml).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """syncline: a self-hosted CRM <-> ERP integration hub."""
    state.config = config
    state.debug = debug


for _commands in (
    setup_commands,
    sync,
    conflicts,
    deadletters,
    unreadable,
    audit,
    links,
    load_commands,
    import_commands,
    flows_commands,
    web_commands,
    demo_commands,
):
    _commands.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the documented exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except typer.Abort:
        err_console.print("interrupted")
        code = 130
    except typer.TyperException as exc:  # usage errors: bad flag, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {plain(exc)}")
        code = 2
    except SynclineError as exc:
        if state.debug:
            traceback.print_exc()
        err_console.print(f"[red]error:[/red] {plain(exc)}", highlight=False)
        code = exc.exit_code
    else:
        code = result if isinstance(result, int) else 0
    if argv is None:
        sys.exit(code)
    return code
