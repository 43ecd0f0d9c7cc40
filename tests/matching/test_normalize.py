"""Normalisation: the cases real German, Austrian, Swiss, Nordic and English data brings."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncline.matching import (
    fold,
    loose,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_vat,
    split_legal_form,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Müller", "mueller"),
        ("MÜLLER", "mueller"),
        ("Straße", "strasse"),
        ("GROẞ", "gross"),
        ("Ærøskøbing", "aeroeskoebing"),
        ("Åsa Sjöberg", "aasa sjoeberg"),
        ("Linnéa  Côté", "linnea cote"),
        ("Mu\u0308ller", "mueller"),  # decomposed umlaut: NFKC first
        ("Dr. Hans-Peter", "dr hans peter"),
    ],
)
def test_fold_transliterates_case_folds_and_strips_accents(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_loose_makes_the_spellings_of_special_letters_equal() -> None:
    assert loose("Müller") == loose("Mueller") == loose("Muller")
    assert loose("Åsen") == loose("Aasen") == loose("Asen")
    assert loose("Strauß") == loose("Strauss")
    assert loose("Müller") != loose("Miller")


@pytest.mark.parametrize(
    ("raw", "name", "form"),
    [
        ("Müller GmbH", "mueller", "GmbH"),
        ("Mueller G.m.b.H.", "mueller", "GmbH"),
        ("Müller GmbH & Co. KG", "mueller", "GmbH & Co. KG"),
        ("Schmidt AG", "schmidt", "AG"),
        ("Schmidt KG", "schmidt", "KG"),
        ("Hans Meier e.K.", "hans meier", "e.K."),
        ("Nordic Bygg AS", "nordic bygg", "AS"),
        ("Equinor ASA", "equinor", "ASA"),
        ("Byg & Co ApS", "byg co", "ApS"),
        ("Mærsk A/S", "maersk", "A/S"),
        ("Volvo AB (publ)", "volvo", "AB"),
        ("AB Volvo", "volvo", "AB"),
        ("Nokia Oy", "nokia", "Oy"),
        ("Acme Ltd.", "acme", "Ltd"),
        ("Acme Limited", "acme", "Ltd"),
        ("Acme Inc", "acme", "Inc"),
        ("Acme LLC", "acme", "LLC"),
        ("Allianz SE", "allianz", "SE"),
        ("Kunde ohne Rechtsform", "kunde ohne rechtsform", None),
    ],
)
def test_legal_forms_are_removed_and_reported(raw: str, name: str, form: str | None) -> None:
    result = split_legal_form(raw)
    assert (result.name, result.legal_form) == (name, form)


def test_a_name_that_is_only_a_legal_form_is_kept() -> None:
    assert split_legal_form("AG").name == "ag"


@pytest.mark.parametrize(
    "variants",
    [
        ("Hauptstraße 12a", "Hauptstr. 12 a", "HAUPTSTRASSE 12A", "Hauptstrasse 12a"),
        ("Karl-Marx-Straße 3", "Karl-Marx-Str. 3", "Karl Marx Strasse 3"),
        ("Berggasse 19", "Bergg. 19"),
        ("Storgata 5", "Storgt. 5", "Storgate 5"),
        ("Kirkeveien 7", "Kirkevn. 7"),
        ("Vestergade 12, 2. th.", "Vestergade 12"),
        ("Frederiks Allé 3", "Frederiks Alle 3"),
        ("Kungsvägen 7", "Kungsv. 7"),
        ("12 High Road", "12 High Rd", "12 HIGH RD."),
        ("5 Park Street", "5 Park St"),
    ],
)
def test_street_spellings_normalise_to_one_form(variants: tuple[str, ...]) -> None:
    assert len({normalize_street(v) for v in variants}) == 1


def test_house_number_is_split_off_in_both_word_orders() -> None:
    assert normalize_street("Hauptstraße 12a").number == "12a"
    assert normalize_street("Hauptstraße 12a").name == "hauptstr"
    assert normalize_street("12 High Road").number == "12"
    assert normalize_street("12 High Road").name == "high rd"
    assert normalize_street("Am Markt").number == ""


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("+49 (0)30 1234567", "DE", "+49301234567"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("030/123 45 67", "DE", "+49301234567"),
        ("01 234 5678", "AT", "+4312345678"),
        ("044 668 18 00", "CH", "+41446681800"),
        ("22 33 44 55", "NO", "+4722334455"),
        ("33 12 34 56", "DK", "+4533123456"),
        ("08-123 456 78", "SE", "+46812345678"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "UK", "+442079460958"),
        ("+45 33 12 34 56", "DE", "+4533123456"),  # an international prefix wins over country
    ],
)
def test_phone_numbers_become_e164_with_the_country_as_region(
    raw: str, country: str, e164: str
) -> None:
    assert normalize_phone(raw, country) == e164


@pytest.mark.parametrize("raw", ["", "n/a", "keine", "+49 30 1234567890123456"])
def test_unusable_phone_numbers_give_none(raw: str) -> None:
    assert normalize_phone(raw, "DE") is None


def test_national_number_without_a_country_is_rejected() -> None:
    assert normalize_phone("030 1234567") is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Hans.Mueller@Example.COM", "hans.mueller@example.com"),
        ("  INFO@FIRMA.DE ", "info@firma.de"),
        ("jörg@müller.de", "jörg@müller.de"),
        ("not an address", None),
        ("a..b@example.com", None),
        ("user@localhost", None),
        ("", None),
    ],
)
def test_email_is_lower_cased_and_validated(raw: str, normal: str | None) -> None:
    assert normalize_email(raw) == normal


@pytest.mark.parametrize(
    ("raw", "country", "normal"),
    [
        ("DE 136 695 976", None, "DE136695976"),
        ("136695976", "DE", "DE136695976"),
        ("ATU13585627", None, "ATU13585627"),
        ("DK 13 58 56 28", None, "DK13585628"),
        ("SE 5567 0374 8501", None, "SE556703748501"),
        ("CHE-116.281.710 MWST", None, "CHE116281710"),
        ("116.281.710", "CH", "CHE116281710"),
        ("NO 995 525 828 MVA", None, "NO995525828"),
        ("GB 980 7806 84", None, "GB980780684"),
        ("DE 136 695 977", None, None),  # wrong check digit
        ("garbage", None, None),
    ],
)
def test_vat_ids_are_checked_and_compacted(
    raw: str, country: str | None, normal: str | None
) -> None:
    assert normalize_vat(raw, country) == normal


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("D-10115", "10115"),
        ("10115", "10115"),
        ("111 20", "11120"),
        ("SW1A 1AA", "sw1a1aa"),
        ("S1 2HE", "s12he"),
        ("DK-8000", "8000"),
    ],
)
def test_postcodes_lose_spaces_and_country_prefixes(raw: str, normal: str) -> None:
    assert normalize_postcode(raw) == normal


@given(st.text(max_size=40))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(max_size=40))
def test_loose_is_idempotent(text: str) -> None:
    assert loose(loose(text)) == loose(text)


@given(
    st.text(alphabet="abcdeäöüßæøå .-/StraßegatevejRoad", max_size=30),
    st.integers(min_value=1, max_value=999),
)
def test_street_normalisation_is_idempotent(street: str, number: int) -> None:
    once = normalize_street(f"{street} {number}")
    assert once.number == str(number) or not fold(street)
    assert normalize_street(once.name).name == once.name


@given(
    st.sampled_from(
        [
            "DE 136 695 976",
            "CHE-116.281.710 MWST",
            "NO 995 525 828 MVA",
            "GB 980 7806 84",
            "ATU13585627",
        ]
    )
)
def test_vat_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_vat(raw)
    assert once is not None
    assert normalize_vat(once) == once


def _full_parser(raw: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(raw.strip().replace("(0)", " "), country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["DE", "AT", "CH", "NO", "DK", "SE", "GB", "FI", "US"]),
    st.sampled_from(["", "+", "00", "0", "+49 ", "+47", "0047 ", "+44 (0)", "000", "+1 "]),
    st.text(alphabet="0123456789 -/.", min_size=1, max_size=16),
)
def test_phone_plain_path_gives_what_libphonenumber_gives(
    country: str, prefix: str, digits: str
) -> None:
    raw = prefix + digits
    # normalize_phone is cached; call the uncached function behind it.
    assert normalize_phone.__wrapped__(raw, country) == _full_parser(raw, country)
