"""Tryton's JSON-RPC value encoding, both ways.

Tryton sends datetimes, dates, times, timedeltas, Decimals and bytes as objects tagged with
``__class__``. Its datetimes are naive UTC; syncline's are timezone-aware UTC, so this module
converts at the border.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.encodebytes(bytes(value)).decode("ascii")}
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__} for Tryton")


def _decode_object(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind is None:
        return obj
    if kind == "datetime":
        return datetime(
            obj["year"],
            obj["month"],
            obj["day"],
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
            tzinfo=UTC,
        )
    if kind == "date":
        return date(obj["year"], obj["month"], obj["day"])
    if kind == "time":
        return time(
            obj.get("hour", 0),
            obj.get("minute", 0),
            obj.get("second", 0),
            obj.get("microsecond", 0),
        )
    if kind == "timedelta":
        return timedelta(seconds=obj["seconds"])
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "bytes":
        return base64.decodebytes(obj["base64"].encode("ascii"))
    return obj


def dumps(payload: Any) -> bytes:
    """Encode ``payload`` as Tryton JSON (aware datetimes are sent as naive UTC)."""
    return json.dumps(payload, default=_encode_value, separators=(",", ":")).encode("utf-8")


def loads(body: bytes) -> Any:
    """Decode a Tryton JSON body; datetimes come back timezone-aware in UTC.

    ``body`` may be gzip-compressed even when the server did not say so, or plain even when it
    said gzip: the content decides, not the header.
    """
    return json.loads(decompress(body), object_hook=_decode_object)


def decompress(body: bytes) -> bytes:
    """``body`` un-gzipped when it starts with the gzip magic number, else unchanged."""
    if body[:2] == GZIP_MAGIC:
        return gzip.decompress(body)
    return body


__all__ = ["decompress", "dumps", "loads"]
