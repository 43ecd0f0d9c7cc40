"""What a load did (or, in a dry run, would do): counts per outcome and rejections with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Rejection:
    """A record the load could not take over: which system, which record, and why."""

    system: str
    native_id: str
    reason: str


@dataclass
class LoadReport:
    """The summary of one ``syncline load`` run. ``created`` counts per target system."""

    map_name: str
    dry_run: bool = False
    read: dict[str, int] = field(default_factory=dict)
    already_linked: int = 0
    linked_by_key: int = 0
    linked_fuzzy: int = 0
    linked_manual: int = 0
    adopted: int = 0
    for_review: int = 0
    review_items_added: int = 0
    created: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    skipped: int = 0
    one_way: int = 0
    conflicts: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def linked(self) -> int:
        """Links made by this run (keys, fuzzy matches and people's decisions)."""
        return self.linked_by_key + self.linked_fuzzy + self.linked_manual

    def stats(self) -> dict[str, object]:
        """The counts as a JSON-able dict (stored with the run)."""
        return {
            "dry_run": self.dry_run,
            "read": dict(self.read),
            "already_linked": self.already_linked,
            "linked_by_key": self.linked_by_key,
            "linked_fuzzy": self.linked_fuzzy,
            "linked_manual": self.linked_manual,
            "adopted": self.adopted,
            "for_review": self.for_review,
            "review_items_added": self.review_items_added,
            "created": dict(self.created),
            "pending": self.pending,
            "skipped": self.skipped,
            "one_way": self.one_way,
            "conflicts": self.conflicts,
            "rejected": len(self.rejected),
            "seconds": round(self.seconds, 3),
        }


class Progress(Protocol):
    """Where a long run reports how far it got (the CLI draws a Rich progress bar)."""

    def phase(self, name: str, total: int | None) -> None:
        """A new phase starts; ``total`` is the number of steps, None when unknown."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more steps of the current phase are done."""


class NoProgress:
    """Reports nothing (library use, tests)."""

    def phase(self, name: str, total: int | None) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


__all__ = ["LoadReport", "NoProgress", "Progress", "Rejection"]
