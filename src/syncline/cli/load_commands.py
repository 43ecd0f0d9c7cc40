"""``syncline load --map NAME [--dry-run]``: the initial load of a map, with a progress bar
(phase, count, rate, ETA) and a summary: linked, created, for review, rejected with reasons."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    emit,
    err_console,
    open_runtime,
    plain,
    plain_cells,
)
from syncline.imports.decisions import review_groups
from syncline.imports.reviewfile import write_review_file
from syncline.load import InitialLoad, LoadReport


class RateColumn(ProgressColumn):
    """Records per second of the current phase."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed and task.elapsed and task.completed:
            speed = task.completed / task.elapsed
        return Text(f"{speed:,.0f}/s" if speed else "-/s", style="progress.data.speed")


class RichProgress:
    """Implements ``syncline.load.Progress`` with one Rich bar per phase (on stderr)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not enabled,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._finish_task()
        self._progress.stop()

    def _finish_task(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1]
            total = task.total if task.total is not None else task.completed
            self._progress.update(self._task, total=total, completed=max(task.completed, total))
            self._task = None

    def phase(self, name: str, total: int | None) -> None:
        self._finish_task()
        # The description goes into the "[bold]..." markup of the first text column.
        self._task = self._progress.add_task(plain(name), total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


def print_load_summary(report: LoadReport) -> None:
    """The summary table of a load, and each rejection with its reason."""
    verb = "would be " if report.dry_run else ""
    table = Table(
        title=f"load {plain(report.map_name)}"
        + (" (dry run: nothing written)" if report.dry_run else "")
    )
    table.add_column("outcome")
    table.add_column("records", justify="right")
    for system, count in report.read.items():
        table.add_row(*plain_cells(f"read from {system}", count))
    table.add_row(*plain_cells("already linked before", report.already_linked))
    table.add_row(*plain_cells(f"{verb}linked by key", report.linked_by_key))
    table.add_row(*plain_cells(f"{verb}linked by fuzzy match", report.linked_fuzzy))
    table.add_row(*plain_cells(f"{verb}linked as people decided", report.linked_manual))
    if report.adopted:
        table.add_row(*plain_cells("found after an interrupted run", report.adopted))
    for system, count in report.created.items():
        table.add_row(*plain_cells(f"{verb}created in {system}", count))
    table.add_row(*plain_cells("waiting for review", report.for_review))
    table.add_row(*plain_cells("skipped as people decided", report.skipped))
    if report.one_way:
        table.add_row(*plain_cells("not copied (one-way map)", report.one_way))
    if report.pending:
        table.add_row(*plain_cells("waiting for delivery (retried)", report.pending))
    if report.conflicts:
        table.add_row(*plain_cells("field conflicts for a person", report.conflicts))
    table.add_row(*plain_cells("rejected", len(report.rejected)))
    console.print(table)
    for rejection in report.rejected:
        console.print(
            f"  [yellow]rejected[/yellow] {plain(rejection.system)} "
            f"{plain(rejection.native_id)}: {plain(rejection.reason)}",
            highlight=False,
        )
    if report.for_review:
        console.print(
            "Decide the review items in the web UI (Review queue), then run the load again.",
            highlight=False,
        )
    console.print(f"{report.seconds:.1f} s", highlight=False)


def load(  # noqa: PLR0917 - Typer options
    map_name: Annotated[str, typer.Option("--map", "-m", help="The map to load.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Match and count only; write nothing.")
    ] = False,
    review_file: Annotated[
        Path | None,
        typer.Option(
            "--review-file",
            help="Also write the map's open review items to this CSV or XLSX file "
            "(decide them there, apply with 'syncline import review FILE').",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Initial load of a map: match both systems, link, queue the grey zone, create the rest.

    Safe to run again: after a crash it continues without creating anything twice.
    """
    with open_runtime(config) as runtime:
        try:
            m = runtime.config.map(map_name)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from None
        connectors = {m.a: runtime.connector(m.a), m.b: runtime.connector(m.b)}
        with RichProgress(err_console, enabled=not (quiet or as_json)) as progress:
            loader = InitialLoad(runtime.store, runtime.config, connectors, progress=progress)
            report = loader.run(map_name, dry_run=dry_run)
        data = {**report.stats(), "map": report.map_name, "rejections": report.rejected}
        written = 0
        if review_file is not None and not dry_run:
            groups = review_groups(runtime.store, map_name)
            if groups:
                write_review_file(review_file, groups)
                written = len(groups)
        data["review_file"] = str(review_file) if written else None
        emit(data, as_json, lambda: print_load_summary(report))
        if written and not as_json:
            console.print(
                f"{written} review group(s) written to {plain(review_file)}: fill in the "
                f"decision column, run: syncline import review {plain(review_file)}, then "
                "load again",
                highlight=False,
            )
        if report.rejected or report.pending:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(load)


__all__ = ["RateColumn", "RichProgress", "load", "print_load_summary", "register"]
