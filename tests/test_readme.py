"""The README is the user's manual: it must name every config key and every CLI command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from syncline.cli import app
from syncline.mapping import SynclineConfig

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")


def _keys(schema: dict[str, Any]) -> set[str]:
    keys = set(schema.get("properties", {}))
    for definition in schema.get("$defs", {}).values():
        keys |= set(definition.get("properties", {}))
    return keys


def _commands(command: Any, prefix: str) -> list[str]:
    found = []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        path = f"{prefix} {name}"
        children = getattr(sub, "commands", None)
        found.extend(_commands(sub, path) if children else [path])
    return found


def test_readme_documents_every_config_key() -> None:
    # a key counts as documented when it stands inside backticks (`schedule.every`, `{leading: X}`)
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    spans = " ".join(re.findall(r"`([^`]+)`", prose))
    documented = set(re.findall(r"[a-z_]+", spans))
    missing = sorted(k for k in _keys(SynclineConfig.model_json_schema()) if k not in documented)
    assert missing == []


def test_readme_documents_every_cli_command() -> None:
    commands = _commands(typer.main.get_command(app), "syncline")
    assert "syncline status" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert missing == []


def test_readme_starts_with_the_two_setup_commands() -> None:
    head = README[:1500]
    assert "make demo" in head and "make test" in head
