"""Normalisation of names, addresses, phone numbers, e-mail addresses and VAT ids.

Covers German, Austrian, Swiss, Norwegian, Danish, Swedish and English data. Every function is
pure, idempotent (normalising a normalised value changes nothing) and returns ``""`` or ``None``
for a value that is missing or unusable, never raises on bad input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from types import ModuleType

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.ch import vat as ch_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.gb import vat as gb_vat
from stdnum.no import mva as no_vat

_TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "æ": "ae",
        "ø": "oe",
        "å": "aa",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
        "đ": "d",
        "ł": "l",
        "ı": "i",
    }
)
_NOT_WORD = re.compile(r"[\W_]+")
_CACHE_SIZE = 1 << 17


@lru_cache(maxsize=_CACHE_SIZE)
def fold(text: str) -> str:
    """Lower-case words separated by single spaces (ASCII for Latin-script text).

    NFKC first, then case folding, then the Germanic transliterations (ä→ae, ö→oe, ü→ue,
    ß→ss, æ→ae, ø→oe, å→aa), then every other accent stripped; punctuation becomes a space.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLITERATION)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


_LOOSE = re.compile(r"ae|oe|ue|aa|ss")
_LOOSE_MAP = {"ae": "a", "oe": "o", "ue": "u", "aa": "a", "ss": "s"}


@lru_cache(maxsize=_CACHE_SIZE)
def loose(text: str) -> str:
    """:func:`fold`, then the transliteration digraphs collapsed (ae→a, oe→o, ue→u, aa→a, ss→s).

    Used for comparing, so that "Müller", "Mueller" and "Muller" or "Åsen", "Aasen" and "Asen"
    read the same whatever a source system did with the special letters.
    """
    folded = fold(text)
    while True:
        collapsed = _LOOSE.sub(lambda m: _LOOSE_MAP[m.group(0)], folded)
        if collapsed == folded:
            return collapsed
        folded = collapsed


# --- legal forms -------------------------------------------------------------------------------

# Folded token sequences -> the form as it is usually written. Longest sequences are tried first.
_LEGAL_FORMS: dict[tuple[str, ...], str] = {
    ("gmbh", "co", "kg"): "GmbH & Co. KG",
    ("gmbh", "und", "co", "kg"): "GmbH & Co. KG",
    ("ag", "co", "kg"): "AG & Co. KG",
    ("gmbh", "co", "kgaa"): "GmbH & Co. KGaA",
    ("ug", "haftungsbeschraenkt"): "UG (haftungsbeschränkt)",
    ("g", "m", "b", "h"): "GmbH",
    ("gmbh",): "GmbH",
    ("mbh",): "mbH",
    ("ges", "m", "b", "h"): "GesmbH",
    ("gesmbh",): "GesmbH",
    ("ag",): "AG",
    ("kg",): "KG",
    ("kgaa",): "KGaA",
    ("ohg",): "OHG",
    ("ug",): "UG",
    ("gbr",): "GbR",
    ("e", "k"): "e.K.",
    ("e", "kfm"): "e.Kfm.",
    ("e", "v"): "e.V.",
    ("eg",): "eG",
    ("se",): "SE",
    ("sarl",): "Sàrl",
    ("sa",): "SA",
    ("asa",): "ASA",
    ("as",): "AS",
    ("a", "s"): "A/S",
    ("aps",): "ApS",
    ("ivs",): "IVS",
    ("i", "s"): "I/S",
    ("k", "s"): "K/S",
    ("p", "s"): "P/S",
    ("enk",): "ENK",
    ("ans",): "ANS",
    ("da",): "DA",
    ("ab",): "AB",
    ("publ",): "(publ)",
    ("hb",): "HB",
    ("kb",): "KB",
    ("oy",): "Oy",
    ("oyj",): "Oyj",
    ("ltd",): "Ltd",
    ("limited",): "Ltd",
    ("plc",): "plc",
    ("llp",): "LLP",
    ("llc",): "LLC",
    ("inc",): "Inc",
    ("incorporated",): "Inc",
    ("corp",): "Corp",
    ("corporation",): "Corp",
}
_LEGAL_FORM_LENGTHS = sorted({len(k) for k in _LEGAL_FORMS}, reverse=True)
# Swedish and Finnish companies often put the form first ("AB Volvo").
_LEADING_FORMS = {("ab",): "AB", ("oy",): "Oy", ("aktiebolaget",): "AB"}


@dataclass(frozen=True, slots=True)
class LegalName:
    """An organisation name with its legal form taken off. ``name`` is folded."""

    name: str
    legal_form: str | None


