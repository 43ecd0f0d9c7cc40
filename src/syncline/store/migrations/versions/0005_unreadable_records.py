"""unreadable records: records capture could not read, waiting for a person to fix them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syncline.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unreadable_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("native_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_seen", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("last_seen", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unreadable_records")),
        sa.UniqueConstraint(
            "map_name",
            "system",
            "native_id",
            name=op.f("uq_unreadable_records_map_name_system_native_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("unreadable_records")
