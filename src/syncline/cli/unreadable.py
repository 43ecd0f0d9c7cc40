"""``syncline unreadable``: records capture could not read, waiting for a person to fix them."""

from __future__ import annotations

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
from syncline.store.unreadable import count_unreadable, list_unreadable


def unreadable(
    map_name: Annotated[str | None, typer.Option("--map", "-m", help="Only this map.")] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Records capture could not read as valid records, with the reason.

    The longest waiting first. Such a record (an e-mail without @, say) is passed over while
    everything else keeps flowing; fix it in its system and the next cycle syncs it and drops
    it from this list."""
    with open_runtime(config) as runtime:
        if map_name is not None:
            try:
                runtime.config.map(map_name)
            except KeyError as exc:
                raise typer.BadParameter(str(exc.args[0])) from None
        with runtime.store.begin() as conn:
            items = list_unreadable(conn, map_name, limit)
            counts = count_unreadable(conn)
        total = counts.get(map_name, 0) if map_name is not None else sum(counts.values())

        def render() -> None:
            if not items:
                console.print("no unreadable records")
                return
            table = Table(title="unreadable records")
            for col in ("map", "system", "record", "reason", "first seen", "last seen"):
                table.add_column(col)
            for u in items:
                table.add_row(*plain_cells(
                    u.map_name, u.system, u.native_id, u.reason, fmt_time(u.first_seen),
                    fmt_time(u.last_seen),
                ))  # fmt: skip
            console.print(table)
            print_more(len(items), total)

        emit(items, as_json, render)


def register(app: typer.Typer) -> None:
    app.command()(unreadable)


__all__ = ["register"]
