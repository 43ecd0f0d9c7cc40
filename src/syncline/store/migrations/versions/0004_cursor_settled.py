"""cursors: when the overlap window of the cursor's position was read again and settled

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syncline.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # null (a cursor saved before): its window is read once more, then it settles
    with op.batch_alter_table("cursors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settled_at", syncline.store.types.UtcDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("cursors", schema=None) as batch_op:
        batch_op.drop_column("settled_at")
