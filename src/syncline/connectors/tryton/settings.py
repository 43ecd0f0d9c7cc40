"""How syncline reaches one Tryton server (config ``type: tryton``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class TrytonSettings(BaseModel):
    """Connection settings of a Tryton ERP.

    The password is a secret: in ``syncline.yaml`` it is given as a ``${ENV_VAR}`` reference
    and it is never logged or shown in ``repr``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="Base URL of the Tryton server, e.g. http://127.0.0.1:8000")
    database: str = Field(min_length=1, description="Tryton database name")
    username: str = Field(default="admin", min_length=1, description="Tryton login")
    password: SecretStr = Field(description="Password of the Tryton login")
    timeout: float = Field(default=60.0, gt=0, description="Read timeout per call, seconds")
    connect_timeout: float = Field(default=5.0, gt=0, description="Connect timeout, seconds")
    retries: int = Field(default=3, ge=0, description="Retries of a transient failure")
    backoff: float = Field(default=0.5, ge=0, description="First retry delay, seconds")
    write_batch_size: int = Field(default=500, gt=0, description="Records per write call")
    read_batch_size: int = Field(default=500, gt=0, description="Records per read call")
    language: str | None = Field(default=None, description="Language code for the session")

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value.rstrip("/")

    @property
    def rpc_url(self) -> str:
        """The database's JSON-RPC endpoint."""
        return f"{self.url}/{self.database}/rpc/"


__all__ = ["TrytonSettings"]
