"""syncline.yaml: every problem is named with file, line and key; secrets come from the env."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncline.cli.starter import STARTER_CONFIG
from syncline.errors import ConfigError
from syncline.mapping import InvalidConfigError, Leading, load_config, load_config_text

BASE = """\
version: 1
systems:
  erp:
    type: sql
    url: ${ERP_URL}
  crm:
    type: sql
maps:
  - name: customers
    entity: party
    a: erp
    b: crm
    conflict: {leading: erp}
    fields:
      - field: name
        owner: erp
      - field: emails
        conflict: manual
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "syncline.yaml", env=env if env is not None else {"ERP_URL": "x"})
    err = info.value
    return [str(p) for p in err.problems] if isinstance(err, InvalidConfigError) else [str(err)]


def test_valid_config_loads_with_policies() -> None:
    loaded = load_config_text(BASE, "syncline.yaml", env={"ERP_URL": "sqlite:///erp.db"})
    m = loaded.config.map("customers")
    assert m.conflict == Leading(leading="erp")
    assert m.rule("emails") is not None and m.rule("emails").conflict == "manual"  # type: ignore[union-attr]
    assert loaded.config.systems["erp"].settings() == {"url": "sqlite:///erp.db"}
    assert loaded.line_of(("maps", 0, "fields", 1, "conflict")) == 18


def test_missing_environment_variable_is_named_with_its_line() -> None:
    assert problems(BASE, env={}) == [
        "syncline.yaml:5: systems.erp.url: environment variable ERP_URL is not set"
    ]


def test_default_value_syntax_for_non_secrets() -> None:
    text = BASE.replace("${ERP_URL}", "${ERP_URL:-sqlite:///fallback.db}")
    loaded = load_config_text(text, "f.yaml", env={})
    assert loaded.config.systems["erp"].settings()["url"] == "sqlite:///fallback.db"


def test_secret_values_never_appear_in_messages() -> None:
    text = BASE.replace("    type: sql\n    url", "    type: sql\n    password: ${PW}\n    url", 1)
    text = text.replace("version: 1", "version: 7")
    found = problems(text, env={"ERP_URL": "x", "PW": "hunter2-secret"})
    assert found and all("hunter2-secret" not in p for p in found)


def test_unknown_key_names_line_and_path() -> None:
    text = BASE.replace("        owner: erp\n", "        owner: erp\n        colour: red\n")
    assert problems(text) == [
        "syncline.yaml:17: maps.0.fields.0.colour: unknown key (check the spelling; "
        "`syncline config schema` lists all keys)"
    ]


def test_wrong_type_names_line_and_path() -> None:
    text = BASE.replace("    b: crm\n", "    b: crm\n    overlap_seconds: soon\n")
    (found,) = problems(text)
    assert found.startswith("syncline.yaml:13: maps.0.overlap_seconds:")


def test_several_problems_are_all_reported() -> None:
    text = BASE.replace("    b: crm\n", "    b: crm\n    direction: sideways\n").replace(
        "        owner: erp\n", "        owner: erp\n        colour: red\n"
    )
    assert len(problems(text)) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("systems: [\n", "syncline.yaml:2: not valid YAML"),
        ("- a\n- b\n", "syncline.yaml:1: the top level must be a mapping"),
        ("version: 1\nversion: 1\n", "syncline.yaml:2: key 'version' is given twice"),
    ],
)
def test_malformed_yaml(text: str, expected: str) -> None:
    (found,) = problems(text)
    assert found.startswith(expected)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    b: crm\n", "    b: shop\n"), "names system 'shop'"),
        (("{leading: erp}", "{leading: shop}"), "leading system 'shop'"),
        (("        owner: erp\n", "        owner: shop\n"), "owner 'shop'"),
        (("    b: crm\n", "    b: erp\n"), "a and b must be different"),
    ],
)
def test_cross_references_are_checked(change: tuple[str, str], message: str) -> None:
    (found,) = problems(BASE.replace(*change))
    assert message in found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    b: crm\n", "    b: shop\n"),
            "syncline.yaml:12: maps.0.b: map 'customers' names system 'shop', not under 'systems'",
        ),
        (
            ("{leading: erp}", "{leading: shop}"),
            "syncline.yaml:13: maps.0.conflict.leading: map 'customers': leading system 'shop' "
            "is not erp or crm",
        ),
        (
            ("        owner: erp\n", "        owner: shop\n"),
            "syncline.yaml:16: maps.0.fields.0.owner: map 'customers': owner 'shop' of field "
            "'name' is not erp or crm",
        ),
        (
            ("      - field: emails\n", "      - field: name\n"),
            "syncline.yaml:17: maps.0.fields.1.field: map 'customers': field 'name' is listed "
            "twice",
        ),
        (
            ("  crm:\n", "  Crm:\n"),
            "syncline.yaml:6: systems.Crm: system name 'Crm' must match",
        ),
        (
            ("    conflict: {leading: erp}\n", "    direction: sideways\n"),
            "syncline.yaml:13: maps.0.direction: Input should be 'both', 'a_to_b' or 'b_to_a' "
            "(got 'sideways')",
        ),
    ],
)
def test_cross_reference_and_value_errors_name_their_line_and_key(
    change: tuple[str, str], expected: str
) -> None:
    found = problems(BASE.replace(*change))
    assert any(p.startswith(expected) for p in found), found
    assert not any("Value error" in p for p in found), found


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="syncline init"):
        load_config(tmp_path / "nope.yaml")


def test_starter_config_is_valid() -> None:
    loaded = load_config_text(
        STARTER_CONFIG, "starter", env={"SYNCLINE_ERP_PASSWORD": "x", "SYNCLINE_CRM_TOKEN": "y"}
    )
    assert [m.name for m in loaded.config.maps] == ["customers", "contacts", "products"]
