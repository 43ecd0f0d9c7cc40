"""Named, typed value transforms used by field rules. There is no eval of strings.

A transform is a function ``(value, **args) -> value``. Built-ins are registered here; a package
can add more through the ``syncline.transforms`` entry point group (name -> callable).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from importlib.metadata import entry_points
from typing import Any

from syncline.errors import ConfigError

Transform = Callable[..., Any]

_REGISTRY: dict[str, Transform] = {}


def register(name: str) -> Callable[[Transform], Transform]:
    """Decorator: register ``func`` under ``name`` (names are unique)."""

    def decorate(func: Transform) -> Transform:
        if name in _REGISTRY and _REGISTRY[name] is not func:
            raise ConfigError(f"transform {name!r} is registered twice")
        _REGISTRY[name] = func
        return func

    return decorate


def _load_entry_points() -> None:
    for ep in entry_points(group="syncline.transforms"):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.load()


def get_transform(name: str) -> Transform:
    """The transform called ``name``; ConfigError listing the known names if there is none."""
    if name not in _REGISTRY:
        _load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown transform {name!r}; known transforms: {known}") from None


def transform_names() -> list[str]:
    _load_entry_points()
    return sorted(_REGISTRY)


def apply(name: str, value: Any, args: dict[str, Any] | None = None) -> Any:
    """Run transform ``name`` on ``value``; None passes through unchanged."""
    if value is None:
        return None
    return get_transform(name)(value, **(args or {}))


@register("strip")
def strip(value: str) -> str:
    return value.strip()


@register("upper")
def upper(value: str) -> str:
    return value.upper()


@register("lower")
def lower(value: str) -> str:
    return value.lower()


@register("title")
def title(value: str) -> str:
    return value.title()


@register("nfkc")
def nfkc(value: str) -> str:
    """Unicode NFKC normal form (full-width digits, ligatures, composed umlauts)."""
    return unicodedata.normalize("NFKC", value)


@register("truncate")
def truncate(value: str, length: int) -> str:
    """At most ``length`` characters (for target fields with a size limit)."""
    return value[:length]


@register("value_map")
def value_map(value: Any, mapping: dict[str, Any], default: Any = None, strict: bool = True) -> Any:
    """Translate a code (``{"A": "gold"}``). Unknown values: ``default`` if given, else the value
    itself when ``strict`` is false, else a ValueError naming it."""
    key = str(value)
    if key in mapping:
        return mapping[key]
    if default is not None:
        return default
    if not strict:
        return value
    raise ValueError(f"value {value!r} is not in the value map ({', '.join(sorted(mapping))})")


@register("join")
def join(value: list[Any], separator: str = " ") -> str:
    """Concatenate list items (e.g. first and last name) with ``separator``."""
    return separator.join(str(v) for v in value if v not in (None, ""))


@register("split")
def split(value: str, separator: str = " ", index: int = 0, maxsplit: int = 1) -> str:
    """Part ``index`` of ``value`` split on ``separator`` (empty string when absent)."""
    parts = value.split(separator, maxsplit)
    return parts[index].strip() if -len(parts) <= index < len(parts) else ""


@register("format_date")
def format_date(value: date | datetime | str, format: str = "%Y-%m-%d") -> str:
    """A date (or ISO string) as text in ``format`` (strftime codes)."""
    parsed = value if isinstance(value, date) else datetime.fromisoformat(value)
    return parsed.strftime(format)


@register("parse_date")
def parse_date(value: str, format: str = "%Y-%m-%d") -> date:
    """Text in ``format`` as a date."""
    return datetime.strptime(value.strip(), format).date()


@register("digits")
def digits(value: str) -> str:
    """Only the digits of ``value`` (phone numbers, postcodes)."""
    return "".join(ch for ch in value if ch.isdigit())


@register("prefix")
def prefix(value: str, text: str) -> str:
    """``text`` + value, unless it already starts with it (e.g. debtor number prefixes)."""
    return value if value.startswith(text) else text + value


@register("remove_prefix")
def remove_prefix(value: str, text: str) -> str:
    return value.removeprefix(text)