@lru_cache(maxsize=_CACHE_SIZE)
def split_legal_form(name: str) -> LegalName:
    """Fold ``name`` and remove its legal form (GmbH, AG, AS, A/S, ApS, AB, Oy, Ltd, Inc, ...).

    The form is reported separately in its usual spelling; forms stacked at the end
    ("Foo AB (publ)") are all removed and the outermost legal one is reported. A name that
    would be left empty keeps its tokens (a company called "AG" stays "ag").
    """
    tokens = fold(name).split()
    found: list[str] = []
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for size in _LEGAL_FORM_LENGTHS:
            if len(tokens) > size and tuple(tokens[-size:]) in _LEGAL_FORMS:
                found.append(_LEGAL_FORMS[tuple(tokens[-size:])])
                tokens = tokens[:-size]
                stripped = True
                break
    if len(tokens) > 1 and (tokens[0],) in _LEADING_FORMS:
        found.append(_LEADING_FORMS[(tokens[0],)])
        tokens = tokens[1:]
    forms = [f for f in found if f != "(publ)"] or found
    return LegalName(" ".join(tokens), forms[0] if forms else None)


# --- person names ------------------------------------------------------------------------------

_TITLES = frozenset(
    "dr prof herr frau hr fr mr mrs ms miss sir dipl ing mag fru hrr dott".split()  # noqa: SIM905
)


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_person_name(text: str) -> str:
    """Fold a given or family name and drop titles and salutations (Dr., Herr, Mrs, ...)."""
    tokens = [t for t in fold(text).split() if t not in _TITLES]
    return " ".join(tokens)


def is_initial(name: str) -> bool:
    """Whether a normalised given name is only initials ("j", "h p")."""
    return bool(name) and all(len(t) == 1 for t in name.split())


_PHONETIC_GROUPS = str.maketrans("bpfvwdtgkqcjszxlmnr", "ppffftttkkkjssslmnr", "aeiouyh ")


@lru_cache(maxsize=_CACHE_SIZE)
def phonetic_key(text: str, length: int = 4) -> str:
    """A short sound-alike key for blocking: first letter, then consonant classes.

    Similar consonants share a class (b/p, f/v/w, d/t, g/k/q/c, s/z/x), vowels and h are
    dropped and repeats collapsed, so "Meier", "Meyer" and "Mayr" share the key "mr".
    """
    word = loose(text).replace(" ", "")
    if not word:
        return ""
    tail = word[1:].translate(_PHONETIC_GROUPS)
    collapsed = [word[0]]
    for c in tail:
        if c != collapsed[-1]:
            collapsed.append(c)
    return "".join(collapsed)[:length]


# --- streets -----------------------------------------------------------------------------------

# Whole words (already folded) -> the abbreviation both spellings share.
_STREET_WORDS = {
    "strasse": "str",
    "gasse": "g",
    "platz": "pl",
    "allee": "alle",
    "weg": "weg",
    "gate": "gt",
    "gata": "gt",
    "veien": "vn",
    "vegen": "vn",
    "gade": "gd",
    "plads": "pl",
    "gatan": "g",
    "vaegen": "v",
    "road": "rd",
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "drive": "dr",
    "place": "pl",
    "crescent": "cres",
    "cr": "cres",
    "court": "ct",
    "circuit": "cct",
    "close": "cl",
    "terrace": "tce",
    "square": "sq",
    "parade": "pde",
    "highway": "hwy",
    "boulevard": "blvd",
    "grove": "gr",
    "gardens": "gdns",
    "mount": "mt",
}
# Suffixes of compound street names ("Hauptstraße", "Storgata", "Vestergade") -> abbreviation.
_STREET_SUFFIXES = (
    ("strasse", "str"),
    ("gasse", "g"),
    ("platz", "pl"),
    ("allee", "alle"),
    ("gaten", "gt"),
    ("gata", "gt"),
    ("gate", "gt"),
    ("veien", "vn"),
    ("vegen", "vn"),
    ("gade", "gd"),
    ("plads", "pl"),
    ("gatan", "g"),
    ("vaegen", "v"),
)
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$")


@dataclass(frozen=True, slots=True)
class StreetParts:
    """A street split into its normalised name and its house number ("12a", "" if none)."""

    name: str
    number: str


