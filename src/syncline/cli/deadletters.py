"""``syncline deadletters list|show|retry|skip``: writes a system rejected for good."""

from __future__ import annotations

import json
from pathlib import Path
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
from syncline.cli.sync import engine_for
from syncline.store.outbox import count_jobs, get_job

deadletters_app = typer.Typer(help="Writes rejected by a target system.", no_args_is_help=True)


@deadletters_app.command("list")
def list_(
    map_name: Annotated[str | None, typer.Option("--map", "-m")] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dead letters with the target system's own message, oldest first."""
    with open_runtime(config) as runtime:
        jobs = engine_for(runtime).dead_letters(map_name, limit)

        def render() -> None:
            table = Table(title="dead letters")
            for col in ("id", "map", "target", "op", "record", "error", "since"):
                table.add_column(col)
            for j in jobs:
                table.add_row(*plain_cells(
                    j.id, j.map_name, j.target_system, j.op, j.native_id or "(new)",
                    j.last_error or "", fmt_time(j.updated_at),
                ))  # fmt: skip
            console.print(table)
            if len(jobs) == limit:
                with runtime.store.begin() as conn:
                    print_more(limit, count_jobs(conn, ["dead"], map_name))

        emit(jobs, as_json, render)


@deadletters_app.command("show")
def show(job_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One dead letter with its payload (the values it tried to write)."""
    with open_runtime(config) as runtime, runtime.store.begin() as conn:
        job = get_job(conn, job_id)
        if job is None:
            raise typer.BadParameter(f"no outbox job with id {job_id}")

        def render() -> None:
            console.print(
                f"job {job.id} ({plain(job.state)}) {plain(job.op)} {plain(job.entity)} in "
                f"{plain(job.target_system)}, record {plain(job.native_id or '(new)')}: "
                f"{plain(job.last_error)}",
                highlight=False,
            )
            console.print_json(json.dumps(job.payload.get("values", {}), default=str))

        emit(job, as_json, render)


@deadletters_app.command("retry")
def retry(
    job_id: int,
    payload: Annotated[
        Path | None,
        typer.Option("--payload", help="JSON file with the edited values to write."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Queue a dead letter again (optionally with edited values) and deliver."""
    values = json.loads(payload.read_text(encoding="utf-8")) if payload is not None else None
    if values is not None and not isinstance(values, dict):
        raise typer.BadParameter("the payload file must hold a JSON object of field values")
    with open_runtime(config) as runtime:
        engine = engine_for(runtime)
        engine.retry_dead_letter(job_id, values)
        report = engine.deliver()
        console.print(
            f"job {job_id} queued; delivered {report.delivered}, dead {report.dead}",
            highlight=False,
        )


@deadletters_app.command("skip")
def skip(job_id: int, config: ConfigOption = None) -> None:
    """Give up on a dead letter deliberately (kept as skipped, audited)."""
    with open_runtime(config) as runtime:
        engine_for(runtime).skip_dead_letter(job_id, actor="cli")
        console.print(f"job {job_id} skipped", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(deadletters_app, name="deadletters")
