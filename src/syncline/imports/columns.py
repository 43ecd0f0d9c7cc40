"""Column headers of contact exports to the importer's fields.

Outlook writes its CSV export with headers in the language of its installation; the English
and German names are listed here, with the common names of other tools and of hand-made lists.
Several headers may feed one field (business before home address, first e-mail first): the
first non-empty value in the order listed wins; further e-mails and phones are kept too.
"""

from __future__ import annotations

FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "company",
    "role",
    "email",
    "phone",
    "mobile",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "language",
)
"""What the importer reads from a row. ``email`` and ``phone`` collect several columns."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first name", "firstname", "given name", "givenname", "forename", "vorname", "fornavn",
        "förnamn",
    ),
    "middle_name": ("middle name", "weitere vornamen", "mellemnavn", "mellomnavn"),
    "last_name": (
        "last name", "lastname", "surname", "family name", "nachname", "familienname",
        "etternavn", "efternavn", "efternamn",
    ),
    "full_name": ("name", "full name", "display name", "e-mail display name", "navn", "namn"),
    "company": (
        "company", "organisation", "organization", "account", "account name", "firma",
        "unternehmen", "firma/organisation", "selskap", "virksomhed", "företag",
    ),
    "role": ("job title", "title/position", "position", "role", "funktion", "stilling"),
    "email": (
        "e-mail address", "email address", "e-mail", "email", "mail", "e-mail-adresse",
        "e-mail 2 address", "e-mail 3 address", "e-mail 2: adresse", "e-mail 3: adresse",
        "email 2", "email 3", "e-post", "epost",
    ),
    "phone": (
        "business phone", "phone", "telephone", "work phone", "telefon geschäftlich",
        "telefon", "business phone 2", "telefon geschäftlich 2", "company main phone",
        "home phone", "telefon privat", "other phone", "weiteres telefon", "telefonnummer",
    ),
    "mobile": ("mobile phone", "mobile", "cell", "cell phone", "mobiltelefon", "handy", "mobil"),
    "street": (
        "business street", "street", "address", "straße geschäftlich", "strasse geschäftlich",
        "straße", "strasse", "adresse", "home street", "straße privat", "gate", "gade",
    ),
    "postal_code": (
        "business postal code", "postal code", "postcode", "zip", "zip code",
        "postleitzahl geschäftlich", "postleitzahl", "plz", "home postal code",
        "postleitzahl privat", "postnummer", "postnr",
    ),
    "city": (
        "business city", "city", "town", "ort geschäftlich", "ort", "stadt", "home city",
        "ort privat", "by", "poststed", "sted",
    ),
    "region": ("business state", "state", "region", "region geschäftlich", "bundesland"),
    "country": (
        "business country/region", "country", "country/region", "land/region geschäftlich",
        "land", "home country/region", "land/region privat",
    ),
    "language": ("language", "sprache", "språk", "sprog"),
}  # fmt: skip

MULTI = frozenset({"email", "phone"})
"""Fields that keep every non-empty value of their columns, not only the first."""


def header_key(header: str) -> str:
    """A header in comparable form: case-folded, single spaces, without a byte-order mark."""
    return " ".join(header.replace("\ufeff", "").split()).casefold()


ALIAS_INDEX: dict[str, tuple[str, int]] = {
    header_key(alias): (field, rank)
    for field, aliases in _ALIASES.items()
    for rank, alias in enumerate(aliases)
}
"""Header (comparable form) -> (field, rank); a lower rank wins when both are filled."""

IDENTIFYING = frozenset({"first_name", "last_name", "full_name", "email", "company"})
"""A header row must name at least one of these, or the first line is not a header."""


def map_headers(headers: list[str]) -> tuple[dict[int, tuple[str, int]], list[str]]:
    """Column index -> (field, rank) for known headers, and the names of ignored columns."""
    known: dict[int, tuple[str, int]] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        found = ALIAS_INDEX.get(header_key(header))
        if found is None:
            if header.strip():
                ignored.append(header.strip())
        else:
            known[index] = found
    return known, ignored


def row_fields(
    cells: list[str], columns: dict[int, tuple[str, int]]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """One row's fields: the best single value per field, and all values of ``MULTI`` fields."""
    best: dict[str, tuple[int, str]] = {}
    many: dict[str, list[tuple[int, str]]] = {}
    for index, (field, rank) in columns.items():
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            continue
        if field in MULTI:
            many.setdefault(field, []).append((rank, value))
        if field not in best or rank < best[field][0]:
            best[field] = (rank, value)
    single = {field: value for field, (_, value) in best.items()}
    multi = {field: [v for _, v in sorted(values)] for field, values in many.items()}
    return single, multi


__all__ = [
    "ALIAS_INDEX",
    "FIELDS",
    "IDENTIFYING",
    "MULTI",
    "header_key",
    "map_headers",
    "row_fields",
]
