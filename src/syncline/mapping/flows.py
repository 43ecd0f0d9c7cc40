"""Business flows in ``syncline.yaml`` (the ``flows:`` list): one entry per process that crosses
the CRM/ERP border. ``kind`` picks the process; the other keys are that process's settings.

```yaml
flows:
  - name: orders
    kind: order_handoff
    crm: crm
    erp: erp
    party_map: customers
    product_map: products
    discount_limit: 10
```
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

FLOW_NAME_PATTERN = r"^[a-z][a-z0-9_\-]*$"
PartyRoleName = Literal["customer", "debtor", "supplier"]


class FlowSchedule(BaseModel):
    """How often ``syncline flows run`` (or the scheduler) starts the flow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: float = Field(default=300.0, gt=0, description="Seconds between runs.")


class FlowBase(BaseModel):
    """What every flow shares: its name, the two systems and whether it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=FLOW_NAME_PATTERN, description="Unique name of the flow.")
    crm: str = Field(default="crm", description="The CRM system (name under 'systems').")
    erp: str = Field(default="erp", description="The ERP system (name under 'systems').")
    enabled: bool = Field(default=True, description="false: the flow never runs.")
    schedule: FlowSchedule = Field(default_factory=FlowSchedule)


class OrderHandoffConfig(FlowBase):
    """A won deal with an accepted quote becomes a confirmed ERP sales order."""

    kind: Literal["order_handoff"] = "order_handoff"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    product_map: str = Field(
        default="products",
        description="Map whose links join CRM and ERP products (the catalogue links).",
    )
    discount_limit: Decimal = Field(
        default=Decimal(10),
        ge=0,
        le=100,
        description="Largest line discount in percent that needs no approval in the CRM.",
    )


class CustomerMasterConfig(FlowBase):
    """ERP debtors become linked CRM accounts; the ERP leads their number, name and address."""

    kind: Literal["customer_master"] = "customer_master"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    roles: list[PartyRoleName] = Field(
        default_factory=lambda: list[PartyRoleName](["debtor"]),
        min_length=1,
        description="ERP parties with any of these roles are taken over into the CRM.",
    )
    create_in_crm: bool = Field(
        default=True, description="Create a CRM account for a debtor no account matches."
    )


class ProductCatalogueConfig(FlowBase):
    """The ERP's salable products and their groups become the CRM's catalogue."""

    kind: Literal["product_catalogue"] = "product_catalogue"
    product_map: str = Field(
        default="products",
        description="Map whose links join CRM and ERP products (the catalogue links).",
    )
    create_in_crm: bool = Field(
        default=True, description="Create a CRM product for an ERP product no SKU matches."
    )


class BillingDocumentsConfig(FlowBase):
    """ERP invoices and credit notes with their lines become read-only copies in the CRM."""

    kind: Literal["billing_documents"] = "billing_documents"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    product_map: str = Field(
        default="products",
        description="Map whose links join CRM and ERP products (lines point at CRM products).",
    )
    lookback_days: int = Field(
        default=90, ge=1, description="Only documents dated within this many days are copied."
    )


class ServiceCasesConfig(FlowBase):
    """CRM service cases about goods become ERP complaints; the ERP's state comes back."""

    kind: Literal["service_cases"] = "service_cases"
    case_types: list[Literal["warranty", "defect", "complaint"]] = Field(
        default_factory=lambda: list[Literal["warranty", "defect", "complaint"]](
            ["warranty", "defect", "complaint"]
        ),
        min_length=1,
        description="CRM case types that become ERP complaints.",
    )


class TimeAggregationConfig(FlowBase):
    """CRM time entries summed per customer, project, phase and month become ERP timesheet
    lines, once per period; late entries are booked as corrections in the next run."""

    kind: Literal["time_aggregation"] = "time_aggregation"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    case_project: str = Field(
        default="Service {customer}",
        description="ERP project for time logged on cases ({customer}: the ERP party's name).",
    )
    billable_only: bool = Field(default=True, description="Only billable entries are summed.")
    phases: bool = Field(
        default=True,
        description="Sum and book each phase of a project on its own line, on the ERP "
        "project's sub-work (at any depth) of that name where there is one; false: one line "
        "per project.",
    )
    phase_field: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_\-]+$",
        description="Custom field of CRM tasks naming the phase of the time logged on them "
        "(a dropdown, so small tasks share a phase); unset: the task's title is the phase.",
    )


class ServiceBillingConfig(FlowBase):
    """CRM service agreements: each period's billable positions become an ERP order, once;
    a later change to a billed period is billed as a correction in the next run."""

    kind: Literal["service_billing"] = "service_billing"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    product_map: str = Field(
        default="products",
        description="Map whose links join CRM and ERP products (the catalogue links).",
    )


class ShipmentNoticeConfig(FlowBase):
    """A shipment the ERP has done becomes an activity on the CRM account and deal."""

    kind: Literal["shipment_notice"] = "shipment_notice"
    party_map: str = Field(
        default="customers",
        description="Map whose links join CRM accounts and ERP parties (entity party).",
    )
    order_flow: str | None = Field(
        default=None,
        description="The order_handoff flow whose orders name the deal to notify.",
    )
    lookback_days: int = Field(
        default=30, ge=1, description="Only shipments done within this many days are noticed."
    )


FlowConfig = Annotated[
    OrderHandoffConfig
    | CustomerMasterConfig
    | ProductCatalogueConfig
    | BillingDocumentsConfig
    | ServiceCasesConfig
    | TimeAggregationConfig
    | ServiceBillingConfig
    | ShipmentNoticeConfig,
    Field(discriminator="kind"),
]
"""One entry of ``flows:``; ``kind`` selects the model."""

FLOW_KINDS: tuple[str, ...] = (
    "order_handoff",
    "customer_master",
    "product_catalogue",
    "billing_documents",
    "service_cases",
    "time_aggregation",
    "service_billing",
    "shipment_notice",
)


__all__ = [
    "FLOW_KINDS",
    "FLOW_NAME_PATTERN",
    "BillingDocumentsConfig",
    "CustomerMasterConfig",
    "FlowBase",
    "FlowConfig",
    "FlowSchedule",
    "OrderHandoffConfig",
    "PartyRoleName",
    "ProductCatalogueConfig",
    "ServiceBillingConfig",
    "ServiceCasesConfig",
    "ShipmentNoticeConfig",
    "TimeAggregationConfig",
]
