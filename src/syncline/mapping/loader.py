"""Reading ``syncline.yaml``: YAML with line numbers, ``${ENV}`` interpolation, validation.

Every problem becomes a ConfigError (or a list of them) naming the file, the line and the key.
Secrets are only ever referenced as ``${VAR}``; the values are read from the environment and
never echoed back in messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from syncline.errors import ConfigError
from syncline.mapping.config import SynclineConfig

Path_ = tuple[str | int, ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class InvalidConfigError(ConfigError):
    """Several config problems at once; ``problems`` holds each as its own ConfigError."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadedConfig:
    """A validated config plus where each key stood in the file (for later error messages)."""

    config: SynclineConfig
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known key on ``path`` (1-based), or None."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        key = ".".join(str(p) for p in path)
        return ConfigError(f"{key}: {message}", file=self.file, line=self.line_of(path))


_SCALARS = yaml.constructor.SafeConstructor()


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key, str) or not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    "keys must be plain strings", file=file, line=key_node.start_mark.line + 1
                )
            if key in result:
                raise ConfigError(
                    f"key {'.'.join(map(str, (*path, key)))!r} is given twice",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*path, key), lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, (*path, i), lines, file) for i, v in enumerate(node.value)]
    return _SCALARS.construct_object(node, deep=True)


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text into Python data and a map from key paths to 1-based line numbers."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", file=file, line=line) from None
    lines: dict[Path_, int] = {}
    if node is None:
        return {}, lines
    return _to_python(node, (), lines, file), lines


def interpolate(
    data: Any,
    env: Mapping[str, str],
    path: Path_ = (),
    missing: list[tuple[Path_, str]] | None = None,
) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string; collect missing variables."""
    missing = [] if missing is None else missing
    if isinstance(data, dict):
        return {k: interpolate(v, env, (*path, k), missing) for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, env, (*path, i), missing) for i, v in enumerate(data)]
    if isinstance(data, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            missing.append((path, name))
            return ""

        return _ENV.sub(replace, data)
    return data


def _pydantic_problems(exc: ValidationError, loaded: LoadedConfig) -> list[ConfigError]:
    problems = []
    for err in exc.errors():
        loc: Path_ = tuple(p for p in err["loc"] if isinstance(p, str | int))
        # pydantic puts union member names ('Leading', 'literal[...]') into the location
        loc = tuple(p for p in loc if not (isinstance(p, str) and (p[:1].isupper() or "[" in p)))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; `syncline config schema` lists all keys)"
        elif err["type"] == "value_error":
            # our own validators' messages, without pydantic's "Value error, " before them,
            # at the key they name
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, ValueError):
                message = str(cause)
                loc = (*loc, *getattr(cause, "path", ()))
        elif err["type"] in ("enum", "literal_error"):
            # one of a few names: the value given is no secret
            message = f"{message} (got {err.get('input')!r})"
        elif err["type"] not in ("missing", "assertion_error"):
            # name the bad value's type, but never a value that might be a secret
            message = f"{message} (got {type(err.get('input')).__name__})"
        problems.append(
            loaded.error(loc, message) if loc else ConfigError(message, file=loaded.file)
        )
    return problems


def load_config_text(
    text: str, file: str = "<string>", env: Mapping[str, str] | None = None
) -> LoadedConfig:
    """Parse, interpolate and validate config text; InvalidConfigError lists every problem."""
    data, lines = parse_yaml(text, file)
    if not isinstance(data, dict):
        raise ConfigError(
            "the top level must be a mapping of keys (store, systems, maps)", file=file, line=1
        )
    missing: list[tuple[Path_, str]] = []
    data = interpolate(data, os.environ if env is None else env, (), missing)
    placeholder = LoadedConfig(SynclineConfig(), file, lines)
    problems = [
        placeholder.error(path, f"environment variable {name} is not set") for path, name in missing
    ]
    try:
        config = SynclineConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, placeholder))
        raise InvalidConfigError(problems) from None
    if problems:
        raise InvalidConfigError(problems)
    return LoadedConfig(config, file, lines)


def load_config(path: Path, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Load ``path``; a missing or unreadable file is a ConfigError saying what to do."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found; create one with `syncline init` or pass --config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    return load_config_text(text, str(path), env)
