"""``syncline flows list|run|items``: the business flows of ``syncline.yaml``."""

from __future__ import annotations

import re
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
)
from syncline.flows.base import FlowReport, RunOptions
from syncline.flows.ledger import list_items
from syncline.flows.registry import build_flow, flow_config
from syncline.flows.status import flow_status

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

flows_app = typer.Typer(help="Business flows across the CRM/ERP border.", no_args_is_help=True)


def _states(states: dict[str, int]) -> str:
    return ", ".join(f"{state} {count}" for state, count in sorted(states.items())) or "-"


@flows_app.command("list")
def list_(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Each flow with its items per state, the stuck ones and its last run."""
    with open_runtime(config) as runtime:
        rows = flow_status(runtime.store, runtime.config)

        def render() -> None:
            table = Table(title="flows")
            for col in ("name", "kind", "enabled", "items by state", "stuck", "last run"):
                table.add_column(col)
            for row in rows:
                last = f"{fmt_time(row.last_run_at)} {row.last_run_state or ''}".strip()
                table.add_row(*plain_cells(
                    row.name, row.kind, "yes" if row.enabled else "no", _states(row.states),
                    row.with_errors, last,
                ))  # fmt: skip
            console.print(table)

        emit(rows, as_json, render)


def _print_report(report: FlowReport) -> None:
    console.print(
        f"{plain(report.flow)} ({plain(report.kind)}): {report.discovered} found, "
        f"{report.new_items} new, {report.transitions} step(s), {report.finished} finished, "
        f"{report.waiting} waiting, {len(report.errors)} error(s) ({report.seconds:.2f} s)",
        highlight=False,
    )
    for error in report.errors:
        console.print(f"  [yellow]{plain(error)}[/yellow]", highlight=False)


@flows_app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The flow's name in syncline.yaml.")],
    period: Annotated[
        str | None, typer.Option("--period", help="Billing period YYYY-MM (periodic flows).")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run one flow now: find its items and advance each as far as it can go.

    Exits 1 when an item failed (its error is printed and kept for the next run).
    """
    if period is not None and not PERIOD.match(period):
        raise typer.BadParameter(f"--period {period!r} is not YYYY-MM")
    with open_runtime(config) as runtime:
        try:
            cfg = flow_config(runtime.config, name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        if not cfg.enabled:
            raise typer.BadParameter(f"flow {name!r} is disabled in the config")
        flow = build_flow(runtime.config, runtime.store, runtime.connector, name)
        report = flow.run(RunOptions(period=period))
        emit(report, as_json, lambda: _print_report(report))
    if report.errors:
        raise typer.Exit(1)


@flows_app.command("items")
def items(
    name: Annotated[str, typer.Argument(help="The flow's name in syncline.yaml.")],
    state: Annotated[str | None, typer.Option("--state", help="Only items in this state.")] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """The items of one flow, newest first: state, what is awaited, the last error."""
    with open_runtime(config) as runtime:
        try:
            flow_config(runtime.config, name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        with runtime.store.begin() as conn:
            rows = list_items(conn, name, state, limit)

        def render() -> None:
            table = Table(title=f"flow {plain(name)}")
            for col in ("item", "state", "waiting / error", "updated"):
                table.add_column(col)
            for item in rows:
                why = item.error or str(item.data.get("waiting") or "")
                table.add_row(*plain_cells(item.key, item.state, why, fmt_time(item.updated_at)))
            console.print(table)

        emit(rows, as_json, render)


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")


__all__ = ["flows_app", "register"]
