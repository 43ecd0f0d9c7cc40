"""How syncline reaches one database table (config ``type: sql``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SqlSettings(BaseModel):
    """One table of a database reachable through SQLAlchemy, seen as a system.

    ``columns`` maps canonical field names to column names; a list, dict or nested field is
    stored in its column as JSON text. The password belongs in ``url`` as a ``${ENV_VAR}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="SQLAlchemy URL, e.g. sqlite:///legacy.db or postgresql://...")
    table: str = Field(min_length=1, description="Table holding the records.")
    entity: str = Field(default="party", description="Canonical entity the rows are.")
    key_column: str = Field(default="id", description="Primary key column (the native id).")
    key_kind: Literal["auto", "uuid"] = Field(
        default="auto", description="auto: the database assigns keys; uuid: syncline does."
    )
    modified_column: str | None = Field(
        default=None,
        description="Column with the last change time (UTC); enables cursor capture, else scan.",
    )
    deleted_column: str | None = Field(
        default=None, description="Boolean soft-delete column; deleted rows become tombstones."
    )
    columns: dict[str, str] = Field(
        min_length=1, description="Canonical field -> column name, e.g. {name: company_name}."
    )
    loose_lookup: bool = Field(
        default=True,
        description="Key lookups also find values written differently (case, white space of "
        "any kind, dots, dashes, slashes, brackets) and items of JSON list columns however "
        "escaped; each such lookup reads the whole table. Turn off for large tables whose key "
        "columns hold normal forms.",
    )
    read_batch_size: int = Field(default=500, gt=0, description="Rows per read.")
    write_batch_size: int = Field(default=500, gt=0, description="Rows per write transaction.")

    @field_validator("url")
    @classmethod
    def _plain_postgres(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value


__all__ = ["SqlSettings"]
