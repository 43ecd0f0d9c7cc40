"""``syncline conflicts list|show|resolve``: fields changed differently in both systems."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
from syncline.cli.lookups import MapFilter, check_map
from syncline.cli.sync import engine_for
from syncline.store.conflicts import count_conflicts, get_conflict
from syncline.store.schema import conflicts as conflicts_table
from syncline.sync.conflicts import UNSET

conflicts_app = typer.Typer(help="Conflicts waiting for a person's decision.", no_args_is_help=True)


@conflicts_app.command("list")
def list_(
    map_name: MapFilter = None,
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open conflicts (id, map, link, field, both values), oldest first."""
    with open_runtime(config) as runtime:
        check_map(runtime, map_name, conflicts_table)
        state = None if all_ else "open"
        items = engine_for(runtime).conflicts(map_name, state, limit)

        def render() -> None:
            table = Table(title="conflicts")
            for col in ("id", "map", "link", "field", "value a", "value b", "state", "since"):
                table.add_column(col)
            for c in items:
                table.add_row(*plain_cells(
                    c.id, c.map_name, c.link_id, c.field, repr(c.value_a),
                    repr(c.value_b), c.state, fmt_time(c.created_at),
                ))  # fmt: skip
            console.print(table)
            if len(items) == limit:
                with runtime.store.begin() as conn:
                    print_more(limit, count_conflicts(conn, state, map_name))

        emit(items, as_json, render)


@conflicts_app.command("show")
def show(conflict_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One conflict with its base, both values, versions, change times and sources."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        item = get_conflict(conn, conflict_id)
        if item is None:
            raise typer.BadParameter(f"no conflict with id {conflict_id}")
        m = next((x for x in runtime.config.maps if x.name == item.map_name), None)
        system_a, system_b = (m.a, m.b) if m is not None else ("a", "b")  # a map taken out

        def render() -> None:
            console.print(f"conflict {item.id} ({plain(item.state)}) map {plain(item.map_name)}, "
                          f"link {item.link_id}, field {plain(item.field)}",
                          highlight=False)  # fmt: skip
            console.print(f"  base: {plain(repr(item.base_value))}", highlight=False)
            for system, value, version, at in (
                (system_a, item.value_a, item.version_a, item.changed_at_a),
                (system_b, item.value_b, item.version_b, item.changed_at_b),
            ):
                console.print(
                    f"  {plain(system)}: {plain(repr(value))} (version {plain(version)}, "
                    f"changed {fmt_time(at)})",
                    highlight=False,
                )

        emit(item, as_json, render)


@conflicts_app.command("resolve")
def resolve(
    conflict_id: int,
    take: Annotated[str | None, typer.Option("--take", help="System whose value wins.")] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="The value to set (JSON, or plain text).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Decide a conflict; the next delivery writes the decision to both systems."""
    if (take is None) == (value is None):
        raise typer.BadParameter("give exactly one of --take SYSTEM or --value V")
    chosen: Any = UNSET
    if value is not None:
        try:
            chosen = json.loads(value)
        except json.JSONDecodeError:
            chosen = value
    with open_runtime(config) as runtime:
        with runtime.store.begin() as conn:
            item = get_conflict(conn, conflict_id)
        if item is None:
            raise typer.BadParameter(f"no conflict with id {conflict_id}")
        if item.state != "open":
            raise typer.BadParameter(f"conflict {conflict_id} is already {item.state}")
        m = next((x for x in runtime.config.maps if x.name == item.map_name), None)
        if m is None:
            raise typer.BadParameter(
                f"conflict {conflict_id} is of map {item.map_name!r}, which the config no "
                "longer has: put the map back to decide it"
            )
        if take is not None and take not in (m.a, m.b, "a", "b"):
            raise typer.BadParameter(
                f"conflict {conflict_id} is between {m.a} and {m.b}: take one of them",
                param_hint="'--take'",
            )
        engine = engine_for(runtime)
        engine.resolve_conflict(conflict_id, take=take, value=chosen, actor="cli")
        delivery = engine.deliver()
        console.print(
            f"conflict {conflict_id} resolved; {delivery.delivered} write(s) delivered",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(conflicts_app, name="conflicts")
