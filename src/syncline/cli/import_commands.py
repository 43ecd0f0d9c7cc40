"""``syncline import contacts FILE --into SYSTEM`` and ``syncline import review FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from syncline.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    emit,
    err_console,
    open_runtime,
    plain,
    plain_cells,
)
from syncline.cli.load_commands import RichProgress
from syncline.imports import (
    CompanyTies,
    ContactImport,
    ImportFileError,
    ImportReport,
    ReviewApplier,
)
from syncline.imports.companies import shorten
from syncline.mapping import MatchThresholds, SynclineConfig

import_app = typer.Typer(
    help="Import contacts from Outlook CSV, CSV, vCard or XLSX, with duplicate review.",
    no_args_is_help=True,
)


def thresholds_for(config: SynclineConfig, system: str) -> MatchThresholds:
    """The thresholds of the first contact map that involves ``system``, else the defaults."""
    for m in config.maps:
        if m.entity == "contact" and system in (m.a, m.b):
            return m.match.thresholds
    return MatchThresholds()


def _fail(exc: ImportFileError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {plain(exc)}", highlight=False)
    err_console.print("Nothing was imported.", highlight=False)
    return typer.Exit(2)


NoCompanyLink = Annotated[
    bool,
    typer.Option(
        "--no-company-link",
        help="Do not tie contacts to the party (CRM account) of their company.",
    ),
]


def print_company_ties(ties: CompanyTies, *, dry_run: bool = False) -> None:
    """How contacts were (or would be) tied to the party of their company."""
    verb = "would be " if dry_run else ""
    system = plain(ties.system or "the target")  # escaped once for every line below
    if ties.tied:
        later = f" ({ties.tied_afterwards} imported before)" if ties.tied_afterwards else ""
        console.print(
            f"{verb}tied to their company's party ({system} account): {ties.tied}{later}",
            highlight=False,
        )
    if ties.not_found:
        rows = sum(ties.not_found.values())
        console.print(
            f"company not found in {system}, {verb}left without a party: {rows} contact(s), "
            f"{len(ties.not_found)} compan{'y' if len(ties.not_found) == 1 else 'ies'}: "
            f"{plain(shorten(list(ties.not_found)))}",
            highlight=False,
        )
    for company, candidates in list(ties.ambiguous.items())[:10]:
        console.print(
            f"company {plain(repr(company))} matches several {system} parties, not tied: "
            f"{plain(shorten(candidates, shown=5))}",
            highlight=False,
        )
    if len(ties.ambiguous) > 10:
        console.print(f"  ... and {len(ties.ambiguous) - 10} more ambiguous", highlight=False)
    if ties.kept:
        console.print(
            f"merged into contacts that have a party already (kept): {ties.kept}",
            highlight=False,
        )


def print_import_summary(report: ImportReport) -> None:
    """The outcome of every row, the files written and each rejected row with its reason."""
    verb = "would be " if report.dry_run else ""
    title = f"import {plain(Path(report.file).name)} into {plain(report.system)}"
    table = Table(title=title + (" (dry run: nothing written)" if report.dry_run else ""))
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    for label, count in (
        ("rows read", report.rows),
        (f"{verb}created", report.created),
        (f"{verb}merged into existing contacts", report.merged_into_existing),
        ("duplicates within the file", report.merged_in_file),
        ("imported before (unchanged)", report.already_imported),
        ("waiting for review", report.for_review),
        ("skipped as people decided", report.skipped),
        ("rejected", len(report.rejected)),
    ):
        table.add_row(*plain_cells(label, count))
    console.print(table)
    console.print(
        f"format {plain(report.kind)}, encoding {plain(report.encoding or '-')}", highlight=False
    )
    if report.ignored_columns:
        ignored = plain(", ".join(report.ignored_columns))
        console.print(f"columns not imported: {ignored}", highlight=False)
    if report.matching_only:
        console.print(
            f"used to find duplicates but not stored (a contact has no field for them): "
            f"{plain(', '.join(report.matching_only))}",
            highlight=False,
        )
    if report.companies.off is not None and "company" in report.matching_only:
        console.print(
            f"contacts not tied to their company: {plain(report.companies.off)}", highlight=False
        )
    print_company_ties(report.companies, dry_run=report.dry_run)
    if report.unread_sheets:
        console.print(
            f"sheets not read (only one sheet is imported; give --sheet NAME for another): "
            f"{plain(', '.join(report.unread_sheets))}",
            highlight=False,
        )
    if report.blank_lines:
        console.print(f"blank rows skipped: {len(report.blank_lines)}", highlight=False)
    for kept in report.kept_values[:20]:
        console.print(
            f"  line {kept.line} is the contact of line {kept.earlier_line} but differs in "
            f"{plain(kept.field)}: kept {plain(repr(kept.kept))}, "
            f"not taken {plain(repr(kept.dropped))}",
            highlight=False,
        )
    if len(report.kept_values) > 20:
        console.print(f"  ... and {len(report.kept_values) - 20} more differences", highlight=False)
    for row in sorted(report.rejected, key=lambda r: r.line)[:20]:
        console.print(f"  [yellow]line {row.line}[/yellow]: {plain(row.reason)}", highlight=False)
    if len(report.rejected) > 20:
        console.print(f"  ... and {len(report.rejected) - 20} more", highlight=False)
    if report.rejects_file:
        console.print(f"rejected rows written to {plain(report.rejects_file)}", highlight=False)
    if report.review_file:
        console.print(
            f"possible duplicates written to {plain(report.review_file)}: fill in the decision "
            f"column, then run: syncline import review {plain(report.review_file)}",
            highlight=False,
        )
    if report.kept_decisions:
        console.print(
            f"{report.kept_decisions} decision(s) entered in the review file before were kept; "
            f"they are not applied yet: syncline import review {plain(report.review_file or '')}",
            highlight=False,
        )
    for removed in report.removed_files:
        console.print(
            f"removed {plain(removed)} of an earlier run: nothing in it is open any more",
            highlight=False,
        )


@import_app.command("contacts")
def contacts(  # noqa: PLR0917 - Typer options
    file: Annotated[Path, typer.Argument(help="Outlook CSV, CSV, vCard (.vcf) or XLSX file.")],
    into: Annotated[str, typer.Option("--into", help="Target system (e.g. crm).")],
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv, xlsx or vcard (default: by name).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Text encoding (default: detected).")
    ] = None,
    review_file: Annotated[
        Path | None, typer.Option("--review-file", help="Where to write possible duplicates.")
    ] = None,
    rejects_file: Annotated[
        Path | None, typer.Option("--rejects", help="Where to write rejected rows.")
    ] = None,
    auto_link: Annotated[
        float | None, typer.Option("--auto-link", min=0, max=1, help="Merge at this score.")
    ] = None,
    review: Annotated[
        float | None, typer.Option("--review", min=0, max=1, help="Review from this score.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and count only.")] = False,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="XLSX: the sheet to read (default: first).")
    ] = None,
    no_company_link: NoCompanyLink = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import contacts; duplicates go to a review file, bad rows to a rejects file.

    Importing the same file again creates nothing twice. Each contact is tied to the party
    (CRM account) whose name is its company's, when exactly one is.
    """
    if file_format not in (None, "csv", "xlsx", "vcard"):
        raise typer.BadParameter("--format must be csv, xlsx or vcard")
    with open_runtime(config) as runtime:
        base = thresholds_for(runtime.config, into)
        thresholds = MatchThresholds(
            auto_link=auto_link if auto_link is not None else base.auto_link,
            review=review if review is not None else base.review,
        )
        connector = runtime.connector(into)
        try:
            with RichProgress(err_console, enabled=not (quiet or as_json)) as progress:
                importer = ContactImport(
                    runtime.store,
                    connector,
                    thresholds=thresholds,
                    progress=progress,
                    company_link=not no_company_link,
                )
                report = importer.run(
                    file,
                    kind=file_format,
                    encoding=encoding,
                    review_path=review_file,
                    rejects_path=rejects_file,
                    dry_run=dry_run,
                    sheet=sheet,
                )
        except ImportFileError as exc:
            raise _fail(exc) from None
        data = {
            **report.__dict__,
            "rejected": [r.__dict__ for r in report.rejected],
            "kept_values": [k.__dict__ for k in report.kept_values],
        }
        emit(data, as_json, lambda: print_import_summary(report))
        if report.rejected:
            raise typer.Exit(1)


