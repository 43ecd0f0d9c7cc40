"""``syncline sync`` (run cycles once or every N seconds) and ``syncline plan`` (dry run)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    emit,
    open_runtime,
    plain,
    plain_cells,
)
from syncline.cli.lookups import record_labels
from syncline.errors import SynclineError
from syncline.flows.base import RunOptions
from syncline.flows.registry import build_flow
from syncline.flows.schedule import due_flows, due_maps
from syncline.load.suggester import FuzzySuggester
from syncline.runtime import Runtime
from syncline.store.outbox import list_jobs
from syncline.sync import CycleReport, DeliveryReport, MapBusyError, SyncEngine

MapOption = Annotated[
    str | None, typer.Option("--map", "-m", help="Only this map (default: every enabled map).")
]


def engine_for(runtime: Runtime) -> SyncEngine:
    """The sync engine over the runtime's store, config and connectors."""
    return SyncEngine(
        runtime.store, runtime.config, runtime.connectors(), suggester=FuzzySuggester()
    )


def _maps(runtime: Runtime, name: str | None) -> list[str]:
    if name is not None:
        runtime.config.map(name)  # KeyError names the known maps
        return [name]
    return [m.name for m in runtime.config.maps if m.enabled]


SHOWN_DEAD = 5
"""Dead letters a cycle's line names with their reason; ``deadletters list`` has them all."""


def _print_dead(engine: SyncEngine, map_name: str | None, count: int) -> None:
    """The reasons of the ``count`` dead letters a cycle or delivery of ``map_name`` (None:
    every map) just made, the newest, at most ``SHOWN_DEAD``: a record waiting for a person
    is named where it fails."""
    with engine.store.begin() as conn:
        letters = list_jobs(conn, "dead", map_name, min(count, SHOWN_DEAD), newest=True)
    records = record_labels(engine.store, engine.config, letters)
    for job in letters:
        record = records[job.id]
        console.print(
            f"  [red]dead letter {job.id}[/red]: {plain(job.op)} {plain(job.entity)} "
            f"{plain(record)} in {plain(job.target_system)}: {plain(job.last_error or '')}",
            highlight=False,
        )
    if count > SHOWN_DEAD:
        console.print(
            f"  ... and {count - SHOWN_DEAD} more: syncline deadletters list", highlight=False
        )


def _print_unreadable(report: CycleReport) -> None:
    """The records the cycle found unreadable (not known so before), at most ``SHOWN_DEAD``,
    with why: the rest of their system's records kept flowing, these wait for a person."""
    found = report.capture.unreadable
    for item in found[:SHOWN_DEAD]:
        console.print(
            f"  [red]unreadable[/red] {plain(item.native_id)} in {plain(item.system)}: "
            f"{plain(item.reason)}",
            highlight=False,
        )
    if len(found) > SHOWN_DEAD:
        console.print(
            f"  ... and {len(found) - SHOWN_DEAD} more: syncline unreadable", highlight=False
        )


def _print_cycle(report: CycleReport) -> None:
    s, d = report.capture.stats, report.delivery
    loaded = f"loaded {report.capture.loaded} in batches, " if report.capture.loaded else ""
    console.print(
        f"{plain(report.map_name)}: read {report.capture.read}, {loaded}planned {s.jobs} write(s), "
        f"{s.conflicts} new conflict(s); delivered {d.delivered}, retried {d.retried}, "
        f"dead {d.dead}, re-planned {d.replanned} ({report.seconds:.2f} s)",
        highlight=False,
    )
    for error in report.capture.errors + d.errors:
        console.print(f"  [yellow]{plain(error)}[/yellow]", highlight=False)


