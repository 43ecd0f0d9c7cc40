"""Declarative maps: the ``syncline.yaml`` models, its loader and the named transforms."""

from __future__ import annotations

from syncline.mapping.config import (
    DeletePolicy,
    Direction,
    FieldRule,
    Leading,
    MapConfig,
    MatchConfig,
    MatchThresholds,
    OwnershipPolicy,
    SynclineConfig,
    SystemConfig,
)
from syncline.mapping.loader import InvalidConfigError, LoadedConfig, load_config, load_config_text
from syncline.mapping.transforms import apply, get_transform, register, transform_names

__all__ = [
    "DeletePolicy",
    "Direction",
    "FieldRule",
    "InvalidConfigError",
    "Leading",
    "LoadedConfig",
    "MapConfig",
    "MatchConfig",
    "MatchThresholds",
    "OwnershipPolicy",
    "SynclineConfig",
    "SystemConfig",
    "apply",
    "get_transform",
    "load_config",
    "load_config_text",
    "register",
    "transform_names",
]
