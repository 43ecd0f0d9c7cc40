"""The outbox: planned writes, delivered by workers; ``dead`` jobs are the dead-letter list.

States: ``pending`` (due at ``next_attempt_at``), ``running`` (claimed by a worker),
``done``, ``dead`` (a permanent error; waits for an operator), ``skipped`` (an operator gave
up on it), ``superseded`` (a newer plan for the same link and target replaced it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import Select, alias

from syncline.store.bulk import insert_dicts, new_ids
from syncline.store.schema import outbox
from syncline.store.types import utcnow

OPEN_STATES = ("pending", "running")
# A child job waits for its parent's create job while that is open or dead (an operator may
# still retry it); in these states the wait is over.
PARENT_OVER = ("done", "superseded", "skipped")


@dataclass(frozen=True)
class OutboxJob:
    id: int
    map_name: str
    link_id: int | None
    target_system: str
    entity: str
    op: str
    native_id: str | None
    payload: dict[str, Any]
    fields: list[str] | None
    base_version: str | None
    idempotency_key: str
    state: str
    attempts: int
    next_attempt_at: datetime
    depends_on: int | None
    last_error: str | None
    error_kind: str | None
    claimed_by: str | None
    claimed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewJob:
    """A job to enqueue; ``payload`` holds ``values`` (what to write) and bookkeeping."""

    map_name: str
    link_id: int | None
    target_system: str
    entity: str
    op: str
    native_id: str | None
    payload: dict[str, Any]
    fields: list[str] | None
    base_version: str | None
    depends_on: int | None = None

    @property
    def idempotency_key(self) -> str:
        """sha256 over (link, target, base version, payload hash): equal plans, one job."""
        payload_hash = hashlib.sha256(
            orjson.dumps(
                [self.op, self.payload, self.fields],
                default=str,
                option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            )
        ).hexdigest()
        raw = f"{self.map_name}|{self.link_id}|{self.target_system}|{self.base_version}|"
        return hashlib.sha256((raw + payload_hash).encode()).hexdigest()


def _key_after(key: str, closed_id: int) -> str:
    """The key of a job equal to the closed job ``closed_id`` (whose key is ``key``)."""
    return hashlib.sha256(f"{key}|after:{closed_id}".encode()).hexdigest()


def _job(row: RowMapping) -> OutboxJob:
    return OutboxJob(**{k: row[k] for k in OutboxJob.__dataclass_fields__})


def _known_keys(conn: Connection, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """``(id, state)`` of the jobs holding any of ``keys``."""
    known: dict[str, tuple[int, str]] = {}
    for start in range(0, len(keys), 500):
        query = select(outbox.c.idempotency_key, outbox.c.id, outbox.c.state).where(
            outbox.c.idempotency_key.in_(keys[start : start + 500])
        )
        known.update({str(k): (int(i), str(s)) for k, i, s in conn.execute(query)})
    return known


def _row(job: NewJob, key: str, now: datetime) -> dict[str, Any]:
    """The outbox row of a new, pending ``job`` under idempotency ``key``."""
    return {
        "map_name": job.map_name,
        "link_id": job.link_id,
        "target_system": job.target_system,
        "entity": job.entity,
        "op": job.op,
        "native_id": job.native_id,
        "payload": job.payload,
        "fields": job.fields,
        "base_version": job.base_version,
        "idempotency_key": key,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "depends_on": job.depends_on,
        "created_at": now,
        "updated_at": now,
    }


def enqueue(conn: Connection, jobs: Sequence[NewJob], now: datetime | None = None) -> list[int]:
    """Insert jobs whose idempotency key is new; returns the id of each (existing or new).

    A job equal to one superseded is new work all the same, and so is an update equal to one
    already delivered: its record went back to earlier content (A -> B -> A) after that job was
    replaced or sent. It gets a key derived from that job's. (A create or delete equal to one
    delivered is the same work seen again, and is that job.)
    """
    if not jobs:
        return []
    now = now or utcnow()
    keys = [j.idempotency_key for j in jobs]
    known = _known_keys(conn, keys)
    while again := {
        key: known[key][0]
        for job, key in zip(jobs, keys, strict=True)
        if _is_new_work(job, known.get(key, (0, "pending"))[1])
    }:
        keys = [_key_after(k, again[k]) if k in again else k for k in keys]
        known = _known_keys(conn, keys)
    existing = {key: job_id for key, (job_id, _) in known.items()}
    rows = []
    for job, key in zip(jobs, keys, strict=True):
        if key in existing:
            continue
        existing[key] = -1
        rows.append(_row(job, key, now))
    if rows and conn.dialect.name == "sqlite":
        insert_dicts(conn, outbox, rows)
        ids = new_ids(conn, len(rows))
        existing.update({str(r["idempotency_key"]): i for r, i in zip(rows, ids, strict=True)})
    elif rows:
        statement = insert(outbox).returning(outbox.c.idempotency_key, outbox.c.id)
        existing.update({str(k): int(i) for k, i in conn.execute(statement, rows)})
    return [existing[k] for k in keys]


def _is_new_work(job: NewJob, state_of_same_key: str) -> bool:
    return state_of_same_key == "superseded" or (job.op == "update" and state_of_same_key == "done")


def add_running(conn: Connection, job: NewJob, key: str, worker: str, now: datetime) -> OutboxJob:
    """Insert ``job`` under idempotency ``key`` as already claimed by ``worker`` (a batch the
    caller delivers itself, right after committing it); returns it as stored."""
    row = _row(job, key, now) | {
        "state": "running",
        "attempts": 1,
        "claimed_by": worker,
        "claimed_at": now,
    }
    job_id = int(conn.execute(insert(outbox).returning(outbox.c.id), [row]).scalar_one())
    stored: dict[str, Any] = {f: row.get(f) for f in OutboxJob.__dataclass_fields__}
    return OutboxJob(**stored | {"id": job_id})


def close_claimed(
    conn: Connection,
    job_id: int,
    worker: str,
    now: datetime,
    *,
    state: str = "done",
    payload: dict[str, Any] | None = None,
) -> bool:
    """Close a job ``worker`` still holds (``payload`` replaces its payload); False when it
    no longer does (recovery took it over after its lease ran out)."""
    values: dict[str, Any] = {"state": state, "updated_at": now, "claimed_by": None}
    if payload is not None:
        values["payload"] = payload
    query = update(outbox).where(
        outbox.c.id == job_id, outbox.c.state == "running", outbox.c.claimed_by == worker
    )
    return bool(conn.execute(query.values(values)).rowcount == 1)


def claim_as(
    conn: Connection, job_ids: Sequence[int], worker: str | None, at: datetime | None
) -> None:
    """Mark jobs running as claimed by ``worker`` at ``at`` (jobs taking over a claim)."""
    for start in range(0, len(job_ids), 500):
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(job_ids[start : start + 500])))
            .values(state="running", claimed_by=worker, claimed_at=at)
        )


def supersede_pending(
    conn: Connection, link_ids: Sequence[int], target_system: str, keep: Sequence[int] = ()
) -> int:
    """Mark pending jobs of these links to ``target_system`` superseded (but those in ``keep``)."""
    if not link_ids:
        return 0
    query = update(outbox).where(
        outbox.c.link_id.in_(list(link_ids)),
        outbox.c.target_system == target_system,
        outbox.c.state == "pending",
    )
    if keep:
        query = query.where(outbox.c.id.not_in(list(keep)))
    return int(conn.execute(query.values(state="superseded", updated_at=utcnow())).rowcount)


def supersede_dead(conn: Connection, new_jobs: Mapping[tuple[int, str], Sequence[int]]) -> int:
    """Mark dead jobs superseded whose link has new work for the same target system: the new
    jobs, ``(link id, target system): [job ids]`` (never superseded themselves, though one may
    be a dead job planned again to the letter)."""
    by_system: dict[str, list[int]] = {}
    for link_id, system in new_jobs:
        by_system.setdefault(system, []).append(link_id)
    count = 0
    for system, link_ids in by_system.items():
        for start in range(0, len(link_ids), 500):
            chunk = link_ids[start : start + 500]
            keep = [job_id for link_id in chunk for job_id in new_jobs[(link_id, system)]]
            query = update(outbox).where(
                outbox.c.link_id.in_(chunk),
                outbox.c.target_system == system,
                outbox.c.state == "dead",
                outbox.c.id.not_in(keep),
            )
            result = conn.execute(query.values(state="superseded", updated_at=utcnow()))
            count += int(result.rowcount)
    return count


def pending_ids(conn: Connection, job_ids: Sequence[int]) -> set[int]:
    """Those of ``job_ids`` that are pending."""
    ids = sorted(set(job_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        query = select(outbox.c.id).where(
            outbox.c.id.in_(ids[start : start + 500]), outbox.c.state == "pending"
        )
        found.update(int(i) for i in conn.execute(query).scalars())
    return found


def open_jobs_for_links(conn: Connection, link_ids: Sequence[int]) -> dict[int, list[OutboxJob]]:
    """Pending and running jobs by link id."""
    result: dict[int, list[OutboxJob]] = {}
    ids = list(dict.fromkeys(link_ids))
    for start in range(0, len(ids), 500):
        query = select(outbox).where(
            outbox.c.link_id.in_(ids[start : start + 500]), outbox.c.state.in_(OPEN_STATES)
        )
        for row in conn.execute(query.order_by(outbox.c.id)).mappings().all():
            job = _job(row)
            result.setdefault(int(row["link_id"]), []).append(job)
    return result


def _claimable(now: datetime, map_names: Sequence[str] | None, by_id: bool) -> Select[Any]:
    """Due pending jobs, oldest first, whose link has no running job and whose parent job (if
    any) is over: done, or superseded or skipped (the worker then finds the parent's link, or
    the create that replaced it, and waits for that); ``by_id`` phrases "due" so that SQLite
    walks an index in id order."""
    running = alias(outbox, "running")
    parent = alias(outbox, "parent")
    due: Any = outbox.c.next_attempt_at <= now
    if by_id:
        due = func.coalesce(outbox.c.next_attempt_at, now) <= now
    query = (
        select(outbox)
        .where(
            outbox.c.state == "pending",
            due,
            or_(
                outbox.c.link_id.is_(None),
                ~exists().where(
                    and_(running.c.link_id == outbox.c.link_id, running.c.state == "running")
                ),
            ),
            or_(
                outbox.c.depends_on.is_(None),
                exists().where(
                    and_(parent.c.id == outbox.c.depends_on, parent.c.state.in_(PARENT_OVER))
                ),
            ),
        )
        .order_by(outbox.c.id)
    )
    if map_names is not None:
        query = query.where(outbox.c.map_name.in_(list(map_names)))
    return query


def claim(
    conn: Connection,
    worker: str,
    now: datetime,
    *,
    limit: int = 500,
    map_names: Sequence[str] | None = None,
    blocked_systems: Sequence[str] = (),
    probe_systems: Sequence[str] = (),
) -> list[OutboxJob]:
    """Claim due pending jobs (oldest first) and mark them running by ``worker``.

    Skips jobs whose link already has a running job and jobs waiting on an undelivered job,
    and jobs for ``blocked_systems``; of each of ``probe_systems`` (a half-open circuit) only
    the oldest due job is claimed, alone, beside the ``limit`` others. On PostgreSQL rows are
    locked ``FOR UPDATE SKIP LOCKED`` so workers never share a job.
    """
    sqlite = conn.dialect.name == "sqlite"
    # keep SQLite off the (state, next_attempt_at) index, with which it sorts every pending job
    # on each claim: (map_name, state) yields them in id order and stops at ``limit``, and so
    # does (target_system, state) for a probe
    main = _claimable(now, map_names, sqlite and map_names is not None and len(map_names) == 1)
    # the probes first: a probe is never dropped for another job of its link
    queries = [
        _claimable(now, map_names, sqlite).where(outbox.c.target_system == s).limit(1)
        for s in probe_systems
    ]
    left_out = [*blocked_systems, *probe_systems]
    if left_out:
        main = main.where(outbox.c.target_system.not_in(left_out))
    queries.append(main.limit(limit))
    if conn.dialect.name == "postgresql":
        queries = [q.with_for_update(skip_locked=True, of=outbox) for q in queries]
    jobs: list[OutboxJob] = []
    seen_links: set[int] = set()
    for query in queries:
        for row in conn.execute(query).mappings().all():
            if row["link_id"] is not None:
                if row["link_id"] in seen_links:
                    continue  # at most one running job per link
                seen_links.add(row["link_id"])
            jobs.append(_job(row))
    if jobs:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([j.id for j in jobs]))
            .values(state="running", claimed_by=worker, claimed_at=now, updated_at=now)
        )
    return jobs


def release(
    conn: Connection,
    job_ids: Sequence[int],
    *,
    at: datetime,
    now: datetime,
    error: str,
    error_kind: str,
) -> None:
    """Put claimed jobs back to pending untried, due at ``at``, without counting an attempt
    (their system's circuit opened before their turn)."""
    for start in range(0, len(job_ids), 500):
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(job_ids[start : start + 500])))
            .values(
                state="pending",
                next_attempt_at=at,
                last_error=error,
                error_kind=error_kind,
                claimed_by=None,
                updated_at=now,
            )
        )


