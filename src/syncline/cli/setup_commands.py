"""Commands that set syncline up: init, check, config schema, db upgrade, status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    config_path,
    console,
    emit,
    err_console,
    open_runtime,
    plain,
    plain_cells,
)
from syncline.cli.starter import STARTER_CONFIG
from syncline.errors import ConfigError, SynclineError
from syncline.flows.registry import flow_problems
from syncline.flows.status import FlowStatus, flow_status
from syncline.imports import open_import_groups
from syncline.mapping import SynclineConfig
from syncline.runtime import Runtime, connector_type, connector_types
from syncline.store import map_status

config_app = typer.Typer(help="Inspect the configuration format.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the state store.", no_args_is_help=True)


def init(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write the file (default: --config).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    config: ConfigOption = None,
) -> None:
    """Write a commented starter syncline.yaml for the demo pair (Tryton ERP + BottleCRM)."""
    target = path or config_path(config)
    if target.is_dir():
        target = target / "syncline.yaml"
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_CONFIG, "utf-8")
    console.print(f"wrote {plain(target)}")
    console.print("next: set the environment variables it names, then run `syncline check`")


def check(
    config: ConfigOption = None,
    connect: Annotated[
        bool, typer.Option("--connect", help="Also reach the state store and every system.")
    ] = False,
) -> None:
    """Validate the config file; report every problem with file, line and key."""
    with open_runtime(config) as runtime:
        problems = runtime.validate()
        problems += [
            ConfigError(f"{runtime.config_path}: {p}") for p in flow_problems(runtime.config)
        ]
        if problems:
            for problem in problems:
                err_console.print(f"[red]error[/red] {plain(problem)}", highlight=False)
            raise typer.Exit(2)
        cfg = runtime.config
        console.print(
            f"[green]ok[/green] {plain(runtime.config_path)}: {len(cfg.systems)} systems, "
            f"{len(cfg.maps)} maps, {len(cfg.flows)} flows",
            highlight=False,
        )
        for note in runtime.notes():
            console.print(f"[yellow]note[/yellow] {plain(note)}", highlight=False)
        if connect:
            raise typer.Exit(_reach_all(runtime))


def _reach_all(runtime: Runtime) -> int:
    """``check --connect``: reach the state store and every system, each in turn whatever
    the others did, and print each one's state; the exit code (2: the store is unreachable,
    1: a system is down or failed, else 0)."""
    code = 0
    try:
        console.print(
            f"state store {plain(runtime.store.url)}: revision "
            f"{plain(runtime.store.current_revision())}",
            highlight=False,
        )
    except SynclineError as exc:
        err_console.print(f"state store: [red]error:[/red] {plain(exc)}", highlight=False)
        code = exc.exit_code
    for name in runtime.config.systems:
        try:
            health = runtime.connector(name).health()
        except SynclineError as exc:  # a connector that cannot even start: its reason
            err_console.print(
                f"system {plain(name)}: [red]error:[/red] {plain(exc)}", highlight=False
            )
            code = code or 1
            continue
        mark = "[green]ok[/green]" if health.ok else "[red]down[/red]"
        console.print(f"system {plain(name)}: {mark} {plain(health.detail)}", highlight=False)
        code = code or (0 if health.ok else 1)
    return code


@config_app.command("schema")
def schema(config: ConfigOption = None) -> None:
    """Print the JSON Schema of syncline.yaml (with each connector type's settings).

    --config is accepted, as by every command, and not read."""
    del config
    document: dict[str, Any] = SynclineConfig.model_json_schema()
    defs = document.setdefault("$defs", {})
    variants = []
    for name in connector_types():
        kind = connector_type(name)
        for model in kind.settings_models():  # a type whose settings take several forms
            sub = model.model_json_schema()
            defs.update(sub.pop("$defs", {}))
            sub.setdefault("properties", {})["type"] = {"const": name, "description": kind.summary}
            sub["required"] = sorted({"type", *sub.get("required", [])})
            variants.append(sub)
    if variants:
        defs["SystemConfig"] = {
            "oneOf": variants,
            "description": "A system; 'type' picks its connector.",
        }
    typer.echo(json.dumps(document, indent=2))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply pending state store migrations (every command also does this on first use)."""
    with open_runtime(config) as runtime:
        revision = runtime.store.upgrade()
        console.print(
            f"state store {plain(runtime.store.url)} at revision {plain(revision)}",
            highlight=False,
        )


def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Per map: last run, backlog, conflicts, dead letters, reviews, unreadable records."""
    with open_runtime(config) as runtime:
        names = [m.name for m in runtime.config.maps]
        with runtime.store.begin() as conn:
            rows = map_status(conn, names)
            imports = open_import_groups(conn)  # {"crm": {"leads.csv": 3}}
        flows = flow_status(runtime.store, runtime.config)

        def render() -> None:
            table = Table(
                title=f"syncline status ({plain(runtime.config_path)})",
                box=box.SIMPLE_HEAD,
                collapse_padding=True,
                pad_edge=False,
            )
            table.add_column("map", no_wrap=True)
            table.add_column("entity", no_wrap=True)
            table.add_column("last run (UTC)", no_wrap=True)
            table.add_column("state")
            for col in ("queued", "conflicts", "dead", "reviews", "unreadable"):
                table.add_column(col, justify="right", no_wrap=True)
            for m, row in zip(runtime.config.maps, rows, strict=True):
                table.add_row(
                    *plain_cells(
                        m.name,
                        m.entity,
                        row.last_run_at.strftime("%Y-%m-%d %H:%M") if row.last_run_at else "-",
                        row.last_run_state or "never run",
                        row.backlog,
                        row.open_conflicts,
                        row.dead_letters,
                        row.open_reviews,
                        row.unreadable,
                    )
                )
            console.print(table)
            if not rows:
                console.print("no maps configured")
            for system, files in imports.items():
                for file, count in files.items():
                    console.print(
                        f"import into {plain(system)}: {count} row(s) of {plain(file)} wait for "
                        "review (the review queue, or fill in its review file and run "
                        "'syncline import review FILE')",
                        highlight=False,
                    )
            if flows:
                console.print(_flow_table(flows))

        document = {"config": str(runtime.config_path), "maps": rows, "flows": flows}
        emit({**document, "imports": imports}, as_json, render)


def _flow_table(flows: list[FlowStatus]) -> Table:
    table = Table(title="flows", box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    for col in ("flow", "kind", "last run (UTC)", "state"):
        table.add_column(col, no_wrap=col != "state")
    table.add_column("items", justify="right")
    table.add_column("stuck", justify="right")
    table.add_column("items per state")
    for flow in flows:
        table.add_row(
            *plain_cells(
                flow.name if flow.enabled else f"{flow.name} (off)",
                flow.kind,
                flow.last_run_at.strftime("%Y-%m-%d %H:%M") if flow.last_run_at else "-",
                flow.last_run_state or "never run",
                flow.items,
                flow.with_errors,
                ", ".join(f"{state} {n}" for state, n in sorted(flow.states.items())) or "-",
            )
        )
    return table


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(check)
    app.command()(status)
    app.add_typer(config_app, name="config")
    app.add_typer(db_app, name="db")
