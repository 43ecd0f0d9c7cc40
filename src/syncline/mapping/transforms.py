"""Named, typed value transforms used by field rules. There is no eval of strings.

A transform is a function ``(value, **args) -> value``. Built-ins are registered here; a package
can add more through the ``syncline.transforms`` entry point group (name -> callable).
``syncline check`` binds a field rule's ``args`` to the transform's signature and checks them
against its annotations (:func:`argument_problems`), so a wrong argument never reaches a sync.
"""

from __future__ import annotations

import inspect
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from importlib.metadata import entry_points
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError

from syncline.errors import ConfigError, SynclineError

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


class TransformError(SynclineError):
    """A transform failed on a value while syncing; the message names the transform, the
    value and (given by the caller) the map and field."""


def apply(name: str, value: Any, args: Mapping[str, Any] | None = None, *, where: str = "") -> Any:
    """Run transform ``name`` on ``value``; None passes through unchanged.

    Whatever the transform raises becomes a TransformError that starts with ``where`` (the
    caller's "map 'customers', field 'name'") and names the transform and the value."""
    if value is None:
        return None
    transform = get_transform(name)
    try:
        return transform(value, **(args or {}))
    except Exception as exc:  # a transform may come from a plugin: any error is its failure
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        place = f"{where}: " if where else ""
        raise TransformError(
            f"{place}transform {name!r} failed on {shown}: {exc}; fix the value or the "
            "transform's args in the field rule"
        ) from exc


def argument_problems(name: str, args: Mapping[str, Any]) -> dict[str | None, str]:
    """What is wrong with ``args`` for transform ``name``: arguments its signature does not
    take or needs, and values that are not of the type it declares. Keyed by the argument
    the problem is about (None: the arguments as a whole); empty when they fit."""
    transform = get_transform(name)
    try:
        signature = inspect.signature(transform)
    except (TypeError, ValueError):  # a callable without a signature: nothing to check
        return {}
    parameters = list(signature.parameters.values())[1:]  # the first one takes the value
    takes = ", ".join(p.name for p in parameters) or "none"
    if not any(p.kind == p.VAR_KEYWORD for p in parameters):
        unknown = sorted(set(args) - {p.name for p in parameters})
        if unknown:
            listed = ", ".join(repr(u) for u in unknown)
            return {
                unknown[0]: f"transform {name!r} takes no argument {listed}; its arguments: {takes}"
            }
    try:
        bound = signature.bind(None, **args)
    except TypeError as exc:
        return {None: f"transform {name!r}: {exc}; its arguments: {takes}"}
    try:
        hints = get_type_hints(transform)
    except (NameError, TypeError):  # a plugin's annotations that do not resolve: names only
        hints = {}
    problems: dict[str | None, str] = {}
    for parameter in parameters:
        hint = hints.get(parameter.name)
        if hint is None or parameter.name not in bound.arguments:
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        given = bound.arguments[parameter.name]
        try:
            TypeAdapter(hint).validate_python(given, strict=True)
        except ValidationError:
            problems[parameter.name] = (
                f"transform {name!r}: argument {parameter.name!r} must be "
                f"{_type_name(hint)}, got {given!r}"
            )
    return problems


def _type_name(hint: Any) -> str:
    """``int``, ``dict[str, Any]``: a declared type as a person reads it."""
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


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
