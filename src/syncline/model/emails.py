"""E-mail addresses: email-validator's rules and normal form, with a fast path for plain ones.

Validation is the costliest step of parsing a record. Most addresses in business data are
plain ASCII (``first.last@company.example``); for those a regular expression decides, and
gives exactly what email-validator would (a property test holds the two together). Everything
else (Unicode, quoted local parts, IP literals, reserved names) goes to email-validator.
"""

from __future__ import annotations

import functools
import re

import email_validator
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")
_MAX_ADDRESS = 254
_MAX_LOCAL = 64


def plain_email(value: str) -> str | None:
    """The normal form of a plain ASCII address (domain lower-cased), or None when the
    address is not plain and email-validator must decide."""
    if len(value) > _MAX_ADDRESS:
        return None
    match = _PLAIN.fullmatch(value)
    if match is None:
        return None
    local, domain = match.group(1), match.group(2).lower()
    if len(local) > _MAX_LOCAL or "--" in domain or local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        return None  # length rules, IDNA labels and role names: email-validator's business
    for name in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        if domain == name or domain.endswith("." + name):
            return None
    return f"{local}@{domain}"


@functools.lru_cache(maxsize=65_536)
def normal_email(value: str) -> str | EmailNotValidError:
    """The normal form of ``value``, or email-validator's refusal (remembered per text: a sync
    sees the same addresses over and over)."""
    plain = plain_email(value)
    if plain is not None:
        return plain
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return exc
    return f"{checked.local_part}@{checked.domain.lower()}"


__all__ = ["normal_email", "plain_email"]
