"""``syncline links list|show``: which records are the same object in both systems."""

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
    plain,
    plain_cells,
    print_more,
)
from syncline.cli.lookups import MapFilter, check_link_state, check_map
from syncline.cli.sync import engine_for
from syncline.store.links import LINK_STATES, count_links
from syncline.store.schema import links as links_table
from syncline.store.snapshots import load_snapshots

links_app = typer.Typer(help="Links between records of two systems.", no_args_is_help=True)


@links_app.command("list")
def list_(
    map_name: MapFilter = None,
    state: Annotated[
        str | None,
        typer.Option("--state", help=f"Only links in this state: {', '.join(LINK_STATES)}."),
    ] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Links with both native ids, origin and state."""
    check_link_state(state)
    with open_runtime(config) as runtime:
        check_map(runtime, map_name, links_table)
        items = engine_for(runtime).links(map_name, state, limit)

        def render() -> None:
            table = Table(title="links")
            for col in ("id", "map", "entity", "a", "b", "origin", "state", "updated"):
                table.add_column(col)
            for lk in items:
                table.add_row(*plain_cells(
                    lk.id, lk.map_name, lk.entity, _native(lk.id_a, lk.state),
                    _native(lk.id_b, lk.state), lk.origin, lk.state, fmt_time(lk.updated_at),
                ))  # fmt: skip
            console.print(table)
            if len(items) == limit:
                with runtime.store.begin() as conn:
                    print_more(limit, count_links(conn, map_name, state))

        emit(items, as_json, render)


def _native(native_id: str | None, state: str) -> str:
    """A link's id on one side; none yet while a create is pending, none left once deleted."""
    return native_id or ("(pending)" if state == "active" else "-")


@links_app.command("show")
def show(link_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One link with its snapshot (the values both systems agreed on)."""
    with open_runtime(config) as runtime:
        link = engine_for(runtime).link(link_id)
        if link is None:
            raise typer.BadParameter(f"no link with id {link_id}")
        with runtime.store.begin() as conn:
            snapshot = load_snapshots(conn, [link_id]).get(link_id)

        def render() -> None:
            console.print(
                f"link {link.id} ({plain(link.state)}) {plain(link.map_name)}: "
                f"{plain(_native(link.id_a, link.state))} <-> "
                f"{plain(_native(link.id_b, link.state))}",
                highlight=False,
            )
            if snapshot is not None:
                for name, value in sorted(snapshot.base_a.items()):
                    console.print(f"  {plain(name)}: {plain(repr(value))}", highlight=False)

        emit({"link": link, "snapshot": snapshot}, as_json, render)


def register(app: typer.Typer) -> None:
    app.add_typer(links_app, name="links")
