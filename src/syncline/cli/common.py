"""What every CLI command shares: the --config option, the runtime, output and errors.

Rich reads ``[...]`` in printed strings as markup and drops what looks like a tag, so every
value from data or an error goes through ``plain`` (inside our own markup) or ``plain_cells``
(table rows): "[erp] refused" must not print as " refused".

Exit codes (documented in the README): 0 success; 1 the operation failed (a system or the
store failed, a cycle had errors); 2 usage or configuration error (bad flag, invalid or missing
config file, missing environment variable, unreachable state store); 130 interrupted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from syncline.errors import SynclineError
from syncline.runtime import Runtime

# emoji=False: a value such as "a:x:b" must not turn into an emoji either.
console = Console(soft_wrap=True, emoji=False)
err_console = Console(stderr=True, soft_wrap=True, emoji=False)

DEFAULT_CONFIG = "syncline.yaml"


class CliState:
    """Options given before the command (``syncline --config X --debug status``)."""

    config: Path | None = None
    debug: bool = False


state = CliState()


class UsageError(SynclineError):
    """A command's argument or option is wrong (a file that cannot be read, an input that
    is missing): printed as ``error: ...``, exit code 2."""

    exit_code = 2


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: $SYNCLINE_CONFIG, else ./syncline.yaml).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def config_path(given: Path | None = None) -> Path:
    """The config file: the command's --config, the global --config, $SYNCLINE_CONFIG, or
    ./syncline.yaml, in that order."""
    if given is not None:
        return given
    if state.config is not None:
        return state.config
    env = os.environ.get("SYNCLINE_CONFIG")
    return Path(env) if env else Path(DEFAULT_CONFIG)


@contextmanager
def open_runtime(given: Path | None = None) -> Iterator[Runtime]:
    """Load the config and yield a Runtime; closes connectors and the store afterwards."""
    runtime = Runtime.from_file(config_path(given))
    try:
        yield runtime
    finally:
        runtime.close()


def to_jsonable(value: Any) -> Any:
    """Dataclasses, pydantic models, datetimes, Decimals and enums as plain JSON values."""
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def emit(data: Any, as_json: bool, render: Callable[[], None]) -> None:
    """Print ``data`` as JSON when ``as_json``, else call ``render`` (a Rich table, usually)."""
    if as_json:
        typer.echo(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))
    else:
        render()


def plain(value: object) -> str:
    """``value`` as text for a Rich markup string that prints it as it is (brackets kept)."""
    return escape(str(value))


def plain_cells(*values: object) -> list[Text]:
    """Table cells that print their values as they are, never read as markup."""
    return [Text(str(value)) for value in values]


LimitOption = Annotated[int, typer.Option("--limit", min=1, help="List at most this many.")]


def print_more(shown: int, total: int) -> None:
    """Below a listing cut at its limit: how many there are, and how to see them."""
    if total > shown:
        console.print(f"showing {shown} of {total}; --limit {total} lists them all")


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"