@import_app.command("review")
def review_command(
    file: Annotated[
        Path,
        typer.Argument(help="A review file written by 'import contacts' or 'load --review-file'."),
    ],
    no_company_link: NoCompanyLink = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply the decisions of a review file (merge ID / create / skip per group)."""
    with open_runtime(config) as runtime:
        try:
            applier = ReviewApplier(
                runtime.store, runtime.connector, company_link=not no_company_link
            )
            outcome = applier.apply(file)
        except ImportFileError as exc:
            raise _fail(exc) from None

        def render() -> None:
            console.print(
                f"created {outcome.created}, merged {outcome.merged}, skipped "
                f"{outcome.skipped}, decided before {outcome.already_decided}; "
                f"groups still open: {outcome.undecided}",
                highlight=False,
            )
            if outcome.recorded:
                console.print(
                    f"{outcome.recorded} initial-load decision(s) recorded: run "
                    "'syncline load --map NAME' again to carry them out",
                    highlight=False,
                )
            print_company_ties(outcome.companies)
            for line, message in outcome.problems:
                console.print(f"  [yellow]line {line}[/yellow]: {plain(message)}", highlight=False)

        emit(outcome, as_json, render)
        if outcome.problems:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


__all__ = [
    "contacts",
    "print_company_ties",
    "print_import_summary",
    "register",
    "review_command",
    "thresholds_for",
]
