"""Building the flows of ``syncline.yaml``: each ``kind`` with its CRM and ERP adapters.

Flow kinds are listed explicitly (no string-based plugin lookup) so the type checker follows
every one. The adapters exist for BottleCRM (CRM) and Tryton (ERP); a flow naming a system of
another type is a configuration error that says so.
"""

from __future__ import annotations

from collections.abc import Callable

from syncline.connectors.base import Connector
from syncline.errors import ConfigError
from syncline.flows.base import Flow
from syncline.flows.billing_documents import BillingDocuments
from syncline.flows.customer_master import CustomerMaster
from syncline.flows.linking import MapSides, map_sides
from syncline.flows.order_handoff import OrderHandoff
from syncline.flows.ports import CrmSide, ErpSide
from syncline.flows.product_catalogue import ProductCatalogue
from syncline.flows.service_billing import ServiceBilling
from syncline.flows.service_cases import ServiceCases
from syncline.flows.shipment_notice import ShipmentNotice
from syncline.flows.time_aggregation import TimeAggregation
from syncline.mapping.config import SynclineConfig
from syncline.mapping.flows import (
    BillingDocumentsConfig,
    CustomerMasterConfig,
    FlowConfig,
    OrderHandoffConfig,
    ProductCatalogueConfig,
    ServiceBillingConfig,
    ServiceCasesConfig,
    ShipmentNoticeConfig,
    TimeAggregationConfig,
)
from syncline.store import Store

ConnectorGetter = Callable[[str], Connector]
"""Returns the connector of a system by its name (``Runtime.connector``)."""


def flow_config(config: SynclineConfig, name: str) -> FlowConfig:
    """The flow named ``name``; KeyError listing the known flows."""
    for flow in config.flows:
        if flow.name == name:
            return flow
    known = ", ".join(f.name for f in config.flows) or "(none)"
    raise KeyError(f"no flow named {name!r}; flows: {known}")


def flow_problems(config: SynclineConfig) -> list[str]:
    """What is wrong with the ``flows:`` of ``config`` beyond the schema: repeated names,
    unknown systems, missing maps or maps that do not join the flow's systems (for
    ``syncline check``). Empty when all is well."""
    problems: list[str] = []
    names = [f.name for f in config.flows]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"flows: the name {name!r} is used twice")
    for n, flow in enumerate(config.flows):
        for key in ("crm", "erp"):
            system = getattr(flow, key)
            if system not in config.systems:
                problems.append(f"flows.{n}.{key}: {system!r} is not under 'systems'")
        for key in ("party_map", "product_map"):
            map_name = getattr(flow, key, None)
            if map_name is None:
                continue
            try:
                map_sides(config, map_name, flow.crm, flow.erp)
            except ConfigError as exc:
                problems.append(f"flows.{n}.{key}: {exc}")
    return problems


def contact_sides(config: SynclineConfig, crm: str, erp: str) -> MapSides | None:
    """The first map of entity ``contact`` joining ``crm`` and ``erp`` (its links carry a
    quote's or invoice's contact across), or None when there is none."""
    found = next(
        (m for m in config.maps if m.entity == "contact" and {m.a, m.b} == {crm, erp}), None
    )
    return map_sides(config, found.name, crm, erp) if found is not None else None


def crm_side(connector: Connector) -> CrmSide:
    """The CRM adapter for ``connector`` (BottleCRM)."""
    from syncline.connectors.bottlecrm import BottleCrmConnector  # noqa: PLC0415 - lazy
    from syncline.flows.crm_bottlecrm import BottleCrmSide  # noqa: PLC0415

    if not isinstance(connector, BottleCrmConnector):
        raise ConfigError(
            f"flows need a BottleCRM system as the CRM; {connector.system!r} is not one"
        )
    return BottleCrmSide(connector)


def erp_side(connector: Connector) -> ErpSide:
    """The ERP adapter for ``connector`` (Tryton)."""
    from syncline.connectors.tryton import TrytonConnector  # noqa: PLC0415 - lazy
    from syncline.flows.erp_tryton import TrytonSide  # noqa: PLC0415

    if not isinstance(connector, TrytonConnector):
        raise ConfigError(f"flows need a Tryton system as the ERP; {connector.system!r} is not one")
    return TrytonSide(connector)


def build_flow(config: SynclineConfig, store: Store, connector: ConnectorGetter, name: str) -> Flow:
    """The flow ``name`` of ``config``, wired to its systems; ConfigError when a system or a
    map it needs is missing or of the wrong kind."""
    cfg = flow_config(config, name)
    for system in (cfg.crm, cfg.erp):
        if system not in config.systems:
            raise ConfigError(f"flow {name!r} names system {system!r}, not under 'systems'")
    crm = crm_side(connector(cfg.crm))
    erp = erp_side(connector(cfg.erp))

    def sides(map_name: str) -> MapSides:
        return map_sides(config, map_name, cfg.crm, cfg.erp)

    contacts = contact_sides(config, cfg.crm, cfg.erp)
    if isinstance(cfg, OrderHandoffConfig):
        return OrderHandoff(
            cfg, store, crm=crm, erp=erp,
            parties=sides(cfg.party_map), products=sides(cfg.product_map), contacts=contacts,
        )  # fmt: skip
    if isinstance(cfg, CustomerMasterConfig):
        return CustomerMaster(cfg, store, crm=crm, erp=erp, parties=sides(cfg.party_map))
    if isinstance(cfg, ProductCatalogueConfig):
        return ProductCatalogue(cfg, store, crm=crm, erp=erp, products=sides(cfg.product_map))
    if isinstance(cfg, BillingDocumentsConfig):
        return BillingDocuments(
            cfg, store, crm=crm, erp=erp,
            parties=sides(cfg.party_map), products=sides(cfg.product_map), contacts=contacts,
        )  # fmt: skip
    if isinstance(cfg, ServiceCasesConfig):
        return ServiceCases(cfg, store, crm=crm, erp=erp)
    if isinstance(cfg, TimeAggregationConfig):
        return TimeAggregation(cfg, store, crm=crm, erp=erp, parties=sides(cfg.party_map))
    if isinstance(cfg, ServiceBillingConfig):
        return ServiceBilling(
            cfg, store, crm=crm, erp=erp,
            parties=sides(cfg.party_map), products=sides(cfg.product_map),
        )  # fmt: skip
    if isinstance(cfg, ShipmentNoticeConfig):
        return ShipmentNotice(cfg, store, crm=crm, erp=erp, parties=sides(cfg.party_map))
    raise ConfigError(f"flow {name!r} has an unknown kind")


def order_handoff(
    config: SynclineConfig, store: Store, connector: ConnectorGetter, name: str | None = None
) -> OrderHandoff:
    """The order handoff flow ``name`` (default: the first one in the config), for the order
    entry form; KeyError when there is none."""
    if name is None:
        name = next((f.name for f in config.flows if isinstance(f, OrderHandoffConfig)), None)
        if name is None:
            raise KeyError("syncline.yaml has no flow of kind order_handoff")
    flow = build_flow(config, store, connector, name)
    if not isinstance(flow, OrderHandoff):
        raise KeyError(f"flow {name!r} is not an order_handoff flow")
    return flow


__all__ = [
    "ConnectorGetter",
    "build_flow",
    "contact_sides",
    "crm_side",
    "erp_side",
    "flow_config",
    "flow_problems",
    "order_handoff",
]
