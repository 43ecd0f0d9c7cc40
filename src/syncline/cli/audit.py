"""``syncline audit``: every applied change, filtered by link, field and time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    LimitOption,
    console,
    emit,
    fmt_time,
    open_runtime,
    plain_cells,
    print_more,
)
from syncline.cli.lookups import MapFilter, check_map
from syncline.cli.sync import engine_for
from syncline.store.audit import count_events
from syncline.store.schema import audit_events


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
    map_name: MapFilter = None,
    limit: LimitOption = 200,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The audit trail, newest last: when, link, field, old and new value, source, reason, actor.

    Lists the newest --limit events that pass the filters."""
    since_at = _since(since)
    with open_runtime(config) as runtime:
        check_map(runtime, map_name, audit_events)
        events = engine_for(runtime).audit(
            link_id=link, field=field, since=since_at, map_name=map_name, limit=limit, newest=True
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
            if len(events) == limit:
                with runtime.store.begin() as conn:
                    total = count_events(
                        conn, link_id=link, field=field, since=since_at, map_name=map_name
                    )
                    print_more(limit, total)

        emit(events, as_json, render)


def register(app: typer.Typer) -> None:
    app.command()(audit)
