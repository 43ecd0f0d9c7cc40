"""Named transforms: typed functions from a registry, never eval."""

from __future__ import annotations

from datetime import date

import pytest

from syncline.errors import ConfigError
from syncline.mapping import apply, get_transform, register, transform_names


def test_builtins() -> None:
    assert apply("upper", "müller") == "MÜLLER"
    assert apply("value_map", "A", {"mapping": {"A": "gold", "B": "silver"}}) == "gold"
    assert apply("value_map", "Z", {"mapping": {"A": "gold"}, "strict": False}) == "Z"
    assert apply("join", ["Ola", None, "Nordmann"]) == "Ola Nordmann"
    assert apply("split", "Ola Nordmann", {"index": 1}) == "Nordmann"
    assert apply("format_date", date(2026, 3, 1), {"format": "%d.%m.%Y"}) == "01.03.2026"
    assert apply("parse_date", "01.03.2026", {"format": "%d.%m.%Y"}) == date(2026, 3, 1)
    assert apply("digits", "+47 22 33 44 55") == "4722334455"
    assert apply("prefix", "10023", {"text": "D"}) == "D10023"
    assert apply("prefix", "D10023", {"text": "D"}) == "D10023"
    assert apply("upper", None) is None


def test_value_map_rejects_unknown_codes_by_name() -> None:
    with pytest.raises(ValueError, match="'Z' is not in the value map"):
        apply("value_map", "Z", {"mapping": {"A": "gold"}})


def test_unknown_transform_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"known transforms: .*upper"):
        get_transform("shout")


def test_register_adds_a_transform_and_refuses_a_clash() -> None:
    @register("test_reverse")
    def reverse(value: str) -> str:
        return value[::-1]

    assert apply("test_reverse", "abc") == "cba"
    assert "test_reverse" in transform_names()
    with pytest.raises(ConfigError, match="registered twice"):
        register("test_reverse")(lambda v: v)
