"""The load plan: which records to link (and why), which to hold for review, which to create.

Order of evidence: people's decisions first (a decided review item), then deterministic keys,
then fuzzy matching (contacts with their parties, read with the inventory). Records a person
rejected as pairs are never suggested again; records in an open review item wait. The map's
direction decides in which systems records are created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncline.connectors.base import NativeRecord
from syncline.load.fuzzy import fuzzy_match, label, matcher_for
from syncline.load.inventory import Inventory
from syncline.load.keys import key_pairs
from syncline.mapping import Direction
from syncline.matching import Matcher, MatchResult
from syncline.model import CanonicalEntity, Contact, Party
from syncline.store.links import Side
from syncline.store.reviews import NewReview
from syncline.sync.context import MapContext


@dataclass(frozen=True)
class PlannedLink:
    """Link side-a record ``a_id`` to side-b record ``b_id``; ``origin`` key|fuzzy|manual."""

    a_id: str
    b_id: str
    origin: str
    score: float
    why: str


@dataclass
class LoadPlan:
    """Everything a load will do, computed without writing anything."""

    links: list[PlannedLink] = field(default_factory=list)
    reviews: list[NewReview] = field(default_factory=list)
    held: dict[Side, set[str]] = field(default_factory=lambda: {"a": set(), "b": set()})
    creates: dict[Side, list[str]] = field(default_factory=lambda: {"a": [], "b": []})
    skipped: dict[Side, set[str]] = field(default_factory=lambda: {"a": set(), "b": set()})
    one_way: int = 0  # unmatched records the map's direction does not copy

    def count(self, origin: str) -> int:
        return sum(1 for link in self.links if link.origin == origin)


def _creates_from(direction: Direction) -> tuple[Side, ...]:
    """Sides whose unmatched records are created in the other system."""
    sides: dict[Direction, tuple[Side, ...]] = {
        Direction.BOTH: ("a", "b"),
        Direction.A_TO_B: ("a",),
        Direction.B_TO_A: ("b",),
    }
    return sides[direction]


def _decided(ctx: MapContext, inventory: Inventory, plan: LoadPlan) -> None:
    """Decisions people made on review items: link accepted pairs, skip skipped records."""
    unlinked = {s: inventory.unlinked(s) for s in ("a", "b")}
    used: dict[Side, set[str]] = {"a": set(), "b": set()}
    for item in inventory.decided:
        left_side: Side = "a" if item.left_system == ctx.system("a") else "b"
        if item.decision == "skip":
            plan.skipped[left_side].add(item.left_id)
            continue
        if item.decision not in ("link", "merge"):
            continue
        a_id, b_id = (
            (item.left_id, item.right_id) if left_side == "a" else (item.right_id, item.left_id)
        )
        if a_id in unlinked["a"] and b_id in unlinked["b"]:
            if a_id in used["a"] or (b_id in used["b"] and not ctx.config.many_to_one):
                continue
            used["a"].add(a_id)
            used["b"].add(b_id)
            who = item.decided_by or "a person"
            plan.links.append(PlannedLink(a_id, b_id, "manual", item.score, f"decided by {who}"))


def build_plan(ctx: MapContext, inventory: Inventory, matcher: Matcher | None = None) -> LoadPlan:
    """Plan the load of map ``ctx`` from ``inventory``."""
    plan = LoadPlan()
    _decided(ctx, inventory, plan)
    taken = {
        "a": {p.a_id for p in plan.links} | plan.skipped["a"],
        "b": {p.b_id for p in plan.links} | plan.skipped["b"],
    }
    left = {i: r for i, r in inventory.unlinked("a").items() if i not in taken["a"]}
    right = {i: r for i, r in inventory.unlinked("b").items() if i not in taken["b"]}
    for pair in key_pairs(ctx, left, right):
        plan.links.append(PlannedLink(pair.a_id, pair.b_id, "key", 1.0, f"equal {pair.key}"))
        left.pop(pair.a_id)
        right.pop(pair.b_id)
    for item in inventory.open_reviews:
        left_side: Side = "a" if item.left_system == ctx.system("a") else "b"
        plan.held[left_side].add(item.left_id)
        plan.held["b" if left_side == "a" else "a"].add(item.right_id)
    if ctx.config.match.fuzzy and left and right:
        matcher = matcher or matcher_for(ctx.config.match.thresholds)
        offered = dict(right)
        if ctx.config.many_to_one:
            offered.update(
                {i: r for i, r in inventory.sides["b"].records.items() if i not in offered}
            )
        outcome = fuzzy_match(
            matcher,
            {i: r for i, r in left.items() if i not in plan.held["a"]},
            offered,
            pinned=inventory.pinned_pairs(ctx.system("a")),
            right_taken=set(offered) - set(right),
            many_to_one=ctx.config.many_to_one,
            left_parties=inventory.sides["a"].parties,
            right_parties=inventory.sides["b"].parties,
        )
        for result in outcome.links:
            plan.links.append(
                PlannedLink(
                    result.left_id,
                    result.right_id,
                    "fuzzy",
                    result.score,
                    f"score {result.score:.3f} ({result.reason.value})",
                )
            )
            left.pop(result.left_id, None)
            right.pop(result.right_id, None)
        held_a, held_b = outcome.held()
        plan.held["a"] |= held_a
        plan.held["b"] |= held_b & set(right)
        for a_id, results in outcome.reviews.items():
            plan.reviews.extend(_review(ctx, inventory, left[a_id], offered, r) for r in results)
    unmatched = {"a": left, "b": right}
    sources = _creates_from(ctx.config.direction)
    for side in ("a", "b"):
        free = [i for i in unmatched[side] if i not in plan.held[side]]
        if side in sources:
            plan.creates[side] = sorted(free, key=_natural)
        else:
            plan.one_way += len(free)
    return plan


def _review(
    ctx: MapContext,
    inventory: Inventory,
    record: NativeRecord,
    offered: dict[str, NativeRecord],
    result: MatchResult,
) -> NewReview:
    partner = offered.get(result.right_id)
    partner_data = partner.data if partner is not None else None
    return NewReview(
        map_name=ctx.name,
        entity=ctx.entity,
        kind="match",
        group_key=f"{ctx.system('a')}:{record.native_id}",
        left_system=ctx.system("a"),
        left_id=record.native_id,
        right_system=ctx.system("b"),
        right_id=result.right_id,
        score=round(result.score, 4),
        details={
            "reason": result.reason.value,
            "left": label(record.data, _party(record.data, inventory.sides["a"].parties)),
            "right": label(partner_data, _party(partner_data, inventory.sides["b"].parties)),
        },
    )


def _party(data: CanonicalEntity | None, parties: dict[str, Party]) -> Party | None:
    """A contact's party, when it was read for matching."""
    if isinstance(data, Contact) and data.party_id:
        return parties.get(data.party_id)
    return None


def _natural(native_id: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order, others after them in text order."""
    return (0, int(native_id), "") if native_id.isdigit() else (1, 0, native_id)


__all__ = ["LoadPlan", "PlannedLink", "build_plan"]