@lru_cache(maxsize=_CACHE_SIZE)
def _street_token(token: str) -> str:
    mapped = _STREET_WORDS.get(token)
    if mapped is not None:
        return mapped
    for suffix, short in _STREET_SUFFIXES:
        if len(token) > len(suffix) + 2 and token.endswith(suffix):
            return token[: -len(suffix)] + short
    return token


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_street(street: str) -> StreetParts:
    """Fold a street line, unify street types and split off the house number.

    "Hauptstraße 12a", "Hauptstr. 12 a" and "Hauptstrasse 12A" all give
    ``StreetParts("hauptstr", "12a")``; "Storgata 5" and "Storgt. 5" give ``("storgt", "5")``;
    "12 High Road" and "12 High Rd" give ``("high rd", "12")``. Floor and flat details after
    the number ("Vestergade 12, 2. th.") are dropped.
    """
    tokens = fold(street).split()
    if not tokens:
        return StreetParts("", "")
    if tokens[0][0].isdigit() and len(tokens) > 1:
        # English order: the number comes first.
        number = tokens[0]
        rest = tokens[1:]
        if len(rest) > 1 and len(rest[0]) == 1 and rest[0].isalpha():
            number += rest[0]
            rest = rest[1:]
        return StreetParts(" ".join(_street_token(t) for t in rest), number)
    for i, token in enumerate(tokens):
        if i > 0 and token[0].isdigit():
            number = token
            after = tokens[i + 1 : i + 2]
            if after and len(after[0]) == 1 and after[0].isalpha() and _HOUSE_NUMBER.match(token):
                number += after[0]
            name = " ".join(_street_token(t) for t in tokens[:i])
            return StreetParts(name, number)
    return StreetParts(" ".join(_street_token(t) for t in tokens), "")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_house_number(number: str) -> str:
    """A house number without spaces or punctuation, lower case ("12 A" → "12a")."""
    return fold(number).replace(" ", "")


_POSTCODE_PREFIX = re.compile(r"^(?:d|a|ch|dk|n|no|s|se|de|at|fl|gb|uk)\s*(?=\d)")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_postcode(postcode: str) -> str:
    """A postcode without spaces and without a country prefix ("D-10115" → "10115",
    "SW1A 1AA" → "sw1a1aa")."""
    folded = fold(postcode)
    stripped = _POSTCODE_PREFIX.sub("", folded).replace(" ", "")
    if stripped.isdigit():
        return stripped
    return folded.replace(" ", "")


# --- phone numbers -----------------------------------------------------------------------------

_REGION_ALIASES = {"UK": "GB", "EL": "GR"}


_NOT_DIGIT = re.compile(r"\D+")
_DIGIT = re.compile(r"\d")
_PLAIN_PHONE = re.compile(r"^\+?[\d\s./-]+$")
# Regions whose numbers the plain path reads: "00" international prefix, a national prefix that
# is just that prefix (or none). Anything else, and anything unusual, goes to libphonenumber.
_PLAIN_REGIONS = frozenset({"DE", "AT", "CH", "NO", "DK", "SE", "GB", "FI", "NL", "BE", "FR"})


def _plain_e164(text: str, region: str | None) -> str | None:
    """E.164 for the common plain formats, without libphonenumber's full parser (ten times
    faster); ``""`` for a number with a country code and an impossible length; None when the
    number needs the full parser. Gives what the full parser gives."""
    if not _PLAIN_PHONE.match(text):
        return None
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+") or digits.startswith("00"):
        international = digits if text.startswith("+") else digits[2:]
        if not text.startswith("+") and region not in _PLAIN_REGIONS:
            return None
        if international[:1] in ("", "0"):
            return None
        for size in (1, 2, 3):
            code = int(international[:size])
            if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                return _possible(code, international[size:], national=False)
        return None
    national = _national_rules(region)
    if national is None:
        return None
    code, prefix = national
    if prefix and not digits.startswith(prefix):
        return None
    return _possible(code, digits[len(prefix) :], national=True)


@dataclass(frozen=True, slots=True)
class _CountryRules:
    """What the plain path needs of libphonenumber's metadata for one country code."""

    lengths: frozenset[int]
    trunk: re.Pattern[str] | None
    """The national prefix libphonenumber strips after the country code, if any."""
    pattern: re.Pattern[str]
    """The country's national number pattern."""


@cache
def _national_rules(region: str | None) -> tuple[int, str] | None:
    """Country code and national prefix of a plain region; None when the plain path does not
    read its national numbers."""
    if region not in _PLAIN_REGIONS:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.national_prefix_for_parsing != metadata.national_prefix:
        return None
    return int(metadata.country_code or 0), metadata.national_prefix or ""