def sync(
    map_name: MapOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and exit.")] = False,
    every: Annotated[
        float | None,
        typer.Option(
            "--every",
            help="Repeat every SECONDS until interrupted; between cycles, run due flows.",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run sync cycles: capture both systems of each map, merge, deliver the outbox."""
    if once and every is not None:
        raise typer.BadParameter("give --once or --every, not both")
    with open_runtime(config) as runtime:
        try:
            names = _maps(runtime, map_name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        engine = engine_for(runtime)
        failed = False
        flows_started: dict[str, float] = {}
        maps_started: dict[str, float] = {}
        while True:
            started = time.monotonic()
            for name in due_maps(runtime.config, names, maps_started, started):
                maps_started[name] = started
                try:
                    report = engine.run_cycle(name)
                except MapBusyError:  # several workers on one PostgreSQL store: theirs now
                    console.print(
                        f"{plain(name)}: busy in another worker; skipped", highlight=False
                    )
                    continue
                _print_cycle(report)
                if report.delivery.dead:
                    _print_dead(engine, name, report.delivery.dead)
                _print_unreadable(report)
                failed = failed or bool(
                    report.capture.errors or report.delivery.dead or report.capture.unreadable
                )
            engine.store.checkpoint()  # while idle, not inside the next cycle
            if every is None:
                break
            if map_name is None:
                _run_due_flows(runtime, flows_started)
            time.sleep(max(0.0, every - (time.monotonic() - started)))
        if failed:
            raise typer.Exit(1)


def worker(
    map_name: MapOption = None,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now and exit.")] = False,
    every: Annotated[
        float, typer.Option("--every", help="Seconds to wait when nothing is due.")
    ] = 5.0,
    config: ConfigOption = None,
) -> None:
    """Deliver queued writes (the outbox) without capturing: add workers on more machines
    (PostgreSQL store) to spread the writes; each job runs once, one job per link at a time."""
    with open_runtime(config) as runtime:
        try:
            names = _maps(runtime, map_name) if map_name is not None else None
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        engine = engine_for(runtime)
        failed = False
        while True:
            report = engine.deliver(names[0] if names else None)
            _print_delivery(report, idle="nothing due" if once else None)
            if report.dead:
                _print_dead(engine, names[0] if names else None, report.dead)
            failed = failed or bool(report.dead)
            if report.delivered or report.dead or report.replanned or once:
                engine.store.checkpoint()  # while idle, not inside the next delivery
            if once:
                break
            if not (report.delivered or report.dead or report.replanned):
                time.sleep(every)
        if failed:
            raise typer.Exit(1)


def _print_delivery(report: DeliveryReport, idle: str | None = None) -> None:
    if not (report.delivered or report.retried or report.dead or report.replanned):
        if idle:
            console.print(idle, highlight=False)
        return
    console.print(
        f"delivered {report.delivered}, retried {report.retried}, dead {report.dead}, "
        f"re-planned {report.replanned}, waiting {report.waiting}",
        highlight=False,
    )
    for error in report.errors:
        console.print(f"  [yellow]{plain(error)}[/yellow]", highlight=False)


def _run_due_flows(runtime: Runtime, started: dict[str, float]) -> None:
    """Between cycles of a long-running sync: every enabled flow whose schedule is due."""
    for name in due_flows(runtime.config, started, time.monotonic()):
        started[name] = time.monotonic()
        try:
            flow = build_flow(runtime.config, runtime.store, runtime.connector, name)
            report = flow.run(RunOptions())
        except SynclineError as exc:  # one flow failing must not stop the sync service
            console.print(f"flow {plain(name)}: [red]failed[/red] {plain(exc)}", highlight=False)
            continue
        errors = f", [red]{len(report.errors)} error(s)[/red]" if report.errors else ""
        console.print(
            f"flow {plain(name)}: {report.transitions} step(s), {report.finished} finished, "
            f"{report.waiting} waiting{errors} ({report.seconds:.2f} s)",
            highlight=False,
        )


def plan(
    map_name: MapOption = None, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Dry run: print what a cycle would write now. Stores nothing, writes nothing."""
    with open_runtime(config) as runtime:
        try:
            names = _maps(runtime, map_name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        engine = engine_for(runtime)
        plans = [engine.plan(name) for name in names]
        rows: list[dict[str, Any]] = [
            {
                "map": p.map_name,
                "op": j.op,
                "target": j.target_system,
                "native_id": j.native_id,
                "link_id": j.link_id,
                "fields": j.fields,
                "values": j.payload.get("values"),
            }
            for p in plans
            for j in p.jobs
        ]

        def render() -> None:
            table = Table(title="planned writes (dry run)")
            for col in ("map", "op", "target", "record", "fields"):
                table.add_column(col)
            for r in rows:
                table.add_row(
                    *plain_cells(
                        r["map"],
                        r["op"],
                        r["target"],
                        r["native_id"] or "(new)",
                        ", ".join(str(f) for f in r["fields"] or []) or "(all)",
                    )
                )
            console.print(table)
            console.print(f"{len(rows)} write(s) would be planned", highlight=False)

        emit({"writes": rows}, as_json, render)


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(plan)
    app.command()(worker)


__all__ = ["SynclineError", "engine_for", "register"]
