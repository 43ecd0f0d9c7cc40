"""Configuration of one BottleCRM system (``type: bottlecrm`` in ``syncline.yaml``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator


class BottleCrmSettings(BaseModel):
    """Connection settings. Secrets come from ``${ENV_VAR}`` references in the config."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    url: HttpUrl
    """Base URL of the BottleCRM API server, e.g. ``https://crm.example.com``."""
    token: SecretStr
    """Personal access token (``bcrm_pat_...``), sent as ``Authorization: Bearer``."""
    webhook_secret: SecretStr | None = None
    """Signing secret of the webhook registered for syncline (None: no push capture)."""
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    """How old (seconds) a webhook's signed timestamp may be before it is refused."""
    timeout_seconds: float = Field(default=30.0, gt=0)
    """Per-request timeout in seconds."""
    write_concurrency: int = Field(default=4, ge=1, le=16)
    """Parallel write requests (BottleCRM does ~25 creates/s with 4 threads)."""
    page_size: int = Field(default=1000, ge=1, le=1000)
    """Records per list request (BottleCRM accepts ``limit=1000``)."""
    erp_number_field: str = "erp_number"
    """Key of the account custom field holding the ERP debtor number (``Party.numbers["erp"]``)."""

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("token must not be empty")
        return value

    def base_url(self) -> str:
        """The URL without a trailing slash."""
        return str(self.url).rstrip("/")