@cache
def _country_rules(code: int) -> _CountryRules | None:
    region = phonenumbers.region_code_for_country_code(code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    general = metadata.general_desc if metadata is not None else None
    if metadata is None or general is None or region not in _PLAIN_REGIONS:
        return None
    strip = metadata.national_prefix_for_parsing
    return _CountryRules(
        lengths=frozenset((*general.possible_length, *general.possible_length_local_only)),
        trunk=re.compile(strip) if strip else None,
        pattern=re.compile(general.national_number_pattern or ""),
    )


def _possible(code: int, number: str, *, national: bool) -> str | None:
    rules = _country_rules(code)
    if rules is None:
        return None
    if number[:1] in ("", "0") or (rules.trunk is not None and rules.trunk.match(number)):
        return None  # a trunk prefix after the country code: the full parser decides
    possible = len(number) in rules.lengths
    if national:
        # The full parser keeps the national prefix when the rest is not a valid-looking number.
        return f"+{code}{number}" if possible and rules.pattern.fullmatch(number) else None
    return f"+{code}{number}" if possible else ""


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_phone(raw: str, country: str | None = None) -> str | None:
    """The number in E.164 ("+4930123456") or None when it cannot be a phone number.

    ``country`` (ISO 3166 alpha-2) is the region for numbers written without an international
    prefix. The German "+49 (0)30 ..." style is understood. A number is accepted when its length
    is possible for its country (the libphonenumber "possible" check), since customer data holds
    numbers from ranges that libphonenumber's allocation tables may not know yet.
    """
    text = raw.strip().replace("(0)", " ")
    if not text or not _DIGIT.search(text):
        return None
    region = _REGION_ALIASES.get((country or "").upper(), (country or "").upper()) or None
    fast = _plain_e164(text, region)
    if fast is not None:
        return fast or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- e-mail ------------------------------------------------------------------------------------

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,63}}$")
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_email(raw: str) -> str | None:
    """The address in lower case ("Hans.Mueller@Example.COM" → "hans.mueller@example.com"),
    or None when it is not a valid address.

    Plain ASCII addresses are checked against the RFC 5322 dot-atom form directly; anything
    else (internationalised, quoted, odd) goes through ``email-validator``.
    """
    text = raw.strip().lower()
    if not text:
        return None
    if (
        len(text) <= 254
        and _PLAIN_EMAIL.match(text)
        and len(text.partition("@")[0]) <= 64
        and text.rsplit(".", 1)[-1] not in _SPECIAL_USE_TLDS
    ):
        return text
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{checked.local_part}@{checked.domain}".lower()


# --- VAT ids -----------------------------------------------------------------------------------

_NON_EU_VAT: dict[str, ModuleType] = {"CH": ch_vat, "NO": no_vat, "GB": gb_vat}
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _eu_vat(compact: str) -> str | None:
    try:
        return str(eu_vat.validate(compact))
    except StdnumValidationError:
        return None


def _non_eu_vat(country: str, number: str) -> str | None:
    module = _NON_EU_VAT[country]
    # The normalised forms drop the Swiss and Norwegian suffixes; put them back to re-check.
    if country == "CH":
        number = number if number.startswith("CHE") else "CHE" + number
        number = number if number.endswith(("MWST", "TVA", "IVA")) else number + "MWST"
    if country == "NO" and not number.endswith("MVA"):
        number += "MVA"
    try:
        value = str(module.validate(number))
    except StdnumValidationError:
        return None
    if country == "CH":
        return value.removesuffix("MWST").removesuffix("TVA").removesuffix("IVA")
    digits = value.removeprefix(country).removesuffix("MVA")
    return country + digits


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_vat(raw: str, country: str | None = None) -> str | None:
    """A checked VAT id in compact form with its country prefix ("DE 136 695 976" →
    "DE136695976"), or None when the check digits or format are wrong.

    EU ids go through ``stdnum.eu.vat``; Swiss (CHE...), Norwegian (NO...MVA) and British (GB...)
    ids through their own ``stdnum`` modules. ``country`` supplies the prefix when it is missing.
    """
    compact = _NOT_ALNUM.sub("", raw).upper()
    if len(compact) < 4:
        return None
    prefix = compact[:2] if compact[:2].isalpha() else ""
    home = _REGION_ALIASES.get((country or "").upper(), (country or "").upper())
    if prefix in _NON_EU_VAT:
        return _non_eu_vat(prefix, compact)
    if prefix:
        return _eu_vat(compact)
    if home in _NON_EU_VAT:
        return _non_eu_vat(home, compact)
    if home:
        return _eu_vat(("EL" if home == "GR" else home) + compact)
    return None
