"""Match records: one normal form whether a record is normalised alone or with a collection."""

from __future__ import annotations

import numpy as np

from syncline.matching import MatchRecord, PreparedRecords, normalize_record, prepare_records

RECORDS = [
    MatchRecord(
        id="1",
        organisation="Müller Bau GmbH",
        street="Hauptstraße 12a",
        postal_code="D-10115",
        city="Berlin",
        country="de",
        emails=("Info@Mueller-Bau.DE", "info@mueller-bau.de"),
        phones=("030 1234567", "+49 (0)30 1234567"),
        vat_id="DE 136 695 976",
        numbers=(("erp", " D10023 "),),
    ),
    MatchRecord(
        id="2",
        given_name="Dr. Jürgen",
        family_name="MÜLLER",
        street="Hauptstr. 12",
        house_number="12 A",
        postal_code="10115",
        city="berlin",
        birth_date="1981-03-14",
    ),
    MatchRecord(id="3", given_name="J.", family_name="Hansen", phones=("22 33 44 55",)),
]


def test_a_record_alone_and_in_a_collection_is_normalised_alike() -> None:
    prepared = prepare_records(RECORDS, default_country="NO")
    for i, record in enumerate(RECORDS):
        alone = normalize_record(record, default_country="NO")
        for name, column in prepared.columns.items():
            if name in ("email", "phone", "given_initial"):
                continue
            assert column[i] == getattr(alone, name), name
        assert prepared.emails[i] == alone.emails
        assert prepared.phones[i] == alone.phones
        assert prepared.numbers[i] == alone.numbers
        assert bool(prepared.given_is_initial[i]) == alone.given_is_initial


def test_normalised_fields() -> None:
    company, person, initial = (normalize_record(r, default_country="NO") for r in RECORDS)
    assert (company.organisation, company.legal_form) == ("muller bau", "GmbH")
    assert company.emails == ("info@mueller-bau.de",)
    assert company.phones == ("+49301234567",)
    assert company.vat_id == "DE136695976"
    assert company.numbers == ("erp:D10023",)
    assert company.country == "DE" and company.postal_code == "10115"
    assert (person.given_name, person.family_name) == ("jurgen", "muller")
    assert (person.street, person.house_number) == ("hauptstr", "12a")  # the separate number wins
    assert person.birth_date == "19810314" and person.country == "NO"
    assert initial.given_is_initial and initial.phones == ("+4722334455",)


def test_prepared_from_normalised_records_equals_prepared_directly() -> None:
    direct = prepare_records(RECORDS)
    rebuilt = PreparedRecords.from_normalized([normalize_record(r) for r in RECORDS])
    assert direct.ids == rebuilt.ids
    for name, column in direct.columns.items():
        assert column.tolist() == rebuilt.columns[name].tolist(), name
    assert np.array_equal(direct.given_is_initial, rebuilt.given_is_initial)
