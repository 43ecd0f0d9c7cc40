"""``syncline audit``: every applied change, filtered by link, field and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    emit,
    fmt_time,
    open_runtime,
    plain_cells,
)
from syncline.cli.sync import engine_for


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--since {value!r} is not an ISO date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def audit(  # noqa: PLR0917 - Typer options
    link: Annotated[int | None, typer.Option("--link", help="Only this link id.")] = None,
    field: Annotated[str | None, typer.Option("--field", help="Only this field.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this UTC time (ISO 8601).")
    ] = None,
    map_name: Annotated[str | None, typer.Option("--map", "-m")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The audit trail: when, link, field, old and new value, source, reason, actor."""
    with open_runtime(config) as runtime:
        events = engine_for(runtime).audit(
            link_id=link, field=field, since=_since(since), map_name=map_name, limit=limit
        )

        def render() -> None:
            table = Table(title="audit")
            for col in ("at", "map", "link", "field", "old", "new", "from", "to", "reason", "by"):
                table.add_column(col)
            for e in events:
                table.add_row(*plain_cells(
                    fmt_time(e.at), e.map_name or "", str(e.link_id or ""), e.field or "",
                    repr(e.old_value), repr(e.new_value), e.source_system or "",
                    e.target_system or "", e.reason, e.actor,
                ))  # fmt: skip
            console.print(table)

        emit(events, as_json, render)


def register(app: typer.Typer) -> None:
    app.command()(audit)
