"""Named transforms: typed functions from a registry, never eval."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from syncline.errors import ConfigError
from syncline.mapping import apply, get_transform, register, transform_names
from syncline.mapping.transforms import TransformError, argument_problems


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


def test_a_failing_transform_is_an_error_naming_where_the_transform_and_the_value() -> None:
    with pytest.raises(TransformError) as info:
        apply("value_map", "Z", {"mapping": {"A": "gold"}}, where="map 'customers', field 'tier'")
    assert str(info.value).startswith(
        "map 'customers', field 'tier': transform 'value_map' failed on 'Z': "
        "value 'Z' is not in the value map (A)"
    )
    with pytest.raises(TransformError, match="transform 'truncate' failed on 'abc': "):
        apply("truncate", "abc", {"len": 2})


@pytest.mark.parametrize(
    ("name", "args", "problems"),
    [
        ("truncate", {"length": 5}, {}),
        ("truncate", {"len": 5}, {"len": "takes no argument 'len'; its arguments: length"}),
        ("truncate", {}, {None: "missing a required argument: 'length'"}),
        ("truncate", {"length": "5"}, {"length": "argument 'length' must be int, got '5'"}),
        ("truncate", {"length": True}, {"length": "must be int, got True"}),
        ("upper", {"text": "x"}, {"text": "takes no argument 'text'; its arguments: none"}),
        ("value_map", {"mapping": {"A": 1}, "default": [1]}, {}),
        ("value_map", {"mapping": {1: "A"}}, {"mapping": "must be dict[str, Any], got {1: 'A'}"}),
        ("split", {"separator": ",", "index": "1"}, {"index": "must be int, got '1'"}),
    ],
)
def test_arguments_are_bound_to_the_signature_and_checked_against_its_types(
    name: str, args: dict[str, Any], problems: dict[str | None, str]
) -> None:
    found = argument_problems(name, args)
    assert found.keys() == problems.keys()
    for arg, reason in problems.items():
        assert reason in found[arg]


def test_arguments_of_an_untyped_transform_are_checked_by_name_only() -> None:
    register("test_untyped")(lambda value, suffix: f"{value}{suffix}")
    assert argument_problems("test_untyped", {"suffix": 1}) == {}
    assert "its arguments: suffix" in argument_problems("test_untyped", {"sufix": 1})["sufix"]


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
