"""Canonical entity base: strict pydantic models with a stable content hash.

``model/`` imports nothing else of syncline's (ARCHITECTURE.md §2), so its validation error is
its own, :class:`EntityValidationError`; ``syncline.errors`` re-raises it as a ``ModelError``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar, Self

from email_validator import EmailNotValidError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)

from syncline.model.emails import normal_email


class EntityValidationError(ValueError):
    """A canonical entity was given bad data. The message names entity, field and value."""

    def __init__(self, entity: str, problems: list[tuple[str, str, Any]]) -> None:
        self.entity = entity
        self.problems = problems
        lines = [f"{entity}.{field}: {reason} (got {value!r})" for field, reason, value in problems]
        super().__init__("; ".join(lines))


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError("currency must be a three-letter ISO 4217 code")
    return code


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ValueError("country must be a two-letter ISO 3166 code")
    return code


def _email(value: str) -> str:
    result = normal_email(value.strip())
    if isinstance(result, EmailNotValidError):
        raise ValueError(f"not a valid e-mail address: {result}")
    return result


def _decimal_text(value: Decimal) -> str:
    # 10, 10.0 and 10.00 are the same amount; normalise so the hash agrees.
    normal = value.normalize()
    return format(normal if normal != 0 else Decimal(0), "f")


def _utc_text(value: datetime) -> str:
    return _utc(value).isoformat()


UtcDateTime = Annotated[
    datetime, AfterValidator(_utc), PlainSerializer(_utc_text, return_type=str, when_used="json")
]
"""A timezone-aware datetime, converted to UTC."""
ExactDecimal = Annotated[Decimal, PlainSerializer(_decimal_text, return_type=str, when_used="json")]
"""An exact decimal; canonical (JSON) form without trailing zeros (``10.00`` -> ``"10"``)."""
CurrencyCode = Annotated[str, AfterValidator(_currency)]
CountryCode = Annotated[str, AfterValidator(_country)]
Email = Annotated[str, AfterValidator(_email)]


class Money(BaseModel):
    """An amount in one ISO 4217 currency. Amounts are exact decimals, never floats."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: ExactDecimal
    currency: CurrencyCode = "EUR"


def canonical_json(value: Any) -> Any:
    """Turn dumped model data into JSON-able values whose text is stable across processes."""
    if isinstance(value, dict):
        return {str(k): canonical_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_json(v) for v in value]
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class CanonicalEntity(BaseModel):
    """Base of every canonical business entity.

    ``entity_name`` is the key used in config and the state store. ``references`` maps a field
    holding another record's id (in the same system) to the referenced entity's name; the engine
    translates such ids through links and orders parents before children.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_enum_values=False)

    entity_name: ClassVar[str] = ""
    references: ClassVar[dict[str, str]] = {}

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        """Validate ``data``; on failure raise :class:`EntityValidationError` naming each field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = [
                (".".join(str(p) for p in err["loc"]) or "<root>", err["msg"], err.get("input"))
                for err in exc.errors()
            ]
            raise EntityValidationError(cls.entity_name or cls.__name__, problems) from None

    @classmethod
    def parse_many(cls, items: Sequence[dict[str, Any]]) -> list[Self | EntityValidationError]:
        """:meth:`parse` of each item: the entity, or the item's EntityValidationError in its
        place. While every item is valid it is one validation call, without the cost of a call
        per item (an initial load parses millions of records)."""
        if cls.parse.__func__ is CanonicalEntity.parse.__func__:  # type: ignore[attr-defined]
            try:
                return list(_list_adapter(cls).validate_python(items))
            except ValidationError:
                pass  # one by one: each error as parse names it
        results: list[Self | EntityValidationError] = []
        for item in items:
            try:
                results.append(cls.parse(item))
            except EntityValidationError as exc:
                results.append(exc)
        return results

    def canonical_values(self) -> dict[str, Any]:
        """All fields as stable JSON-able values (Decimals normalised, datetimes in UTC).

        Serialised by pydantic-core: every Decimal and datetime field is an
        :data:`ExactDecimal` or :data:`UtcDateTime`, whose JSON form is the canonical text
        (:func:`canonical_json` gives the same for plain Python values).
        """
        # model_dump(mode="json") is this call with its defaults, after a dozen keyword
        # arguments, a sixth of its cost (it runs several times per synced record)
        values: dict[str, Any] = self.__pydantic_serializer__.to_python(self, mode="json")
        return values

    def content_hash(self) -> str:
        """SHA-256 over the canonical field values; independent of field order and process."""
        text = json.dumps(self.canonical_values(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _list_adapter(model: type[CanonicalEntity]) -> TypeAdapter[list[Any]]:
    """Validation of a list of ``model`` records in one call."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def sorted_unique(values: list[str]) -> list[str]:
    """Order-free lists (roles, e-mails) are kept sorted so that equal sets hash equally."""
    return sorted(dict.fromkeys(values))


Quantity = Annotated[ExactDecimal, Field(ge=0)]
