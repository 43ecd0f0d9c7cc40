"""Normalisation cases of Austrian, Swiss, Swedish, Danish and Finnish data (beside the German
and Norwegian ones in test_normalize.py), as contact imports and initial loads meet them."""

from __future__ import annotations

import pytest

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
    ("raw", "normal"),
    [
        ("CHE-116.281.710 MWST", "CHE116281710"),
        ("ATU13585627", "ATU13585627"),
        ("SE556703748501", "SE556703748501"),
        ("DK 13585628", "DK13585628"),
        ("FI20774740", "FI20774740"),
    ],
)
def test_vat_ids_of_the_region_are_compacted(raw: str, normal: str) -> None:
    assert normalize_vat(raw) == normal


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+41 44 668 18 00", None, "+41446681800"),
        ("044 668 18 00", "CH", "+41446681800"),
        ("0664 1234567", "AT", "+436641234567"),
        ("08-123 456 78", "SE", "+46812345678"),
        ("0049 (0)30 1234567", "DE", "+49301234567"),
        ("(030) 123 45-67", "DE", "+49301234567"),
        ("0047 22 33 44 55", "NO", "+4722334455"),
    ],
)
def test_phone_formats_of_the_region_become_e164(raw: str, country: str | None, e164: str) -> None:
    assert normalize_phone(raw, country) == e164


def test_an_old_and_a_new_spelling_of_one_number_are_equal() -> None:
    assert normalize_phone("+49 (0)30 1234567", None) == normalize_phone("030/1234567", "DE")


@pytest.mark.parametrize(
    ("raw", "name", "form"),
    [
        ("Müller GmbH & Co. KG", "mueller", "GmbH & Co. KG"),
        ("Nordic ASA", "nordic", "ASA"),
        ("Schmidt e.K.", "schmidt", "e.K."),
        ("Svenska AB", "svenska", "AB"),
    ],
)
def test_legal_forms_of_the_region(raw: str, name: str, form: str) -> None:
    legal = split_legal_form(raw)
    assert (legal.name, legal.legal_form) == (name, form)


def test_nordic_letters_fold_and_compare_loosely() -> None:
    assert fold("Jørgen Åström") == "joergen aastroem"
    assert loose("Jørgen Åström") == loose("Joergen Aastroem") == loose("Jorgen Astrom")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Kungsvägen 3", "Kungsv. 3"),
        ("Bahnhofstrasse 1", "Bahnhofstr. 1"),
        ("Storgatan 5", "Storgatan 5"),
    ],
)
def test_street_abbreviations_of_the_region(first: str, second: str) -> None:
    assert normalize_street(first) == normalize_street(second)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("D-10115", "10115"), ("A-1010", "1010"), ("SE-114 55", "11455"), ("CH-8001", "8001")],
)
def test_postcodes_lose_country_prefixes_and_spaces(raw: str, normal: str) -> None:
    assert normalize_postcode(raw) == normal


def test_email_case_is_folded_on_the_domain_and_kept_comparable() -> None:
    assert normalize_email("  Ole.Berg@Example.NO ") == "ole.berg@example.no"
    assert normalize_email("Info@Müller-GmbH.DE") == normalize_email("info@müller-gmbh.de")
