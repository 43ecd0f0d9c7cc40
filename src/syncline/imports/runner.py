"""``syncline import contacts FILE --into SYSTEM``: read, validate, de-duplicate, create.

1. The file is read and every row validated (:mod:`.rows`); a file unusable as a whole stops
   here with an :class:`~syncline.imports.errors.ImportFileError` and nothing is written.
2. Rejected rows go to the rejects file with their line and reason.
3. Rows imported before (same fingerprint, :mod:`.writer`) are not written again; rows
   decided earlier follow the decision; rows waiting for a decision keep waiting.
4. The rest are checked for duplicates within the file and against the target's contacts
   (:mod:`.duplicates`, the contacts with their party's name and address): merged when
   certain, held for review in the grey zone, else created.
5. Contacts created or merged are tied to the party of their company (:mod:`.companies`),
   and so are contacts imported before that have no party yet (only their party is written).
6. Rows in doubt are written to the review file and the review queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from syncline.connectors.base import Connector, NativeRecord, WriteOp
from syncline.errors import ConfigError
from syncline.imports.companies import CompanyLinker, CompanyTies
from syncline.imports.duplicates import Candidate, find_duplicates
from syncline.imports.reviewfile import (
    ReviewCandidate,
    ReviewGroup,
    write_rejects,
    write_review_file,
)
from syncline.imports.rows import ImportRow, RejectedRow, read_contacts
from syncline.imports.writer import ENTITY, ContactWriter, import_map, no_checkpoint
from syncline.load.fuzzy import matcher_for
from syncline.load.inventory import read_side
from syncline.load.report import NoProgress, Progress
from syncline.mapping import MatchThresholds
from syncline.matching import Matcher
from syncline.model import Contact
from syncline.store import Store
from syncline.store.links import Link
from syncline.store.reviews import NewReview, ReviewItem, add_reviews, reviews_for_groups

KIND = "import_duplicate"


@dataclass
class ImportReport:
    """The summary of one import: every row is counted in exactly one outcome."""

    file: str
    system: str
    kind: str = ""
    encoding: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    merged_into_existing: int = 0
    merged_in_file: int = 0
    already_imported: int = 0
    for_review: int = 0
    skipped: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    matching_only: list[str] = field(default_factory=list)
    blank_lines: list[int] = field(default_factory=list)
    rejects_file: str | None = None
    review_file: str | None = None
    companies: CompanyTies = field(default_factory=CompanyTies)
    seconds: float = 0.0


def side_files(path: Path, review: Path | None, rejects: Path | None) -> tuple[Path, Path]:
    """Default output files next to the input: NAME.review.csv|xlsx and NAME.rejects.csv."""
    suffix = ".xlsx" if path.suffix.lower() == ".xlsx" else ".csv"
    return (
        review or path.with_name(f"{path.stem}.review{suffix}"),
        rejects or path.with_name(f"{path.stem}.rejects.csv"),
    )


class ContactImport:
    """Imports contact files into ``connector``'s system, remembered in ``store``."""

    def __init__(
        self,
        store: Store,
        connector: Connector,
        *,
        thresholds: MatchThresholds | None = None,
        progress: Progress | None = None,
        checkpoint: Callable[[str], None] | None = None,
        matcher: Matcher | None = None,
        actor: str = "import",
        company_link: bool = True,
    ) -> None:
        if not connector.capabilities.can_write(ENTITY, WriteOp.CREATE):
            raise ConfigError(
                f"system {connector.system!r} cannot create contacts; import into a system "
                "whose connector holds the contact entity"
            )
        self.store = store
        self.connector = connector
        self.matcher = matcher or matcher_for(thresholds or MatchThresholds())
        self.progress = progress or NoProgress()
        self.checkpoint = checkpoint or no_checkpoint
        self.actor = actor
        self.company_link = company_link

    @property
    def map_name(self) -> str:
        return import_map(self.connector.system)

    def run(
        self,
        path: Path,
        *,
        kind: str | None = None,
        encoding: str | None = None,
        review_path: Path | None = None,
        rejects_path: Path | None = None,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import ``path``; with ``dry_run`` only read, validate and count."""
        started = time.perf_counter()
        self.progress.phase(f"reading {path.name}", None)
        parsed = read_contacts(path, kind=kind, encoding=encoding)
        review_file, rejects_file = side_files(path, review_path, rejects_path)
        report = ImportReport(
            str(path), self.connector.system, parsed.kind, parsed.encoding, dry_run,
            rows=len(parsed.rows) + len(parsed.rejected), rejected=list(parsed.rejected),
            ignored_columns=parsed.ignored_columns, blank_lines=parsed.blank_lines,
        )  # fmt: skip
        companies = CompanyLinker(self.connector, enabled=self.company_link, ties=report.companies)
        report.matching_only = matching_only(parsed.rows, companies_tied=companies.off is None)
        writer = ContactWriter(
            self.store, self.connector, path.name, self.actor, self.checkpoint, companies
        )
        unique: dict[str, ImportRow] = {}
        for row in parsed.rows:
            if row.fingerprint in unique:
                report.merged_in_file += 1  # the same content twice is one contact
            else:
                unique[row.fingerprint] = row
        links = writer.links(list(unique))
        with self.store.begin() as conn:
            decided = reviews_for_groups(conn, self.map_name, list(unique))
        self.progress.phase(f"reading {self.connector.system} contacts", None)
        existing = read_side(self.connector, ENTITY, "b", self.progress).records
        fresh: list[ImportRow] = []
        create: list[ImportRow] = []
        in_doubt: list[ImportRow] = []
        merges: list[tuple[ImportRow, str]] = []
        held: list[ImportRow] = []
        imported: list[tuple[ImportRow, Link]] = []
        for fp, row in unique.items():
            link = links.get(fp)
            items = decided.get(fp, [])
            if link is not None and link.id_b is not None:
                report.already_imported += 1
                imported.append((row, link))
            elif any(i.state == "open" for i in items):
                held.append(row)
            elif items and all(i.decision == "skip" for i in items):
                report.skipped += 1
            elif merged := [i for i in items if i.decision in ("merge", "link")]:
                target = self._merge_target(writer, merged[0])
                if target is None:
                    reason = f"decided to merge into {merged[0].details.get('ref')}, which is "
                    report.rejected.append(RejectedRow(row.line, reason + "not imported", row.raw))
                else:
                    merges.append((row, target))
            elif link is not None:
                in_doubt.append(row)
            elif items:
                create.append(row)  # a person decided it is a different contact
            else:
                fresh.append(row)
        if in_doubt and not dry_run:
            adopted = writer.adopt(in_doubt, existing)
            report.already_imported += len(adopted)
            imported += [(unique[fp], lk) for fp, lk in writer.links(list(adopted)).items()]
            create += [r for r in in_doubt if r.fingerprint not in adopted]
        else:
            create += in_doubt
        untied = untied_contacts(imported, existing) if companies.off is None else []
        # one read of the parties serves tying and duplicate finding (even with tying off)
        contacts = [c for r in existing.values() if (c := _contact(r)) is not None]
        companies.prepare(
            [*fresh, *create, *(row for row, _ in merges), *(row for row, _, _ in untied)],
            contacts,
            self.progress,
        )
        self.progress.phase("finding duplicates", None)
        findings = find_duplicates(
            self.matcher, fresh, existing, self.connector.system, companies.parties_of()
        )
        create += [fresh[i] for i in findings.create]
        merges += [(fresh[i], nid) for i, (nid, _) in findings.merge_record.items()]
        merged_into = {nid for _, nid in merges}  # a merge fills their party itself
        untied = [u for u in untied if u[2].native_id not in merged_into]
        reviews = [
            self._review(fresh[i], c, path.name) for i, cs in findings.review.items() for c in cs
        ]
        held += [fresh[i] for i in findings.review]
        row_merges = [(fresh[i], fresh[root], s) for i, (root, s) in findings.merge_row.items()]
        if dry_run:
            companies.preview(
                create,
                [(row, _contact(existing.get(nid))) for row, nid in merges],
                [row for row, _, _ in untied],
            )
            report.created = len(create)
            report.merged_into_existing = len(merges)
            report.merged_in_file += len(row_merges)
            report.for_review = len(held)
            report.seconds = time.perf_counter() - started
            return report
        if report.rejected:
            write_rejects(rejects_file, parsed.header, report.rejected)
        with self.store.begin() as conn:
            add_reviews(conn, reviews)
        writes = len(create) + len(merges) + len(untied)
        self.progress.phase(f"writing to {self.connector.system}", writes)
        created, refused = writer.create(create)
        report.created = created
        self.progress.advance(len(create))
        for row, native_id in merges:
            self._merge(writer, row, native_id, report)
            self.progress.advance()
        for row, link, record in untied:
            if (error := writer.tie(row, link, record)) is not None:
                refused.append(RejectedRow(row.line, error, row.raw))
            self.progress.advance()
        late: list[NewReview] = []
        now_linked = writer.links([rep.fingerprint for _, rep, _ in row_merges])
        for member, rep, score in row_merges:
            rep_link = now_linked.get(rep.fingerprint)
            if rep_link is not None and rep_link.id_b is not None:
                writer.link(member, rep_link.id_b, f"same contact as line {rep.line}")
                report.merged_in_file += 1
            else:
                candidate = Candidate(f"line:{rep.line}", rep.fingerprint, score, True, rep.label())
                late.append(self._review(member, candidate, path.name))
                held.append(member)
        with self.store.begin() as conn:
            add_reviews(conn, late)
        report.for_review = len(held)
        report.rejected.extend(refused)
        if report.rejected:  # with the rows the target refused or a merge could not apply
            write_rejects(rejects_file, parsed.header, report.rejected)
            report.rejects_file = str(rejects_file)
        if held:
            write_review_file(review_file, self.review_groups([r.fingerprint for r in held]))
            report.review_file = str(review_file)
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _merge_target(writer: ContactWriter, item: ReviewItem) -> str | None:
        """The record a decided merge goes into; a row of the file means what it became."""
        if item.right_system != "file":
            return item.right_id
        link = writer.links([item.right_id]).get(item.right_id)
        return link.id_b if link is not None else None

    def _merge(
        self,
        writer: ContactWriter,
        row: ImportRow,
        native_id: str,
        report: ImportReport,
    ) -> None:
        records = self.connector.read(ENTITY, [native_id])
        error = (
            writer.merge(row, records[0])
            if records
            else f"{self.connector.system} {native_id} no longer exists"
        )
        if error is None:
            report.merged_into_existing += 1
        else:
            report.rejected.append(RejectedRow(row.line, error, row.raw))

    def _review(self, row: ImportRow, candidate: Candidate, source: str) -> NewReview:
        return NewReview(
            map_name=self.map_name,
            entity=ENTITY,
            kind=KIND,
            group_key=row.fingerprint,
            left_system="file",
            left_id=row.fingerprint,
            right_system="file" if candidate.is_row else self.connector.system,
            right_id=candidate.target,
            score=round(candidate.score, 4),
            details={
                "file": source,
                "line": row.line,
                "values": row.values(),
                "label": row.label(),
                "ref": candidate.ref,
                "candidate": candidate.label,
            },
        )

    def review_groups(self, fingerprints: list[str]) -> list[ReviewGroup]:
        """The open review groups of these rows, as written to a review file."""
        with self.store.begin() as conn:
            found = reviews_for_groups(conn, self.map_name, fingerprints)
        return [group_of(items) for fp in fingerprints if (items := open_items(found, fp))]


def _contact(record: NativeRecord | None) -> Contact | None:
    return record.data if record is not None and isinstance(record.data, Contact) else None


def untied_contacts(
    imported: Iterable[tuple[ImportRow, Link]], existing: Mapping[str, NativeRecord]
) -> list[tuple[ImportRow, Link, NativeRecord]]:
    """Rows imported before whose contact is still in the target without a party, and whose
    company may give it one: each contact once (rows merged into one contact share it). A
    contact deleted in the target since is not among them."""
    found: dict[str, tuple[ImportRow, Link, NativeRecord]] = {}
    for row, link in imported:
        record = existing.get(link.id_b or "")
        contact = _contact(record)
        if record is None or contact is None or contact.party_id or not row.company.strip():
            continue
        found.setdefault(record.native_id, (row, link, record))
    return list(found.values())


def matching_only(rows: list[ImportRow], *, companies_tied: bool = False) -> list[str]:
    """Values of the file that a canonical contact has no field for: they help to find
    duplicates (and are shown in review files) but are not written to the target. With
    ``companies_tied`` the company is not among them: it ties the contact to its party."""
    found: list[str] = []
    names = ("company", "street", "postal_code", "city", "country")
    for name in names[1:] if companies_tied else names:
        if any(getattr(r, name) for r in rows):
            found.append(name)
    if any(len(r.emails) > 1 for r in rows):
        found.append("further e-mails")
    if any(len(r.phones) > 1 + bool(r.contact.mobile) for r in rows):
        found.append("further phones")
    return found


def open_items(found: dict[str, list[ReviewItem]], key: str) -> list[ReviewItem]:
    return [i for i in found.get(key, []) if i.state == "open"]


def group_of(items: list[ReviewItem]) -> ReviewGroup:
    """A review file group from the review items of one row."""
    first = items[0]
    return ReviewGroup(
        key=str(first.group_key),
        line=int(first.details.get("line", 0)),
        label=dict(first.details.get("label", {})),
        candidates=[
            ReviewCandidate(
                str(i.details.get("ref", i.right_id)), i.score, dict(i.details.get("candidate", {}))
            )
            for i in sorted(items, key=lambda i: -i.score)
        ],
    )


__all__ = [
    "KIND",
    "ContactImport",
    "ImportReport",
    "group_of",
    "matching_only",
    "side_files",
    "untied_contacts",
]
