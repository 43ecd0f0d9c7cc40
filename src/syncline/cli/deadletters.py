"""``syncline deadletters list|show|retry|skip``: writes a system rejected for good."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    LimitOption,
    UsageError,
    console,
    emit,
    err_console,
    fmt_time,
    open_runtime,
    plain,
    plain_cells,
    print_more,
)
from syncline.cli.lookups import MapFilter, check_map, record_labels
from syncline.cli.sync import engine_for
from syncline.runtime import Runtime
from syncline.store.outbox import OutboxJob, count_jobs, get_job
from syncline.store.schema import outbox

deadletters_app = typer.Typer(help="Writes rejected by a target system.", no_args_is_help=True)

NOT_DEAD = {
    "pending": "it is queued (waiting to be delivered)",
    "running": "it is being delivered",
    "done": "it was delivered",
    "skipped": "it was skipped",
    "superseded": "newer work replaced it",
}


@deadletters_app.command("list")
def list_(
    map_name: MapFilter = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dead letters with the target system's own message, oldest first."""
    with open_runtime(config) as runtime:
        check_map(runtime, map_name, outbox)
        jobs = engine_for(runtime).dead_letters(map_name, limit)

        def render() -> None:
            records = record_labels(runtime.store, runtime.config, jobs)
            table = Table(title="dead letters")
            for col in ("id", "map", "target", "op", "record", "error", "since"):
                table.add_column(col)
            for j in jobs:
                table.add_row(*plain_cells(
                    j.id, j.map_name, j.target_system, j.op, records[j.id],
                    j.last_error or "", fmt_time(j.updated_at),
                ))  # fmt: skip
            console.print(table)
            if len(jobs) == limit:
                with runtime.store.begin() as conn:
                    print_more(limit, count_jobs(conn, ["dead"], map_name))

        emit(jobs, as_json, render)


def _job(runtime: Runtime, job_id: int) -> OutboxJob:
    """The job ``job_id``; a usage error (exit code 2) when there is none."""
    with runtime.store.begin() as conn:
        job = get_job(conn, job_id)
    if job is None:
        raise typer.BadParameter(f"no dead letter with id {job_id}")
    return job


def _dead(runtime: Runtime, job_id: int) -> OutboxJob:
    """The dead letter ``job_id``; a usage error (exit code 2) when it is no dead letter."""
    job = _job(runtime, job_id)
    if job.state != "dead":
        raise typer.BadParameter(
            f"job {job_id} is not a dead letter: {NOT_DEAD.get(job.state, job.state)}"
        )
    return job


@deadletters_app.command("show")
def show(job_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One dead letter with its payload (the values it tried to write)."""
    with open_runtime(config) as runtime:
        job = _job(runtime, job_id)
        record = record_labels(runtime.store, runtime.config, [job])[job.id]

        def render() -> None:
            if job.state == "dead":
                outcome = f"refused: {plain(job.last_error or '')}"
            else:
                outcome = f"not a dead letter: {NOT_DEAD.get(job.state, plain(job.state))}"
            console.print(
                f"job {job.id} ({plain(job.state)}) {plain(job.op)} {plain(job.entity)} in "
                f"{plain(job.target_system)}, record {plain(record)}: {outcome}",
                highlight=False,
            )
            console.print_json(json.dumps(job.payload.get("values", {}), default=str))

        emit(job, as_json, render)


def _payload(path: Path) -> dict[str, Any]:
    """The edited values of ``--payload FILE``; a usage error saying what is wrong with it."""
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--payload {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--payload {path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--payload {path}: not valid JSON: {exc}") from None
    if not isinstance(values, dict):
        raise UsageError(f"--payload {path}: must hold a JSON object of field values")
    return values


@deadletters_app.command("retry")
def retry(
    job_id: int,
    payload: Annotated[
        Path | None,
        typer.Option("--payload", help="JSON file with the edited values to write."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Queue a dead letter again (optionally with edited values) and deliver; exit code 1
    when the target refuses it again."""
    values = _payload(payload) if payload is not None else None
    with open_runtime(config) as runtime:
        _dead(runtime, job_id)
        engine = engine_for(runtime)
        engine.retry_dead_letter(job_id, values)
        engine.deliver()
        after = _job(runtime, job_id)
        if after.state == "done":
            console.print(f"job {job_id} delivered", highlight=False)
        elif after.state == "dead":
            err_console.print(
                f"job {job_id} [red]refused again[/red] by {plain(after.target_system)}: "
                f"{plain(after.last_error or '')}",
                highlight=False,
            )
            raise typer.Exit(1)
        else:
            waits = f"next attempt {fmt_time(after.next_attempt_at)}"
            if after.last_error:
                waits += f"; last error: {plain(after.last_error)}"
            console.print(
                f"job {job_id} queued, not delivered yet ({plain(after.state)}): {waits}",
                highlight=False,
            )


@deadletters_app.command("skip")
def skip(job_id: int, config: ConfigOption = None) -> None:
    """Give up on a dead letter deliberately (kept as skipped, audited)."""
    with open_runtime(config) as runtime:
        _dead(runtime, job_id)
        engine_for(runtime).skip_dead_letter(job_id, actor="cli")
        console.print(f"job {job_id} skipped", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(deadletters_app, name="deadletters")
