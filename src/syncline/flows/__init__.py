"""Business flows across the CRM/ERP border (docs/flows.md).

Each flow is an explicit state machine over persisted items (``flow_items``), idempotent and
audited; ``build_flow`` wires one from ``syncline.yaml``, ``flow_status`` summarises them all.
"""

from __future__ import annotations

from syncline.flows.base import Candidate, Flow, FlowReport, RunOptions, run_flow
from syncline.flows.machine import (
    Advance,
    Change,
    FlowDefinitionError,
    FlowError,
    StateMachine,
    TransitionError,
    Wait,
    step,
)
from syncline.flows.order_form import OrderForm, OrderFormLine, order_form
from syncline.flows.order_handoff import HandoffResult, OrderHandoff, submit_order
from syncline.flows.registry import build_flow, flow_config, order_handoff
from syncline.flows.status import FlowStatus, flow_status

__all__ = [
    "Advance",
    "Candidate",
    "Change",
    "Flow",
    "FlowDefinitionError",
    "FlowError",
    "FlowReport",
    "FlowStatus",
    "HandoffResult",
    "OrderForm",
    "OrderFormLine",
    "OrderHandoff",
    "RunOptions",
    "StateMachine",
    "TransitionError",
    "Wait",
    "build_flow",
    "flow_config",
    "flow_status",
    "order_form",
    "order_handoff",
    "run_flow",
    "step",
    "submit_order",
]
