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
from syncline.imports.reviewfile import ReviewCandidate, ReviewGroup
from syncline.imports.rows import ImportRow, RejectedRow, read_contacts
from syncline.imports.sidefiles import SideFiles
from syncline.imports.writer import ENTITY, ContactWriter, differing, import_map, no_checkpoint
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


@dataclass(frozen=True)
class KeptValue:
    """A row merged into the contact an earlier row of its file became held another ``field``
    value: the contact's value ``kept`` stays, the row's ``dropped`` value is not taken."""

    line: int
    earlier_line: int
    field: str
    kept: str
    dropped: str


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
    unread_sheets: list[str] = field(default_factory=list)
    kept_values: list[KeptValue] = field(default_factory=list)
    rejects_file: str | None = None
    review_file: str | None = None
    kept_decisions: int = 0
    removed_files: list[str] = field(default_factory=list)
    companies: CompanyTies = field(default_factory=CompanyTies)
    seconds: float = 0.0


@dataclass
class Plan:
    """What to do with the rows of one file, before anything is written: ``chained`` are
    rows a person decided to merge into another row of the file (its review item)."""

    fresh: list[ImportRow] = field(default_factory=list)
    create: list[ImportRow] = field(default_factory=list)
    merges: list[tuple[ImportRow, str]] = field(default_factory=list)
    chained: list[tuple[ImportRow, ReviewItem]] = field(default_factory=list)
    held: list[ImportRow] = field(default_factory=list)
    in_doubt: list[ImportRow] = field(default_factory=list)
    imported: list[tuple[ImportRow, Link]] = field(default_factory=list)
    row_merges: list[tuple[ImportRow, ImportRow, float]] = field(default_factory=list)


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
        sheet: str | None = None,
    ) -> ImportReport:
        """Import ``path``; with ``dry_run`` only read, validate and count."""
        started = time.perf_counter()
        self.progress.phase(f"reading {path.name}", None)
        parsed = read_contacts(path, kind=kind, encoding=encoding, sheet=sheet)
        sides = SideFiles.beside(path, review_path, rejects_path)
        if not dry_run:
            sides.read_earlier()  # before anything is written: its decisions must not be lost
        report = ImportReport(
            str(path), self.connector.system, parsed.kind, parsed.encoding, dry_run,
            rows=len(parsed.rows) + len(parsed.rejected), rejected=list(parsed.rejected),
            ignored_columns=parsed.ignored_columns, blank_lines=parsed.blank_lines,
            unread_sheets=parsed.unread_sheets,
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
        plan = self._plan(unique, links, report)
        self.progress.phase(f"reading {self.connector.system} contacts", None)
        existing = read_side(self.connector, ENTITY, "b", self.progress).records
        if plan.in_doubt and not dry_run:
            adopted = writer.adopt(plan.in_doubt, existing)
            report.already_imported += len(adopted)
            plan.imported += [(unique[fp], lk) for fp, lk in writer.links(list(adopted)).items()]
            plan.create += [r for r in plan.in_doubt if r.fingerprint not in adopted]
        else:
            plan.create += plan.in_doubt
        untied = untied_contacts(plan.imported, existing) if companies.off is None else []
        # one read of the parties serves tying and duplicate finding (even with tying off)
        contacts = [c for r in existing.values() if (c := _contact(r)) is not None]
        companies.prepare(
            [*plan.fresh, *plan.create, *(row for row, _ in plan.merges),
             *(row for row, _ in plan.chained), *(row for row, _, _ in untied)],
            contacts,
            self.progress,
        )  # fmt: skip
        self.progress.phase("finding duplicates", None)
        fresh = plan.fresh
        findings = find_duplicates(
            self.matcher, fresh, existing, self.connector.system, companies.parties_of()
        )
        plan.create += [fresh[i] for i in findings.create]
        plan.merges += [(fresh[i], nid) for i, (nid, _) in findings.merge_record.items()]
        merged_into = {nid for _, nid in plan.merges}  # a merge fills their party itself
        untied = [u for u in untied if u[2].native_id not in merged_into]
        reviews = [
            self._review(fresh[i], c, path.name) for i, cs in findings.review.items() for c in cs
        ]
        plan.held += [fresh[i] for i in findings.review]
        plan.row_merges = [
            (fresh[i], fresh[root], s) for i, (root, s) in findings.merge_row.items()
        ]
        if dry_run:
            companies.preview(
                plan.create,
                [(row, _contact(existing.get(nid))) for row, nid in plan.merges],
                [row for row, _, _ in untied],
            )
            self._count_dry_run(plan, links, report)
            report.seconds = time.perf_counter() - started
            return report
        if report.rejected:
            sides.write_rejects(parsed.header, report.rejected)
        with self.store.begin() as conn:
            add_reviews(conn, reviews)
        writes = len(plan.create) + len(plan.merges) + len(untied)
        self.progress.phase(f"writing to {self.connector.system}", writes)
        created, refused = writer.create(plan.create)
        report.created = created
        self.progress.advance(len(plan.create))
        for row, native_id in plan.merges:
            self._merge(writer, row, native_id, report)
            self.progress.advance()
        for row, link, record in untied:
            if (error := writer.tie(row, link, record)) is not None:
                refused.append(RejectedRow(row.line, error, row.raw))
            self.progress.advance()
        self._merge_rows(writer, plan, report, path.name)
        self._merge_chained(writer, plan.chained, report)
        report.for_review = len(plan.held)
        report.rejected.extend(refused)
        self._write_side_files(sides, parsed.header, plan.held, report)
        report.seconds = time.perf_counter() - started
        return report

    def _plan(
        self, unique: dict[str, ImportRow], links: dict[str, Link], report: ImportReport
    ) -> Plan:
        """Sort the rows by what was done or decided before: imported, waiting, decided."""
        with self.store.begin() as conn:
            decided = reviews_for_groups(conn, self.map_name, list(unique))
        plan = Plan()
        for fp, row in unique.items():
            link = links.get(fp)
            items = decided.get(fp, [])
            if link is not None and link.id_b is not None:
                report.already_imported += 1
                plan.imported.append((row, link))
            elif any(i.state == "open" for i in items):
                plan.held.append(row)
            elif items and all(i.decision == "skip" for i in items):
                report.skipped += 1
            elif merged := [i for i in items if i.decision in ("merge", "link")]:
                if merged[0].right_system == "file":
                    plan.chained.append((row, merged[0]))  # after the row it names is written
                else:
                    plan.merges.append((row, merged[0].right_id))
            elif link is not None:
                plan.in_doubt.append(row)
            elif items:
                plan.create.append(row)  # a person decided it is a different contact
            else:
                plan.fresh.append(row)
        return plan

    def _count_dry_run(self, plan: Plan, links: dict[str, Link], report: ImportReport) -> None:
        """Count as the real run would: a row merges into another row of the file only when
        that row will be in the target (created, merged or imported before); else it waits."""
        there = {r.fingerprint for r in plan.create} | {r.fingerprint for r, _ in plan.merges}
        there |= {fp for fp, link in links.items() if link.id_b is not None}
        report.created = len(plan.create)
        report.merged_into_existing = len(plan.merges)
        for member, rep, _ in plan.row_merges:
            if rep.fingerprint in there:
                report.merged_in_file += 1
                there.add(member.fingerprint)
            else:
                plan.held.append(member)
        waiting = list(plan.chained)
        while ready := [(r, i) for r, i in waiting if i.right_id in there]:
            report.merged_into_existing += len(ready)
            there |= {r.fingerprint for r, _ in ready}
            waiting = [(r, i) for r, i in waiting if i.right_id not in there]
        report.rejected += [
            RejectedRow(row.line, self._unmerged(item), row.raw) for row, item in waiting
        ]
        report.for_review = len(plan.held)

    def _merge_rows(
        self, writer: ContactWriter, plan: Plan, report: ImportReport, source: str
    ) -> None:
        """Merge each row into the contact the earlier row of the file it duplicates became:
        its empty fields are filled, a value it holds already is kept (and reported). A row
        whose earlier row is not in the target (it waits for review) waits too."""
        late: list[NewReview] = []
        now_linked = writer.links([rep.fingerprint for _, rep, _ in plan.row_merges])
        for member, rep, score in plan.row_merges:
            rep_link = now_linked.get(rep.fingerprint)
            if rep_link is not None and rep_link.id_b is not None:
                self._merge(writer, member, rep_link.id_b, report, earlier=rep)
            else:
                candidate = Candidate(f"line:{rep.line}", rep.fingerprint, score, True, rep.label())
                late.append(self._review(member, candidate, source))
                plan.held.append(member)
        with self.store.begin() as conn:
            add_reviews(conn, late)

    def _merge_chained(
        self,
        writer: ContactWriter,
        chained: list[tuple[ImportRow, ReviewItem]],
        report: ImportReport,
    ) -> None:
        """Rows a person decided to merge into another row of the file, in the order the rows
        they name are written: a chain (line 6 into line 2, line 2 into crm:1) is done in one
        run. A row whose row is not in the target is rejected with the reason."""
        waiting = list(chained)
        while waiting:
            linked = writer.links([item.right_id for _, item in waiting])
            target = {fp: lk.id_b for fp, lk in linked.items() if lk.id_b is not None}
            ready = [(row, item) for row, item in waiting if item.right_id in target]
            if not ready:
                break
            for row, item in ready:
                self._merge(writer, row, target[item.right_id], report)
            waiting = [(row, item) for row, item in waiting if item.right_id not in target]
        report.rejected += [
            RejectedRow(row.line, self._unmerged(item), row.raw) for row, item in waiting
        ]

    def _unmerged(self, item: ReviewItem) -> str:
        """Why a decided merge into the row ``item`` names cannot be done."""
        ref = item.details.get("ref", item.right_id)
        with self.store.begin() as conn:
            found = reviews_for_groups(conn, self.map_name, [item.right_id])
        target = found.get(item.right_id, [])
        if any(i.state == "open" for i in target):
            return f"decided to merge into {ref}, which still waits for a decision: decide it"
        if target and all(i.decision == "skip" for i in target):
            return f"decided to merge into {ref}, which was skipped as decided: nothing to merge"
        return f"decided to merge into {ref}, which is not imported"

    def _write_side_files(
        self, sides: SideFiles, header: list[str], held: list[ImportRow], report: ImportReport
    ) -> None:
        """The rejects and review file of this run; those of an earlier run with nothing to
        say any more are removed. Groups of the earlier review file that are still open stay
        in it, with the decisions entered."""
        if report.rejected:  # with the rows the target refused or a merge could not apply
            sides.write_rejects(header, report.rejected)
            report.rejects_file = str(sides.rejects)
        elif sides.remove_rejects():
            report.removed_files.append(str(sides.rejects))
        keys = list(dict.fromkeys([*(r.fingerprint for r in held), *sides.earlier]))
        if groups := self.review_groups(keys):
            report.kept_decisions = sides.write_review(groups)
            report.review_file = str(sides.review)
        elif sides.remove_review():
            report.removed_files.append(str(sides.review))

    def _merge(
        self,
        writer: ContactWriter,
        row: ImportRow,
        native_id: str,
        report: ImportReport,
        *,
        earlier: ImportRow | None = None,
    ) -> None:
        """Merge ``row`` into ``native_id``; with ``earlier``, the contact that earlier row of
        the file became (the values of ``row`` it does not take are reported)."""
        records = self.connector.read(ENTITY, [native_id])
        if not records:
            error: str | None = f"{self.connector.system} {native_id} no longer exists"
        elif earlier is None:
            error = writer.merge(row, records[0])
        else:
            contact = _contact(records[0])
            kept = differing(contact, row.contact) if contact is not None else {}
            error = writer.merge(row, records[0], same_file=True)
            if error is None:
                report.kept_values += [
                    KeptValue(row.line, earlier.line, name, theirs, mine)
                    for name, (theirs, mine) in kept.items()
                ]
        if error is not None:
            report.rejected.append(RejectedRow(row.line, error, row.raw))
        elif earlier is None:
            report.merged_into_existing += 1
        else:
            report.merged_in_file += 1

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
    "KeptValue",
    "group_of",
    "matching_only",
    "untied_contacts",
]
