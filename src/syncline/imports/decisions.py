"""``syncline import review FILE``: apply the decisions written into a review file.

Each decided group is looked up in the review queue by its key (the row's fingerprint), so
the values created are the ones validated at import time, whatever else was edited in the
file. Creates and skips are applied before merges, and a merge into a row of the file waits
until that row is in the target, so that ``merge line:N`` works when row N is decided
``create`` or merged itself in the same file (a chain). Applying a file again changes
nothing: decided groups are skipped. A group decided twice, differently, is an error and
nothing is applied for it. Contacts created or merged are tied to the party of their company
as at import time (:mod:`.companies`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from syncline.connectors.base import Connector
from syncline.imports.companies import CompanyLinker, CompanyTies
from syncline.imports.reviewfile import (
    GroupDecision,
    ReviewCandidate,
    ReviewGroup,
    read_review_file,
)
from syncline.imports.rows import ImportRow
from syncline.imports.runner import KIND, group_of
from syncline.imports.writer import ENTITY, ContactWriter, no_checkpoint
from syncline.store import Store
from syncline.store.links import links_by_native_ids
from syncline.store.reviews import ReviewItem, decide, list_reviews


@dataclass
class ReviewOutcome:
    """What applying a review file did; ``problems`` are ``(line in the file, message)``.

    ``recorded`` counts decisions on initial-load items: they are stored, and the next
    ``syncline load`` carries them out. ``companies``: how contacts were tied to parties."""

    created: int = 0
    recorded: int = 0
    merged: int = 0
    skipped: int = 0
    already_decided: int = 0
    undecided: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)
    companies: CompanyTies = field(default_factory=CompanyTies)


def _candidate(items: list[ReviewItem], ref: str) -> ReviewItem | None:
    """The candidate ``ref`` names: as written, else in any case (``LINE:3`` is ``line:3``)."""
    for fold in (str, str.casefold):
        wanted = fold(ref.strip())
        for item in items:
            known = fold(str(item.details.get("ref", f"{item.right_system}:{item.right_id}")))
            if wanted in (known, fold(item.right_id)) or known.endswith(f":{wanted}"):
                return item
    return None


def _said(decision: GroupDecision) -> str:
    return f"merge {decision.ref}" if decision.action == "merge" else decision.action


def one_per_group(
    decisions: list[GroupDecision], problems: list[tuple[int, str]]
) -> list[GroupDecision]:
    """The decisions with each group once; a group decided twice, differently, is dropped
    with a problem naming both lines (the same decision twice counts once)."""
    by_group: dict[str, list[GroupDecision]] = {}
    for decision in decisions:
        by_group.setdefault(decision.key, []).append(decision)
    kept: list[GroupDecision] = []
    for key, found in by_group.items():
        said = {(d.action, (d.ref or "").casefold()) for d in found}
        if len(said) == 1:
            kept.append(found[0])
            continue
        lines = " and ".join(f"line {d.file_line} {_said(d)!r}" for d in found)
        problems.append(
            (
                found[0].file_line,
                f"group {key} is decided more than once, differently ({lines}); nothing was "
                "applied for it: keep one decision and apply the file again",
            )
        )
    return kept


def _first(values: Any) -> str:
    if isinstance(values, list):
        return str(values[0]) if values else ""
    return str(values or "")


def record_label(values: dict[str, Any]) -> dict[str, str]:
    """A load review item's record (party, or contact with its company) in the review file's
    columns."""
    return {
        "first_name": _first(values.get("first_name")),
        "last_name": _first(values.get("last_name")),
        "company": _first(values.get("name") or values.get("company")),
        "email": _first(values.get("emails") or values.get("email")),
        "phone": _first(values.get("phones") or values.get("phone")),
        "city": _first(values.get("address")),
    }


def review_groups(store: Store, map_name: str) -> list[ReviewGroup]:
    """The open review groups of a map (or of ``import:SYSTEM``) as review-file groups."""
    with store.begin() as conn:
        items = list_reviews(conn, map_name=map_name, state="open", limit=1_000_000)
    groups: dict[str, list[ReviewItem]] = {}
    for item in items:
        groups.setdefault(str(item.group_key), []).append(item)
    result = []
    for key, members in groups.items():
        if members[0].kind == KIND:
            result.append(group_of(members))
            continue
        first = members[0]
        result.append(
            ReviewGroup(
                key=f"{first.map_name}/{key}",  # a load's group keys repeat across maps
                line=f"{first.left_system}:{first.left_id}",
                label=record_label(first.details.get("left", {})),
                candidates=[
                    ReviewCandidate(
                        f"{i.right_system}:{i.right_id}",
                        i.score,
                        record_label(i.details.get("right", {})),
                    )
                    for i in sorted(members, key=lambda i: -i.score)
                ],
            )
        )
    return result


def open_import_groups(conn: Connection) -> dict[str, dict[str, int]]:
    """Rows of imported files waiting for a decision: target system -> file name -> rows (one
    review group each), for ``syncline status``."""
    groups: dict[tuple[str, str], set[str]] = {}
    for item in list_reviews(conn, kind=KIND, state="open", limit=1_000_000):
        system = item.map_name.split(":", 1)[-1]
        file = str(item.details.get("file", "?"))
        groups.setdefault((system, file), set()).add(str(item.group_key))
    found: dict[str, dict[str, int]] = {}
    for (system, file), keys in sorted(groups.items()):
        found.setdefault(system, {})[file] = len(keys)
    return found


def _items(conn: Connection, key: str, state: str | None) -> list[ReviewItem]:
    """The items of a review-file group: ``MAP/GROUP`` (a load) or a row's fingerprint."""
    if "/" in key:
        map_name, group = key.split("/", 1)
        return list_reviews(conn, map_name=map_name, group_key=group, state=state)
    return list_reviews(conn, kind=KIND, group_key=key, state=state)


