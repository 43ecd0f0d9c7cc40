"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syncline.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("entity", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("old_value", syncline.store.types.json_type(), nullable=True),
        sa.Column("new_value", syncline.store.types.json_type(), nullable=True),
        sa.Column("source_system", sa.String(length=200), nullable=True),
        sa.Column("source_version", sa.String(length=200), nullable=True),
        sa.Column("target_system", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_events_field_at", ["field", "at"], unique=False)
        batch_op.create_index("ix_audit_events_link_id_at", ["link_id", "at"], unique=False)
        batch_op.create_index("ix_audit_events_map_name_at", ["map_name", "at"], unique=False)

    op.create_table(
        "circuits",
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("retry_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_circuits")),
    )
    op.create_table(
        "cursors",
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("modified_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("native_id", sa.String(length=200), nullable=False),
        sa.Column("window", syncline.store.types.json_type(), nullable=False),
        sa.Column("updated_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("map_name", "system", "entity", name=op.f("pk_cursors")),
    )
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=True),
        sa.Column("native_id", sa.String(length=200), nullable=True),
        sa.Column("payload", syncline.store.types.json_type(), nullable=False),
        sa.Column("received_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("processed_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("system", "event_id", name=op.f("uq_inbox_system_event_id")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_system_processed_at", ["system", "processed_at"], unique=False
        )

    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("id_a", sa.String(length=200), nullable=True),
        sa.Column("id_b", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("map_name", "id_a", name=op.f("uq_links_map_name_id_a")),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("ix_links_map_name_id_b", ["map_name", "id_b"], unique=False)
        batch_op.create_index("ix_links_map_name_state", ["map_name", "state"], unique=False)

    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=True),
        sa.Column("left_system", sa.String(length=200), nullable=False),
        sa.Column("left_id", sa.String(length=200), nullable=False),
        sa.Column("right_system", sa.String(length=200), nullable=False),
        sa.Column("right_id", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("details", syncline.store.types.json_type(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint(
            "map_name",
            "left_system",
            "left_id",
            "right_system",
            "right_id",
            name=op.f("uq_review_items_map_name_left_system_left_id_right_system_right_id"),
        ),
    )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.create_index("ix_review_items_state_map_name", ["state", "map_name"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("finished_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("stats", syncline.store.types.json_type(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_map_name_started_at", ["map_name", "started_at"], unique=False
        )

    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("base_value", syncline.store.types.json_type(), nullable=True),
        sa.Column("value_a", syncline.store.types.json_type(), nullable=True),
        sa.Column("value_b", syncline.store.types.json_type(), nullable=True),
        sa.Column("version_a", sa.String(length=200), nullable=True),
        sa.Column("version_b", sa.String(length=200), nullable=True),
        sa.Column("changed_at_a", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("changed_at_b", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_value", syncline.store.types.json_type(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_conflicts_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conflicts_link_id_field_state", ["link_id", "field", "state"], unique=False
        )
        batch_op.create_index("ix_conflicts_state_map_name", ["state", "map_name"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_name", sa.String(length=200), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("target_system", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("native_id", sa.String(length=200), nullable=True),
        sa.Column("payload", syncline.store.types.json_type(), nullable=False),
        sa.Column("fields", syncline.store.types.json_type(), nullable=True),
        sa.Column("base_version", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("depends_on", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", syncline.store.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["depends_on"], ["outbox.id"], name=op.f("fk_outbox_depends_on_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_outbox_link_id_links"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_link_id_state", ["link_id", "state"], unique=False)
        batch_op.create_index("ix_outbox_map_name_state", ["map_name", "state"], unique=False)
        batch_op.create_index(
            "ix_outbox_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_target_system_state", ["target_system", "state"], unique=False
        )

    op.create_table(
        "snapshots",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("values", syncline.store.types.json_type(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version_a", sa.String(length=200), nullable=True),
        sa.Column("version_b", sa.String(length=200), nullable=True),
        sa.Column("hash_a", sa.String(length=64), nullable=True),
        sa.Column("hash_b", sa.String(length=64), nullable=True),
        sa.Column("synced_at", syncline.store.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_snapshots_link_id_links"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_snapshots")),
    )


def downgrade() -> None:

    op.drop_table("snapshots")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_target_system_state")
        batch_op.drop_index("ix_outbox_state_next_attempt_at")
        batch_op.drop_index("ix_outbox_map_name_state")
        batch_op.drop_index("ix_outbox_link_id_state")

    op.drop_table("outbox")
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_conflicts_state_map_name")
        batch_op.drop_index("ix_conflicts_link_id_field_state")

    op.drop_table("conflicts")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_map_name_started_at")

    op.drop_table("runs")
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index("ix_review_items_state_map_name")

    op.drop_table("review_items")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_map_name_state")
        batch_op.drop_index("ix_links_map_name_id_b")

    op.drop_table("links")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_system_processed_at")

    op.drop_table("inbox")
    op.drop_table("cursors")
    op.drop_table("circuits")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_map_name_at")
        batch_op.drop_index("ix_audit_events_link_id_at")
        batch_op.drop_index("ix_audit_events_field_at")
        batch_op.drop_index("ix_audit_events_at")

    op.drop_table("audit_events")
