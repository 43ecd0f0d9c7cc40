"""The configuration file ``syncline.yaml`` as pydantic models (the JSON Schema is generated
from these; they are the one source of truth for every config key).

Field names in maps are canonical field names (``name``, ``emails``, ``addresses``); each
connector ships the mapping between its native fields and the canonical ones.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from syncline.mapping.flows import FlowConfig

NAME_PATTERN = r"^[a-z][a-z0-9_\-]*$"


class ConfigValueError(ValueError):
    """A value that contradicts another part of the config; ``path`` is the key to report it
    at, below the model that found it (the loader adds the file's line)."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Direction(StrEnum):
    BOTH = "both"
    A_TO_B = "a_to_b"
    B_TO_A = "b_to_a"


class DeletePolicy(StrEnum):
    PROPAGATE = "propagate"  # delete the linked record in the other system
    ARCHIVE = "archive"  # set the other record inactive
    UNLINK = "unlink"  # forget the link, keep both records
    FLAG = "flag"  # keep everything, raise a conflict item for a person


class OwnershipPolicy(StrEnum):
    PROTECT = "protect"  # revert the non-owner's edit in its system
    FLAG = "flag"  # keep the edit there, report it


class Leading(Strict):
    """Conflict policy: this system's value wins; the loser is kept in the audit log."""

    leading: str = Field(description="Name of the system whose value wins a conflict.")


ConflictPolicy = Annotated[
    Literal["manual"] | Leading,
    Field(description="'manual' (a person decides) or {leading: SYSTEM}."),
]


class TransformRef(Strict):
    """A named transform from the registry and its arguments."""

    name: str = Field(description="Registered transform name, e.g. 'value_map' or 'upper'.")
    args: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments.")


class FieldRule(Strict):
    """How one canonical field flows between the two systems of a map."""

    field: str = Field(description="Canonical field on system a (dotted paths not allowed).")
    target: str | None = Field(
        default=None, description="Canonical field on system b (default: the same name)."
    )
    sync: bool = Field(default=True, description="false: never copy this field.")
    owner: str | None = Field(
        default=None, description="System that owns the field; the other may not change it."
    )
    on_foreign_edit: OwnershipPolicy = Field(
        default=OwnershipPolicy.PROTECT,
        description="What happens when the non-owner edits an owned field.",
    )
    conflict: ConflictPolicy | None = Field(
        default=None, description="Conflict policy for this field (default: the map's)."
    )
    transform: TransformRef | None = Field(
        default=None, description="Applied to values going from a to b."
    )
    reverse_transform: TransformRef | None = Field(
        default=None, description="Applied to values going from b to a."
    )

    @property
    def target_field(self) -> str:
        return self.target or self.field


class MatchThresholds(Strict):
    """Scores in [0, 1]: >= auto_link links, >= review asks a person, below creates new."""

    auto_link: float = Field(default=0.92, ge=0, le=1)
    review: float = Field(default=0.75, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> MatchThresholds:
        if self.review > self.auto_link:
            raise ConfigValueError("review threshold must not exceed auto_link", "review")
        return self


class MatchConfig(Strict):
    """How records without a link find their partner before anything is created."""

    keys: list[str] = Field(
        default_factory=list,
        description="Deterministic keys tried in order (canonical fields, e.g. vat_id, email).",
    )
    fuzzy: bool = Field(default=False, description="Score remaining records with the matcher.")
    thresholds: MatchThresholds = Field(default_factory=MatchThresholds)


class Schedule(Strict):
    every: float | None = Field(
        default=None,
        gt=0,
        description="Under 'syncline sync --every', at least this many seconds between this "
        "map's cycles (a map of slow-moving data may run less often than the others); "
        "none: every round.",
    )


class MapConfig(Strict):
    """One entity flowing between two systems."""

    name: str = Field(pattern=NAME_PATTERN, description="Unique name of the map.")
    entity: str = Field(description="Canonical entity: party, contact, product, ...")
    a: str = Field(description="First system (name under 'systems').")
    b: str = Field(description="Second system.")
    direction: Direction = Field(default=Direction.BOTH)
    conflict: ConflictPolicy = Field(
        default="manual", description="Default conflict policy for fields without their own."
    )
    fields: list[FieldRule] = Field(
        default_factory=list, description="Rules for fields; unlisted fields sync by default."
    )
    only_listed_fields: bool = Field(
        default=False, description="true: only the fields listed under 'fields' are shared."
    )
    match: MatchConfig = Field(default_factory=MatchConfig)
    delete: DeletePolicy = Field(default=DeletePolicy.FLAG)
    many_to_one: bool = Field(
        default=False, description="Allow several records of a to link to one record of b."
    )
    overlap_seconds: float = Field(
        default=5.0, ge=0, description="Cursor capture re-reads this many seconds back."
    )
    scan_every: float = Field(
        default=900.0,
        ge=0,
        description=(
            "Seconds between full scans of a system that also offers cursor or push capture "
            "(finds hard deletes, lost webhooks, changes a cursor cannot see); 0: never."
        ),
    )
    schedule: Schedule = Field(default_factory=Schedule)
    enabled: bool = True

    @model_validator(mode="after")
    def _distinct_systems(self) -> MapConfig:
        if self.a == self.b:
            raise ConfigValueError(f"map {self.name!r}: a and b must be different systems", "b")
        seen: set[str] = set()
        for j, rule in enumerate(self.fields):
            if rule.field in seen:
                raise ConfigValueError(
                    f"map {self.name!r}: field {rule.field!r} is listed twice", "fields", j, "field"
                )
            seen.add(rule.field)
        return self

    def rule(self, field: str) -> FieldRule | None:
        return next((r for r in self.fields if r.field == field), None)


class SystemConfig(BaseModel):
    """Connection settings of one external system. ``type`` picks the connector; the other
    keys are that connector's settings (see the connector's section in the README)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(description="Connector type: tryton, bottlecrm, sql, ...")

    def settings(self) -> dict[str, Any]:
        """The connector-specific keys (everything but ``type``)."""
        return dict(self.model_extra or {})


class StoreConfig(Strict):
    url: str = Field(
        default="sqlite:///syncline-state.db",
        description="State store: sqlite:///PATH (default) or postgresql://USER@HOST/DB.",
    )


class SynclineConfig(Strict):
    """The whole ``syncline.yaml``."""

    version: Literal[1] = 1
    store: StoreConfig = Field(default_factory=StoreConfig)
    systems: dict[str, SystemConfig] = Field(default_factory=dict)
    maps: list[MapConfig] = Field(default_factory=list)
    flows: list[FlowConfig] = Field(
        default_factory=list, description="Business flows across the CRM/ERP border."
    )

    @field_validator("systems")
    @classmethod
    def _system_names(cls, value: dict[str, SystemConfig]) -> dict[str, SystemConfig]:
        for name in value:
            if not re.match(NAME_PATTERN, name):
                raise ConfigValueError(f"system name {name!r} must match {NAME_PATTERN}", name)
        return value

    @model_validator(mode="after")
    def _references(self) -> SynclineConfig:
        names = [m.name for m in self.maps]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ConfigValueError(
                    f"map names must be unique; {name!r} is the name of an earlier map",
                    "maps", i, "name",
                )  # fmt: skip
        for i, m in enumerate(self.maps):
            for key, side in (("a", m.a), ("b", m.b)):
                if side not in self.systems:
                    raise ConfigValueError(
                        f"map {m.name!r} names system {side!r}, not under 'systems'",
                        "maps", i, key,
                    )  # fmt: skip
            policies: list[tuple[tuple[str | int, ...], ConflictPolicy | None]] = [
                (("maps", i, "conflict"), m.conflict),
                *(
                    (("maps", i, "fields", j, "conflict"), r.conflict)
                    for j, r in enumerate(m.fields)
                ),
            ]
            for path, policy in policies:
                if isinstance(policy, Leading) and policy.leading not in (m.a, m.b):
                    raise ConfigValueError(
                        f"map {m.name!r}: leading system {policy.leading!r} is not {m.a} or {m.b}",
                        *path, "leading",
                    )  # fmt: skip
            for j, r in enumerate(m.fields):
                if r.owner is not None and r.owner not in (m.a, m.b):
                    raise ConfigValueError(
                        f"map {m.name!r}: owner {r.owner!r} of field {r.field!r} is not "
                        f"{m.a} or {m.b}",
                        "maps", i, "fields", j, "owner",
                    )  # fmt: skip
        return self

    def map(self, name: str) -> MapConfig:
        for m in self.maps:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.maps) or "(none)"
        raise KeyError(f"no map named {name!r}; maps: {known}")
