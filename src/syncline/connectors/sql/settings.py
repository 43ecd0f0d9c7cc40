"""How syncline reaches the tables of a database (config ``type: sql``).

A system is one table (the table's keys beside ``url``: :class:`SqlSettings`) or several
tables of one database, one entity each (``tables``: :class:`SqlDatabaseSettings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError


class SqlUrl(BaseModel):
    """What a ``type: sql`` system sets once for its database, whatever its tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="SQLAlchemy URL, e.g. sqlite:///legacy.db or postgresql://...")

    @field_validator("url")
    @classmethod
    def _plain_postgres(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value


class SqlTable(BaseModel):
    """One table of a database: the entity its rows are and the column of each field.

    ``columns`` maps canonical field names to column names; a list, dict or nested field is
    stored in its column as JSON text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    origin_column: str | None = Field(
        default=None,
        description="Text column (indexed, at least 80 characters) in which syncline writes the "
        "idempotency key of its last create or update of each row: after a crash, recovery "
        "finds the row an interrupted create made, exactly, and knows whether an interrupted "
        "update landed.",
    )
    read_batch_size: int = Field(default=500, gt=0, description="Rows per read.")
    write_batch_size: int = Field(default=500, gt=0, description="Rows per write transaction.")

    @model_validator(mode="after")
    def _origin_apart(self) -> SqlTable:
        own = {self.key_column, self.modified_column, self.deleted_column, *self.columns.values()}
        if self.origin_column is not None and self.origin_column in own:
            raise _invalid(
                f"origin_column {self.origin_column!r} is a column syncline reads or writes "
                "already: give it a column of its own"
            )
        return self


class SqlSettings(SqlTable, SqlUrl):
    """One table of a database reachable through SQLAlchemy, seen as a system.

    The password belongs in ``url`` as a ``${ENV_VAR}``.
    """


class SqlDatabaseSettings(SqlUrl):
    """Several tables of one database as one system, one entity each (config ``tables``):
    a contact's ``party_id`` then refers to a party of the same system."""

    tables: list[SqlTable] = Field(
        description="The system's tables, one entity each: {table, entity, columns, ...}.",
        json_schema_extra={"minItems": 1},
    )

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            misplaced = [key for key in SqlTable.model_fields if key in data]
            if misplaced:
                raise _invalid(
                    "give either 'table' (a system of one table) or 'tables' (several), not "
                    f"both: move {', '.join(misplaced)} into an item of 'tables'"
                )
        return data

    @field_validator("tables")
    @classmethod
    def _one_table_per_entity(cls, tables: list[SqlTable]) -> list[SqlTable]:
        if not tables:
            raise _invalid("list at least one table (its table, entity and columns)")
        held: dict[str, list[str]] = {}
        for table in tables:
            held.setdefault(table.entity, []).append(table.table)
        for entity, names in held.items():
            if len(names) > 1:
                raise _invalid(
                    f"entity {entity!r} is held by tables {', '.join(names)}: a system holds "
                    "each entity in one table (make the others systems of their own)"
                )
        return tables

    def table_settings(self) -> list[SqlSettings]:
        """Each table's settings as a system of its own (the url is the database's)."""
        url = self.url
        return [SqlSettings.model_validate({**t.model_dump(), "url": url}) for t in self.tables]


def _invalid(message: str) -> PydanticCustomError:
    """A validation error showing ``message`` as it is (no "Value error, " before it)."""
    return PydanticCustomError("sql_tables", message)


def sql_settings_model(values: Mapping[str, Any]) -> type[SqlSettings | SqlDatabaseSettings]:
    """The form of a ``type: sql`` system's ``values``: several ``tables``, or one table."""
    return SqlDatabaseSettings if "tables" in values else SqlSettings


__all__ = ["SqlDatabaseSettings", "SqlSettings", "SqlTable", "SqlUrl", "sql_settings_model"]
