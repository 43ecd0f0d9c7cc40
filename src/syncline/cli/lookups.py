"""What the list and show commands look up beside their rows: whether a ``--map`` or
``--state`` names something that exists, and which record a queued write is about."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from sqlalchemy import Table, select

from syncline.mapping import SynclineConfig
from syncline.runtime import Runtime
from syncline.store import Store
from syncline.store.links import LINK_STATES, Link, get_links
from syncline.store.outbox import OutboxJob

MapFilter = Annotated[
    str | None,
    typer.Option(
        "--map",
        "-m",
        help="Only this map (a map of the config, or one taken out that has rows in the store).",
    ),
]


def check_map(runtime: Runtime, map_name: str | None, rows: Table) -> None:
    """Refuse (exit code 2) a ``--map`` that names no map of the config and none that still
    has rows in ``rows``: a map taken out of the config keeps its history in the store, and
    its rows can still be listed."""
    if map_name is None or any(m.name == map_name for m in runtime.config.maps):
        return
    with runtime.store.begin() as conn:
        stored = conn.execute(
            select(rows.c.map_name).where(rows.c.map_name == map_name).limit(1)
        ).first()
    if stored is None:
        known = ", ".join(m.name for m in runtime.config.maps) or "(none)"
        raise typer.BadParameter(f"no map named {map_name!r}; maps: {known}")


def check_link_state(state: str | None) -> None:
    """Refuse (exit code 2) a ``--state`` no link can be in."""
    if state is not None and state not in LINK_STATES:
        raise typer.BadParameter(
            f"no link state {state!r}; states: {', '.join(LINK_STATES)}", param_hint="'--state'"
        )


def record_label(job: OutboxJob, link: Link | None, systems: tuple[str, str] | None) -> str:
    """The record a write is about: its id in the target system, or for a create (which has
    none yet) the record it copies, by system and id, and its link. ``systems`` are the
    map's ``a`` and ``b`` (None: a map the config no longer has)."""
    if job.native_id:
        return job.native_id
    source = job.payload.get("source_system")
    source_id = None
    if link is not None and systems is not None and source in systems:
        source_id = link.id_a if source == systems[0] else link.id_b
    elif link is not None:
        # a create's link holds no id on the target's side yet: the one it holds is the source's
        held = [i for i in (link.id_a, link.id_b) if i is not None]
        source_id = held[0] if len(held) == 1 else None
    copied = " ".join(str(part) for part in (source, source_id) if part is not None)
    label = f"new copy of {copied}" if copied else "new"
    return label if job.link_id is None else f"{label} (link {job.link_id})"


def record_labels(
    store: Store, config: SynclineConfig, jobs: Sequence[OutboxJob]
) -> dict[int, str]:
    """``record_label`` of each job, by job id, with their links read at once."""
    link_ids = sorted({j.link_id for j in jobs if j.native_id is None and j.link_id is not None})
    links: dict[int, Link] = {}
    if link_ids:
        with store.begin() as conn:
            links = get_links(conn, link_ids)
    systems = {m.name: (m.a, m.b) for m in config.maps}
    return {
        j.id: record_label(
            j, links.get(j.link_id) if j.link_id is not None else None, systems.get(j.map_name)
        )
        for j in jobs
    }
