"""The BottleCRM custom fields syncline's default mappings store values in.

BottleCRM drops a custom value whose field is not defined without a word, so the connector can
check the definitions (``missing``, used by the health probe) and create them (``ensure``, an
admin token is needed). The demo CRM creates them through ``ensure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncline.connectors.bottlecrm.client import BottleCrmClient, Json

DEFINITIONS_PATH = "/api/custom-fields/"


@dataclass(frozen=True)
class CustomField:
    """One custom field definition: ``target`` is BottleCRM's model name (``Case``)."""

    target: str
    key: str
    label: str
    field_type: str = "text"
    options: tuple[str, ...] = ()

    def body(self, order: int) -> Json:
        """The request body that creates this definition."""
        options: list[dict[str, Any]] | None = None
        if self.options:
            options = [
                {"value": v, "label": v.replace("_", " ").capitalize()} for v in self.options
            ]
        return {
            "target_model": self.target,
            "key": self.key,
            "label": self.label,
            "field_type": self.field_type,
            "options": options,
            "is_filterable": True,
            "display_order": order,
        }


def required(erp_number_field: str = "erp_number") -> tuple[CustomField, ...]:
    """Every custom field the default mappings use (``erp_number_field`` on accounts)."""
    return (
        CustomField("Account", erp_number_field, "ERP debtor number"),
        CustomField(
            "Case",
            "case_type",
            "Case type (ERP)",
            "dropdown",
            ("question", "warranty", "defect", "complaint"),
        ),
        CustomField("Case", "product_code", "Product code"),
        CustomField("Case", "order_number", "ERP order number"),
        CustomField("Case", "erp_reference", "ERP complaint"),
        CustomField("Case", "erp_state", "ERP complaint state"),
        CustomField(
            "Invoice", "erp_document", "ERP document", "dropdown", ("invoice", "credit_note")
        ),
        CustomField("Invoice", "erp_number", "ERP number"),
        CustomField(
            "Invoice",
            "erp_state",
            "ERP state",
            "dropdown",
            ("draft", "posted", "paid", "cancelled"),
        ),
        CustomField("Invoice", "erp_origin", "ERP origin"),
        CustomField("Invoice", "erp_party_number", "ERP debtor number"),
    )


def defined(client: BottleCrmClient) -> set[tuple[str, str]]:
    """(target, key) of every active custom field definition."""
    body = client.get(DEFINITIONS_PATH, {"active_only": "true", "include_counts": "false"})
    rows = body.get("definitions")
    return {
        (str(row.get("target_model")), str(row.get("key")))
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict)
    }


def missing(client: BottleCrmClient, erp_number_field: str = "erp_number") -> list[CustomField]:
    """The required custom fields BottleCRM does not define."""
    have = defined(client)
    return [f for f in required(erp_number_field) if (f.target, f.key) not in have]


def ensure(client: BottleCrmClient, erp_number_field: str = "erp_number") -> list[CustomField]:
    """Create the missing definitions (needs an admin token); returns those created."""
    created = missing(client, erp_number_field)
    for order, field in enumerate(created):
        client.post(DEFINITIONS_PATH, field.body(order))
    return created
