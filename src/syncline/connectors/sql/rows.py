"""Rows of a table read: JSON text, change times, values picked by position."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import Row


def from_json(text: str) -> Any:
    """The value of JSON ``text``; other text as it is (the model names it invalid)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def utc(value: Any) -> datetime | None:
    """A change time (a datetime or ISO text) as an aware UTC datetime; naive means UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"modified column holds {type(value).__name__}, not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def picker(positions: Sequence[int]) -> Callable[[Row[Any]], tuple[Any, ...]]:
    """A function taking the values at ``positions`` of a row, as a tuple."""
    if len(positions) > 1:
        pick: Callable[[Row[Any]], tuple[Any, ...]] = operator.itemgetter(*positions)
        return pick
    return lambda row: tuple(row[i] for i in positions)


__all__ = ["from_json", "picker", "utc"]