def _not_there(decision: GroupDecision, target: list[ReviewItem]) -> str:
    """Why the row a merge names is not in the target: ``target`` are its review items."""
    ref = decision.ref
    if any(i.state == "open" for i in target):
        return (
            f"{ref} is not decided yet, so it is not imported: decide it (create, or merge) "
            "in this file or the review queue, then apply the file again"
        )
    if target and all(i.decision == "skip" for i in target):
        return (
            f"{ref} was skipped (decided 'skip'), so there is nothing to merge into: decide "
            "this row 'create' or 'skip', or merge it into another candidate"
        )
    return f"{ref} is not imported (it was rejected, or its file not imported): import it first"


class ReviewApplier:
    """Applies review-file decisions; ``connector_for(system)`` gives the target connector.
    With ``company_link`` (the default) contacts are tied to their company's party."""

    def __init__(
        self,
        store: Store,
        connector_for: Callable[[str], Connector],
        *,
        actor: str = "import review",
        company_link: bool = True,
    ) -> None:
        self.store = store
        self.connector_for = connector_for
        self.actor = actor
        self.company_link = company_link
        self._linkers: dict[str, CompanyLinker] = {}

    def _linker(self, connector: Connector, ties: CompanyTies) -> CompanyLinker:
        """One linker per system, so that its parties are read once per file."""
        if connector.system not in self._linkers:
            self._linkers[connector.system] = CompanyLinker(
                connector, enabled=self.company_link, ties=ties
            )
        return self._linkers[connector.system]

    def apply(self, path: Path) -> ReviewOutcome:
        decisions, problems, groups = read_review_file(path)
        outcome = ReviewOutcome(problems=list(problems))
        decisions = one_per_group(decisions, outcome.problems)
        self._linkers.clear()
        order = sorted(decisions, key=lambda d: (d.action == "merge", d.file_line))
        waiting: list[GroupDecision] = []
        for decision in order:
            with self.store.begin() as conn:
                items = _items(conn, decision.key, None)
            if not items:
                outcome.problems.append(
                    (decision.file_line, f"group {decision.key!r} is not in the review queue")
                )
                continue
            if all(i.state == "decided" for i in items):
                outcome.already_decided += 1
                continue
            if not self._apply(decision, items, path.name, outcome):
                waiting.append(decision)
        self._apply_waiting(waiting, path.name, outcome)
        outcome.problems.sort(key=lambda p: p[0])
        with self.store.begin() as conn:
            outcome.undecided = sum(1 for key in groups if _items(conn, key, "open"))
        return outcome

    def _apply_waiting(
        self, waiting: list[GroupDecision], source: str, outcome: ReviewOutcome
    ) -> None:
        """Merges into rows of the file that were not in the target yet: again, as long as
        one of them goes through (a chain); the rest are problems saying why."""
        while waiting:
            still: list[GroupDecision] = []
            for decision in waiting:
                with self.store.begin() as conn:
                    items = _items(conn, decision.key, None)
                if not self._apply(decision, items, source, outcome):
                    still.append(decision)
            if len(still) == len(waiting):
                break
            waiting = still
        for decision in waiting:
            with self.store.begin() as conn:
                items = _items(conn, decision.key, None)
                chosen = _candidate(items, decision.ref or "")
                target = _items(conn, chosen.right_id, None) if chosen is not None else []
            outcome.problems.append((decision.file_line, _not_there(decision, target)))

    def _record(self, decision: GroupDecision, items: list[ReviewItem], out: ReviewOutcome) -> None:
        """An initial-load group: store the decision; the next load links, creates or skips."""
        if decision.action in ("create", "skip"):
            self._decide(items[0], decision.action)
            out.recorded += 1
            return
        chosen = _candidate(items, decision.ref or "")
        if chosen is None:
            listed = ", ".join(f"{i.right_system}:{i.right_id}" for i in items)
            out.problems.append(
                (
                    decision.file_line,
                    f"{decision.ref!r} is not a candidate of this record ({listed})",
                )
            )
            return
        self._decide(chosen, "link")
        out.recorded += 1

    def _apply(
        self, decision: GroupDecision, items: list[ReviewItem], source: str, out: ReviewOutcome
    ) -> bool:
        """Apply ``decision``; False when it merges into a row of the file that is not in the
        target (yet)."""
        first = items[0]
        if first.kind != KIND:
            self._record(decision, items, out)
            return True
        system = first.map_name.split(":", 1)[1]
        connector = self.connector_for(system)
        companies = self._linker(connector, out.companies)
        writer = ContactWriter(self.store, connector, source, self.actor, no_checkpoint, companies)
        row = ImportRow.from_values(int(first.details.get("line", 0)), first.details["values"])
        if decision.action == "skip":
            self._decide(first, "skip")
            out.skipped += 1
            return True
        if decision.action == "create":
            created, refused = writer.create([row])
            if refused:
                out.problems.append((decision.file_line, refused[0].reason))
                return True
            self._decide(first, "create")
            out.created += created
            return True
        chosen = _candidate(items, decision.ref or "")
        if chosen is None:
            listed = ", ".join(str(i.details.get("ref", i.right_id)) for i in items)
            out.problems.append(
                (decision.file_line, f"{decision.ref!r} is not a candidate of this row ({listed})")
            )
            return True
        native_id = chosen.right_id
        if chosen.right_system == "file":
            with self.store.begin() as conn:
                found = links_by_native_ids(conn, first.map_name, "a", [chosen.right_id])
            target = next((lk.id_b for lk in found.get(chosen.right_id, []) if lk.id_b), None)
            if target is None:
                return False
            native_id = target
        records = connector.read(ENTITY, [native_id])
        if not records:
            out.problems.append((decision.file_line, f"{system} {native_id} does not exist"))
            return True
        error = writer.merge(row, records[0])
        if error is not None:
            out.problems.append((decision.file_line, error))
            return True
        self._decide(chosen, "merge")
        out.merged += 1
        return True

    def _decide(self, item: ReviewItem, decision: str) -> None:
        with self.store.begin() as conn:
            decide(conn, item.id, decision, self.actor)


__all__ = [
    "ReviewApplier",
    "ReviewOutcome",
    "one_per_group",
    "open_import_groups",
    "record_label",
    "review_groups",
]
