"""The files an import writes beside its input: the rejects file and the review file.

What lies beside the input is always the outcome of the last run. A run rewrites both files;
a decision a person entered into the review file and has not applied yet is carried into the
rewritten file, so no run ever loses one (the summary says how many were kept). A file of an
earlier run that has nothing to say any more (no row rejected, no group open) is removed, and
the summary says so. A review file that exists but cannot be read stops the import before
anything is written: its decisions would be lost.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from syncline.imports.errors import ImportFileError
from syncline.imports.reviewfile import (
    ReviewGroup,
    entered_decisions,
    write_rejects,
    write_review_file,
)
from syncline.imports.rows import RejectedRow


@dataclass
class SideFiles:
    """The ``review`` and ``rejects`` file of one import; ``earlier`` holds each group of a
    review file already there with the decision entered for it ("" when undecided)."""

    review: Path
    rejects: Path
    earlier: dict[str, str] = field(default_factory=dict)

    @classmethod
    def beside(cls, path: Path, review: Path | None, rejects: Path | None) -> SideFiles:
        """Default files next to the input: NAME.review.csv|xlsx and NAME.rejects.csv."""
        suffix = ".xlsx" if path.suffix.lower() == ".xlsx" else ".csv"
        return cls(
            review or path.with_name(f"{path.stem}.review{suffix}"),
            rejects or path.with_name(f"{path.stem}.rejects.csv"),
        )

    def read_earlier(self) -> None:
        """Read the decisions of the review file of an earlier run, if there is one."""
        if not self.review.is_file():
            return
        try:
            self.earlier = entered_decisions(self.review)
        except ImportFileError as exc:
            raise ImportFileError(
                str(self.review),
                exc.line,
                f"the review file of an earlier import cannot be read ({exc.reason}); it may "
                "hold decisions: fix it and apply it with 'syncline import review', or move "
                "it away, then import again",
            ) from None
        if any("/" in key for key in self.earlier):  # MAP/GROUP: a load's review file
            raise ImportFileError(
                str(self.review),
                None,
                "this is the review file of an initial load, not of this import; give the "
                "import its own --review-file",
            )

    def write_rejects(self, header: list[str], rejected: list[RejectedRow]) -> None:
        write_rejects(self.rejects, header, rejected)

    def write_review(self, groups: list[ReviewGroup]) -> int:
        """Write ``groups`` with the decisions entered before; returns how many were kept."""
        keys = {g.key for g in groups}
        kept = {k: text for k, text in self.earlier.items() if text and k in keys}
        write_review_file(self.review, groups, kept)
        return len(kept)

    def remove_rejects(self) -> bool:
        """Remove a rejects file of an earlier run (one this importer wrote); True if done."""
        if not self.rejects.is_file():
            return False
        try:
            with self.rejects.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), [])
        except (UnicodeDecodeError, csv.Error):
            return False  # not a rejects file: someone else's, left alone
        if header[:2] != ["line", "reason"]:
            return False  # not a rejects file: someone else's, left alone
        self.rejects.unlink()
        return True

    def remove_review(self) -> bool:
        """Remove a review file of an earlier run none of whose groups is open; True if done."""
        if not self.review.is_file():
            return False
        self.review.unlink()
        return True


__all__ = ["SideFiles"]
