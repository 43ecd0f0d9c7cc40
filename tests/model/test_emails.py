"""The plain-address fast path gives exactly what email-validator gives, or stands aside."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from syncline.model import Contact, EntityValidationError
from syncline.model.emails import normal_email, plain_email


def _validator(value: str) -> str | None:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{checked.local_part}@{checked.domain.lower()}"


ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-."
ADDRESSES = st.one_of(
    st.emails(),
    st.builds(
        "{}@{}.{}".format,
        st.text(ATEXT, min_size=1, max_size=70),
        st.text("abcDEF09-.", min_size=1, max_size=70),
        st.sampled_from(["de", "NO", "dk", "test", "local", "c", "x1", "com", "onion"]),
    ),
    st.from_regex(r"[\w.+-]{1,20}@[\w.-]{1,20}\.[a-zA-Z]{1,5}", fullmatch=True),
)


@given(ADDRESSES)
def test_fast_path_agrees_with_email_validator(value: str) -> None:
    fast = plain_email(value)
    if fast is not None:
        assert fast == _validator(value), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kari.Nordmann@Firma.NO", "Kari.Nordmann@firma.no"),
        ("ola+crm@example.com", "ola+crm@example.com"),
        ("a@b.c", None),  # one-letter top-level domain: email-validator decides
        ("Info@Example.COM", None),  # role names are lower-cased by email-validator
        ("x@host.test", None),  # reserved name
        ("a..b@x.de", None),
        ("a@xn--abc.de", None),
        ("jürgen@müller.de", None),
    ],
)
def test_fast_path_takes_plain_addresses_only(value: str, expected: str | None) -> None:
    assert plain_email(value) == expected


def test_normal_email_falls_back_to_email_validator() -> None:
    assert normal_email("Info@Example.COM") == "info@example.com"
    assert normal_email("jürgen@Müller.de") == "jürgen@müller.de"
    assert isinstance(normal_email("a..b@x.de"), EmailNotValidError)
    assert isinstance(normal_email("x@host.test"), EmailNotValidError)
    with pytest.raises(EntityValidationError, match=r"contact\.email"):
        Contact.parse({"last_name": "Berg", "email": "not an address"})
