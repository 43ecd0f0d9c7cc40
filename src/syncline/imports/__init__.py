"""Contact import from Outlook CSV, generic CSV, vCard 3.0/4.0 and XLSX, with duplicate review.

importer = ContactImport(store, connector)            # the target system's connector
report = importer.run(Path("contacts.csv"))           # rejects and review files beside it
ReviewApplier(store, runtime.connector).apply(Path("contacts.review.csv"))

Imported contacts are tied to the party (CRM account) of their company when the target holds
parties; ``ContactImport(..., company_link=False)`` turns that off.
"""

from __future__ import annotations

from syncline.imports.companies import CompanyTies
from syncline.imports.decisions import ReviewApplier, ReviewOutcome, open_import_groups
from syncline.imports.errors import ImportFileError
from syncline.imports.rows import ImportRow, ParsedFile, RejectedRow, read_contacts
from syncline.imports.runner import ContactImport, ImportReport
from syncline.imports.writer import import_map

__all__ = [
    "CompanyTies",
    "ContactImport",
    "ImportFileError",
    "ImportReport",
    "ImportRow",
    "ParsedFile",
    "RejectedRow",
    "ReviewApplier",
    "ReviewOutcome",
    "import_map",
    "open_import_groups",
    "read_contacts",
]
