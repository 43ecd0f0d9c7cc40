"""flow items: the persisted state of each item of a business flow

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syncline.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("flow_name", sa.String(length=200), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("data", syncline.store.types.json_type(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_items")),
        sa.UniqueConstraint("flow_name", "item_key", name=op.f("uq_flow_items_flow_name_item_key")),
    )
    with op.batch_alter_table("flow_items", schema=None) as batch_op:
        batch_op.create_index("ix_flow_items_flow_name_state", ["flow_name", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_items", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_items_flow_name_state")
    op.drop_table("flow_items")
