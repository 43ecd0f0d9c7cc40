"""The planner: captured records in, links, snapshots, outbox jobs and conflicts out.

Everything one page plans is written inside the caller's transaction (together with the
cursor), so a crash before the commit loses nothing and a crash after it repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import NativeRecord
from syncline.store.audit import record_events
from syncline.store.conflicts import ConflictItem, open_conflict, open_conflicts_for_links
from syncline.store.links import Link, Side, create_links, links_by_native_ids, set_native_id
from syncline.store.outbox import (
    NewJob,
    OutboxJob,
    enqueue,
    finish,
    open_jobs_for_links,
    supersede_dead,
    supersede_pending,
)
from syncline.store.reviews import decided_reviews
from syncline.store.snapshots import Snapshot, load_snapshots, save_snapshots
from syncline.sync.conflict_refresh import ConflictRefresh
from syncline.sync.context import REF_KEY, MapContext
from syncline.sync.deletes import plan_delete
from syncline.sync.digests import Digests
from syncline.sync.fields import other
from syncline.sync.links import (
    LinkSuggester,
    Suggestion,
    Translator,
    add_review_item,
    copies_in_flight,
    find_partners,
)
from syncline.sync.merge import MergeResult, merge

Adjust = Callable[[MergeResult], None]


@dataclass
class PlanStats:
    """Counts of one planning pass (records, links, jobs, conflicts)."""

    records: int = 0
    unchanged: int = 0
    merged: int = 0
    linked: int = 0
    created_links: int = 0
    jobs: int = 0
    conflicts: int = 0
    deletes: int = 0
    held_for_review: int = 0

    def add(self, other: PlanStats) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Work:
    """What one page produces, written in a few statements at the end."""

    snapshots: dict[int, Snapshot] = field(default_factory=dict)
    jobs: list[NewJob] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    supersede: set[tuple[int, str]] = field(default_factory=set)  # (link, target system)


class Planner:
    """Plans one map's captured records; ``planned`` collects every job with its outbox id
    (for dry runs)."""

    def __init__(
        self,
        ctx: MapContext,
        conn: Connection,
        *,
        now: datetime,
        in_doubt_before: datetime,
        suggester: LinkSuggester | None = None,
        planned: list[tuple[int, NewJob]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.conn = conn
        self.now = now
        self.in_doubt_before = in_doubt_before
        self.suggester = suggester
        self.planned = planned
        self.translate = Translator(ctx, conn)
        self._conflicts = ConflictRefresh(ctx, conn, self.translate)
        self.stats = PlanStats()
        self._work = _Work()
        self._open_jobs: dict[int, list[OutboxJob]] = {}
        self._digests = Digests()

    # -- entry point ----------------------------------------------------------------------------

    def plan(
        self, side: Side, records: Sequence[NativeRecord], digests: Digests | None = None
    ) -> PlanStats:
        """Plan changed records of ``side`` (tombstones included); returns this pass's counts.

        ``digests`` may hold the records' canonical values and hashes computed by capture.
        """
        self.stats = PlanStats()
        self._work = _Work()
        self._digests = digests or Digests()
        latest: dict[str, NativeRecord] = {r.native_id: r for r in records}
        self.stats.records = len(latest)
        by_id = links_by_native_ids(self.conn, self.ctx.name, side, list(latest))
        link_ids = [link.id for found in by_id.values() for link in found]
        snapshots = load_snapshots(self.conn, link_ids)
        conflicts = open_conflicts_for_links(self.conn, link_ids)
        self._open_jobs = open_jobs_for_links(self.conn, link_ids)
        unlinked: list[NativeRecord] = []
        for native_id, record in latest.items():
            found = by_id.get(native_id)
            if not found:
                if not record.deleted:
                    unlinked.append(record)
                continue
            for link in found:
                if link.state != "active":
                    continue
                snapshot = snapshots.get(link.id) or Snapshot(link.id)
                if record.deleted:
                    plan_delete(self, link, side, snapshot)
                else:
                    self._linked(record, link, side, snapshot, conflicts)
        if unlinked:
            self._unlinked(side, unlinked)
        self._flush()
        return self.stats

    # -- linked records -------------------------------------------------------------------------

    def _linked(
        self,
        record: NativeRecord,
        link: Link,
        side: Side,
        snapshot: Snapshot,
        conflicts: dict[tuple[int, str], ConflictItem],
    ) -> None:
        assert record.data is not None
        seen = self._digests.of(record)
        values, digest = seen.values, seen.hash
        frozen = {f: c for (lid, f), c in conflicts.items() if lid == link.id}
        if snapshot.content_hash(side) == digest and snapshot.has_base:
            self.stats.unchanged += 1
            return
        target = other(side)
        snapshot.set_seen(side, values, record.version, digest, record.modified_at)
        self._work.snapshots[link.id] = snapshot
        if link.native_id(target) is None:
            self._plan_create(link, side, values, record.version, snapshot)
            return
        still = self._conflicts.frozen_after(link, side, record, values, frozen)
        self.merge_link(link, snapshot, frozen=still, changed_at=record.modified_at)

    def replan(
        self, link: Link, side: Side, record: NativeRecord, extra: Adjust | None = None
    ) -> PlanStats:
        """Merge one link again with ``record`` (its current state on ``side``), whatever
        its hash: after a version conflict, an in-doubt write or a conflict resolution."""
        self.stats = PlanStats()
        self._work = _Work()
        self._open_jobs = open_jobs_for_links(self.conn, [link.id])
        snapshot = load_snapshots(self.conn, [link.id]).get(link.id) or Snapshot(link.id)
        if record.deleted or (record.data is None and record.problem is None):
            plan_delete(self, link, side, snapshot)
        elif record.data is not None:  # an unreadable one is merged once capture reads it
            conflicts = open_conflicts_for_links(self.conn, [link.id])
            frozen = {f: c for (_, f), c in conflicts.items()}
            values = record.data.canonical_values()
            still = self._conflicts.frozen_after(link, side, record, values, frozen)
            digest = record.data.content_hash()
            snapshot.set_seen(side, values, record.version, digest, record.modified_at)
            self.merge_link(
                link, snapshot, frozen=still, changed_at=record.modified_at, extra=extra
            )
        self._flush()
        return self.stats

    def merge_link(
        self,
        link: Link,
        snapshot: Snapshot,
        *,
        frozen: Collection[str] = (),
        changed_at: datetime | None = None,
        extra: Adjust | None = None,
    ) -> MergeResult:
        """Merge a link's last seen values of both sides against its base; plan the writes.

        ``extra`` may add decisions (a conflict resolution) before the writes are planned.
        """
        self.stats.merged += 1
        self._work.snapshots[link.id] = snapshot
        current: dict[Side, dict[str, Any]] = {
            "a": snapshot.seen_a or {},
            "b": snapshot.seen_b or {},
        }
        base: dict[Side, dict[str, Any]] | None = (
            {"a": snapshot.base_a, "b": snapshot.base_b} if snapshot.has_base else None
        )
        pending: dict[Side, dict[str, Any]] = {
            "a": snapshot.pending.get("a", {}),
            "b": snapshot.pending.get("b", {}),
        }
        result = merge(self.ctx.fields, base, current, self.translate, frozen, pending=pending)
        if extra is not None:
            extra(result)
        snapshot.base_a.update(result.settled["a"])
        snapshot.base_b.update(result.settled["b"])
        snapshot.has_base = True
        for s in ("a", "b"):
            # a side that moved away from the value it showed at a decision has taken it
            # (or a newer edit); what is left, and what was just decided, stays pending
            kept = {k: v for k, v in pending[s].items() if current[s].get(k) == v}
            snapshot.pending[s] = {**kept, **result.pending[s]}
        for finding in result.conflicts:
            self.stats.conflicts += 1
            open_conflict(
                self.conn,
                map_name=self.ctx.name,
                link_id=link.id,
                entity=self.ctx.entity,
                field=finding.shared.field_a,
                base_value=finding.base_value,
                value_a=finding.value_a,
                value_b=finding.value_b,
                version_a=snapshot.version_a,
                version_b=snapshot.version_b,
                changed_at_a=snapshot.modified_a or changed_at,
                changed_at_b=snapshot.modified_b or changed_at,
            )
        for note in result.notes:
            self._work.audit.append(
                {
                    "map_name": self.ctx.name,
                    "link_id": link.id,
                    "entity": self.ctx.entity,
                    "field": note.shared.name(note.side),
                    "old_value": note.old_value,
                    "new_value": note.new_value,
                    "source_system": self.ctx.system(note.side),
                    "source_version": snapshot.version(note.side),
                    "reason": note.reason,
                    "detail": f"{self.ctx.system(note.side)} edited a field owned by "
                    f"{self.ctx.system(other(note.side))}; kept there, not propagated",
                }
            )
        for target in ("a", "b"):
            writes = result.writes[target]
            if writes:
                self._plan_update(link, target, snapshot, result)
            else:
                self._work.supersede.add((link.id, self.ctx.system(target)))
        return result

    def _plan_update(
        self, link: Link, target: Side, snapshot: Snapshot, result: MergeResult
    ) -> None:
        writes = result.writes[target]
        values = dict(snapshot.seen(target) or {})
        values.update(writes)
        source = other(target)
        payload = {
            "values": values,
            "agreed": result.agreed[target],
            "reasons": result.reasons[target],
            "source_system": self.ctx.system(source),
            "source_version": snapshot.version(source),
        }
        self._add_job(
            NewJob(
                map_name=self.ctx.name,
                link_id=link.id,
                target_system=self.ctx.system(target),
                entity=self.ctx.entity,
                op="update",
                native_id=link.native_id(target),
                payload=payload,
                fields=sorted(writes),
                base_version=snapshot.version(target),
                depends_on=self._parent_job(writes),
            )
        )

    # -- creates --------------------------------------------------------------------------------

    def _plan_create(
        self,
        link: Link,
        side: Side,
        values: dict[str, Any],
        version: str | None,
        snapshot: Snapshot,
    ) -> None:
        target = other(side)
        if any(j.state == "running" for j in self._open_jobs.get(link.id, [])):
            return  # a create is in flight; its result is merged when it lands
        payload = self.ctx.create_payload(side, values, version, self.translate)
        self._add_job(
            NewJob(
                map_name=self.ctx.name,
                link_id=link.id,
                target_system=self.ctx.system(target),
                entity=self.ctx.entity,
                op="create",
                native_id=None,
                payload=payload,
                fields=None,
                base_version=None,
                depends_on=self._parent_job(payload["values"]),
            )
        )

    def _unlinked(self, side: Side, records: list[NativeRecord]) -> None:
        target = other(side)
        copies = copies_in_flight(self.ctx, self.conn, side, records)
        records = [r for r in records if r.native_id not in copies]
        partners = find_partners(self.ctx, side, records)
        partner_links = links_by_native_ids(
            self.conn, self.ctx.name, target, [p.native_id for p in partners.values()]
        )
        used: set[str] = set()
        to_create: list[NativeRecord] = []
        for record in records:
            partner = partners.get(record.native_id)
            if partner is None or partner.native_id in used:
                to_create.append(record)
                continue
            used.add(partner.native_id)
            if not self._link_partner(record, partner, side, partner_links):
                to_create.append(record)
        to_create, decided_new = self._decided(side, to_create)
        if not self.ctx.creates_into(target):
            return  # a one-way map links matching records but never copies back
        if to_create and self.ctx.config.match.fuzzy and self.suggester is not None:
            to_create = self._suggest(side, to_create)
        to_create += decided_new
        if not to_create:
            return
        pairs = [(r.native_id, None) if side == "a" else (None, r.native_id) for r in to_create]
        ids = create_links(self.conn, self.ctx.name, self.ctx.entity, pairs, "created")
        self.stats.created_links += len(ids)
        for link_id, record in zip(ids, to_create, strict=True):
            assert record.data is not None
            values = self._digests.of(record).values
            link = Link(
                link_id,
                self.ctx.name,
                self.ctx.entity,
                record.native_id if side == "a" else None,
                record.native_id if side == "b" else None,
                "created",
                False,
                "active",
                self.now,
                self.now,
            )
            snapshot = Snapshot(link_id)
            snapshot.set_seen(side, values, record.version, self._digests.of(record).hash)
            snapshot.set_seen(target, None, None, None)
            self._work.snapshots[link_id] = snapshot
            self._plan_create(link, side, values, record.version, snapshot)

    def _decided(
        self, side: Side, records: list[NativeRecord]
    ) -> tuple[list[NativeRecord], list[NativeRecord]]:
        """Carry out people's review decisions: ``link`` links the accepted candidate, ``create``
        creates the record, ``skip`` leaves it alone. Returns (undecided, to create)."""
        verdicts = decided_reviews(
            self.conn, self.ctx.name, self.ctx.system(side), [r.native_id for r in records]
        )
        undecided, create = [], []
        for record in records:
            items = verdicts.get(record.native_id)
            if not items:
                undecided.append(record)
                continue
            accepted = next((i for i in items if i.decision in ("link", "merge")), None)
            if accepted is not None:
                target = other(side)
                partner = self.ctx.connectors[target].read(self.ctx.entity, [accepted.right_id])
                links = links_by_native_ids(self.conn, self.ctx.name, target, [accepted.right_id])
                if partner and partner[0].data is not None:
                    self._link_partner(record, partner[0], side, links, "manual")
            elif all(i.decision == "create" for i in items):
                create.append(record)
        return undecided, create

    def _link_partner(
        self,
        record: NativeRecord,
        partner: NativeRecord,
        side: Side,
        partner_links: dict[str, list[Link]],
        origin: str = "key",
    ) -> bool:
        """Link ``record`` to the ``partner`` matched by key (``origin``: or ``fuzzy``, or
        ``manual`` for a person's decision, which is pinned); False when it must be created."""
        target = other(side)
        assert record.data is not None and partner.data is not None
        existing = [x for x in partner_links.get(partner.native_id, []) if x.state == "active"]
        pending = next((x for x in existing if x.native_id(side) is None), None)
        if pending is not None:
            # the partner waits for its create here: this record is that create (a crash hid
            # its outcome) or its twin; adopt it instead of creating a duplicate
            jobs = self._open_jobs_for(pending.id)
            if any(
                j.state == "running" and (j.claimed_at or self.now) > self.in_doubt_before
                for j in jobs
            ):
                return True  # a live worker is creating it right now
            set_native_id(self.conn, pending.id, side, record.native_id)
            supersede_pending(self.conn, [pending.id], self.ctx.system(side))
            self._close_running(jobs)
            link = Link(**{**pending.__dict__, f"id_{side}": record.native_id})
            snapshot = load_snapshots(self.conn, [pending.id]).get(pending.id) or Snapshot(
                pending.id
            )
            snapshot.set_seen(side, *self._seen(record))
            self.stats.linked += 1
            self.merge_link(link, snapshot, changed_at=record.modified_at)
            return True
        if existing and not (self.ctx.config.many_to_one and side == "a"):
            return False
        pair = (
            (record.native_id, partner.native_id)
            if side == "a"
            else (partner.native_id, record.native_id)
        )
        pinned = origin == "manual"
        (link_id,) = create_links(
            self.conn, self.ctx.name, self.ctx.entity, [pair], origin, pinned=pinned
        )
        self.stats.linked += 1
        link = Link(link_id, self.ctx.name, self.ctx.entity, *pair, origin, pinned, "active",
                    self.now, self.now)  # fmt: skip
        snapshot = Snapshot(link_id)
        snapshot.set_seen(
            side,
            *self._seen(record),
            record.modified_at,
        )
        snapshot.set_seen(
            target,
            *self._seen(partner),
            partner.modified_at,
        )
        self._work.audit.append(
            {
                "map_name": self.ctx.name,
                "link_id": link_id,
                "entity": self.ctx.entity,
                "reason": "link",
                "source_system": self.ctx.system(side),
                "detail": f"linked {record.native_id} to {partner.native_id} by key",
            }
        )
        self.merge_link(link, snapshot, changed_at=record.modified_at)
        return True

    def _suggest(self, side: Side, records: list[NativeRecord]) -> list[NativeRecord]:
        """Fuzzy suggestions: auto-link above the threshold, hold grey-zone records for review."""
        assert self.suggester is not None
        thresholds = self.ctx.config.match.thresholds
        best: dict[str, Suggestion] = {}
        for candidate in self.suggester.suggest(self.ctx, side, records):
            current = best.get(candidate.native_id)
            if current is None or candidate.score > current.score:
                best[candidate.native_id] = candidate
        remaining = []
        for record in records:
            suggestion = best.get(record.native_id)
            if suggestion is None or suggestion.score < thresholds.review:
                remaining.append(record)
                continue
            if suggestion.score >= thresholds.auto_link:
                partner = self.ctx.connectors[other(side)].read(
                    self.ctx.entity, [suggestion.partner_id]
                )
                links = links_by_native_ids(
                    self.conn, self.ctx.name, other(side), [suggestion.partner_id]
                )
                if (
                    partner
                    and partner[0].data is not None
                    and self._link_partner(record, partner[0], side, links, "fuzzy")
                ):
                    continue
                remaining.append(record)
                continue
            add_review_item(self.conn, self.ctx, side, suggestion)
            self.stats.held_for_review += 1
        return remaining

    # -- bookkeeping ----------------------------------------------------------------------------

    def _seen(self, record: NativeRecord) -> tuple[dict[str, Any], str | None, str]:
        """``(values, version, hash)`` of a record with data, for ``Snapshot.set_seen``."""
        digest = self._digests.of(record)
        return digest.values, record.version, digest.hash

    def _open_jobs_for(self, link_id: int) -> list[OutboxJob]:
        if link_id not in self._open_jobs:
            self._open_jobs.update(open_jobs_for_links(self.conn, [link_id]))
        return self._open_jobs.get(link_id, [])

    def _close_running(self, jobs: list[OutboxJob]) -> None:
        finish(self.conn, [j.id for j in jobs if j.state == "running"], "superseded", self.now)

    def _parent_job(self, values: dict[str, Any]) -> int | None:
        """The pending create job of a parent this write refers to, if any."""
        for value in values.values():
            if isinstance(value, dict) and REF_KEY in value and value[REF_KEY]["link"]:
                parent_link = int(value[REF_KEY]["link"])
                for job in open_jobs_for_links(self.conn, [parent_link]).get(parent_link, []):
                    if job.op == "create":
                        return job.id
        return None

    def _add_job(self, job: NewJob) -> None:
        self._work.jobs.append(job)

    def _flush(self) -> None:
        work = self._work
        save_snapshots(self.conn, list(work.snapshots.values()))
        ids = enqueue(self.conn, work.jobs, self.now)
        self.stats.jobs += len(work.jobs)
        if self.planned is not None:
            self.planned.extend(zip(ids, work.jobs, strict=True))
        kept: dict[tuple[int, str], list[int]] = {}
        for job, job_id in zip(work.jobs, ids, strict=True):
            if job.link_id is not None:
                kept.setdefault((job.link_id, job.target_system), []).append(job_id)
                work.supersede.add((job.link_id, job.target_system))
        for link_id, system in work.supersede:
            open_jobs = [j for j in self._open_jobs.get(link_id, []) if j.target_system == system]
            # an operator's edited retry of a dead letter is a decision, not a plan: it stays,
            # and runs first (oldest); newer work is merged again against what it wrote
            keep = kept.get((link_id, system), []) + [j.id for j in open_jobs if _edited(j)]
            if any(j.id not in keep for j in open_jobs):
                supersede_pending(self.conn, [link_id], system, keep=keep)
        # a dead letter of a record that has newer work for the same system is replaced by
        # it: that work carries every value still to be written (it dies again if it must)
        supersede_dead(self.conn, kept)
        record_events(self.conn, work.audit)
        self._work = _Work()


def _edited(job: OutboxJob) -> bool:
    return job.state == "pending" and bool(job.payload.get("edited"))


__all__ = ["PlanStats", "Planner"]