def finish(conn: Connection, job_ids: Sequence[int], state: str, now: datetime) -> None:
    """Close jobs as ``done``, ``superseded`` or ``skipped``."""
    if job_ids:
        conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(job_ids)))
            .values(state=state, updated_at=now, claimed_by=None)
        )


def reschedule(
    conn: Connection,
    job_id: int,
    *,
    at: datetime,
    now: datetime,
    error: str | None,
    error_kind: str | None,
    count_attempt: bool = True,
    depends_on: int | None = None,
) -> None:
    """Put a job back to pending, due at ``at`` (a retry or a wait)."""
    values: dict[str, Any] = {
        "state": "pending",
        "next_attempt_at": at,
        "last_error": error,
        "error_kind": error_kind,
        "claimed_by": None,
        "updated_at": now,
        "depends_on": depends_on,
    }
    if count_attempt:
        values["attempts"] = outbox.c.attempts + 1
    conn.execute(update(outbox).where(outbox.c.id == job_id).values(values))


def mark_dead(conn: Connection, job_id: int, error: str, now: datetime) -> None:
    """Move a job to the dead-letter list with the target's own message."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == job_id)
        .values(
            state="dead",
            last_error=error,
            error_kind="permanent",
            attempts=outbox.c.attempts + 1,
            claimed_by=None,
            updated_at=now,
        )
    )


def revive(
    conn: Connection,
    job_id: int,
    now: datetime,
    payload: dict[str, Any] | None = None,
    fields: list[str] | None = None,
) -> None:
    """A dead job back to pending (optionally with an operator's edited payload and the
    fields an update now touches)."""
    values: dict[str, Any] = {
        "state": "pending",
        "next_attempt_at": now,
        "attempts": 0,
        "updated_at": now,
        "error_kind": None,
    }
    if payload is not None:
        values["payload"] = payload
    if fields is not None:
        values["fields"] = fields
    conn.execute(update(outbox).where(outbox.c.id == job_id).values(values))


def get_job(conn: Connection, job_id: int) -> OutboxJob | None:
    row = conn.execute(select(outbox).where(outbox.c.id == job_id)).mappings().first()
    return _job(row) if row is not None else None


def waited_creates(conn: Connection, link_ids: Sequence[int]) -> list[OutboxJob]:
    """The create jobs of these links a child can wait for: pending, running or dead (a dead
    letter may still be retried), newest first."""
    query = (
        select(outbox)
        .where(
            outbox.c.link_id.in_(list(link_ids)),
            outbox.c.op == "create",
            outbox.c.state.in_([*OPEN_STATES, "dead"]),
        )
        .order_by(outbox.c.id.desc())
    )
    return [_job(r) for r in conn.execute(query).mappings()]


def list_jobs(
    conn: Connection,
    state: str | None = None,
    map_name: str | None = None,
    limit: int = 100,
    *,
    newest: bool = False,
) -> list[OutboxJob]:
    """Jobs in ``state`` of ``map_name`` (None: any), the first ``limit`` by id, or with
    ``newest`` the last changed first."""
    order = (outbox.c.updated_at.desc(), outbox.c.id.desc()) if newest else (outbox.c.id,)
    query = select(outbox).order_by(*order).limit(limit)
    if state is not None:
        query = query.where(outbox.c.state == state)
    if map_name is not None:
        query = query.where(outbox.c.map_name == map_name)
    return [_job(r) for r in conn.execute(query).mappings()]


def in_doubt(conn: Connection, claimed_before: datetime, worker: str) -> list[OutboxJob]:
    """Running jobs claimed before ``claimed_before`` by another worker (a crash or a hang)."""
    query = select(outbox).where(
        outbox.c.state == "running",
        or_(outbox.c.claimed_at <= claimed_before, outbox.c.claimed_by.is_(None)),
        or_(outbox.c.claimed_by != worker, outbox.c.claimed_by.is_(None)),
    )
    return [_job(r) for r in conn.execute(query.order_by(outbox.c.id)).mappings()]


def count_jobs(conn: Connection, states: Sequence[str], map_name: str | None = None) -> int:
    query = select(func.count()).select_from(outbox).where(outbox.c.state.in_(list(states)))
    if map_name is not None:
        query = query.where(outbox.c.map_name == map_name)
    return int(conn.execute(query).scalar_one())


__all__ = [
    "OPEN_STATES",
    "PARENT_OVER",
    "NewJob",
    "OutboxJob",
    "add_running",
    "claim",
    "claim_as",
    "close_claimed",
    "count_jobs",
    "enqueue",
    "finish",
    "get_job",
    "in_doubt",
    "list_jobs",
    "mark_dead",
    "open_jobs_for_links",
    "pending_ids",
    "release",
    "reschedule",
    "revive",
    "supersede_dead",
    "supersede_pending",
    "waited_creates",
]
