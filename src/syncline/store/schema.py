"""The state store's tables (SQLAlchemy Core). Alembic migrations create and evolve them.

Vocabulary (ARCHITECTURE.md §3): a *link* joins the same real-world object in two systems of a
map; its *snapshot* holds the last canonical values both sides agreed on; *cursors* remember how
far change capture got; the *inbox* holds received webhook events; the *outbox* holds planned
writes (``dead`` ones are the dead-letter list); *conflicts* wait for a person; *review items*
are match suggestions; *audit events* record every applied change; *runs* record cycles;
*unreadable records* are records capture could not read as canonical entities, waiting for a
person to fix them in their system.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from syncline.store.types import UtcDateTime, json_type

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = 200  # length of native ids and names

links = Table(
    "links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("id_a", String(ID), nullable=True),  # null while the create on side a is pending
    Column("id_b", String(ID), nullable=True),
    Column("origin", String(16), nullable=False),  # key | fuzzy | manual | created | import
    Column("pinned", Boolean, nullable=False, default=False),  # made by a person: never undone
    Column("state", String(16), nullable=False, default="active"),  # active | unlinked | deleted
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("map_name", "id_a"),
    Index("ix_links_map_name_id_b", "map_name", "id_b"),
    Index("ix_links_map_name_state", "map_name", "state"),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("link_id", Integer, ForeignKey("links.id", ondelete="CASCADE"), primary_key=True),
    Column("values", json_type(), nullable=False),  # canonical field values both sides agreed on
    Column("content_hash", String(64), nullable=False),
    Column("version_a", String(ID), nullable=True),
    Column("version_b", String(ID), nullable=True),
    Column("hash_a", String(64), nullable=True),  # content hash of side a as last read
    Column("hash_b", String(64), nullable=True),
    Column("synced_at", UtcDateTime, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("map_name", String(ID), primary_key=True),
    Column("system", String(ID), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("modified_at", UtcDateTime, nullable=True),
    Column("native_id", String(ID), nullable=False, default=""),
    # ids and content hashes seen inside the overlap window, to drop re-reads
    Column("window", json_type(), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),  # when the cursor moved to its position
    # when a read begun an overlap after ``updated_at`` read the window again (null: not yet)
    Column("settled_at", UtcDateTime, nullable=True),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(ID), nullable=False),
    Column("event_id", String(ID), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("entity", String(64), nullable=True),
    Column("native_id", String(ID), nullable=True),
    Column("payload", json_type(), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime, nullable=True),
    UniqueConstraint("system", "event_id"),
    Index("ix_inbox_system_processed_at", "system", "processed_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("link_id", Integer, ForeignKey("links.id", ondelete="SET NULL"), nullable=True),
    Column("target_system", String(ID), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("op", String(16), nullable=False),  # create | update | archive | delete
    Column("native_id", String(ID), nullable=True),
    Column("payload", json_type(), nullable=False),
    Column("fields", json_type(), nullable=True),  # canonical fields the update touches
    Column("base_version", String(ID), nullable=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    # pending | running | done | dead | skipped | superseded
    Column("state", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("depends_on", Integer, ForeignKey("outbox.id"), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("error_kind", String(32), nullable=True),  # transient | rate_limited | permanent | auth
    Column("claimed_by", String(ID), nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_outbox_target_system_state", "target_system", "state"),
    Index("ix_outbox_link_id_state", "link_id", "state"),
    Index("ix_outbox_map_name_state", "map_name", "state"),
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("link_id", Integer, ForeignKey("links.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("field", String(ID), nullable=False),
    Column("base_value", json_type(), nullable=True),
    Column("value_a", json_type(), nullable=True),
    Column("value_b", json_type(), nullable=True),
    Column("version_a", String(ID), nullable=True),
    Column("version_b", String(ID), nullable=True),
    Column("changed_at_a", UtcDateTime, nullable=True),
    Column("changed_at_b", UtcDateTime, nullable=True),
    Column("state", String(16), nullable=False, default="open"),  # open | resolved
    Column("resolution", String(16), nullable=True),  # a | b | value
    Column("resolved_value", json_type(), nullable=True),
    Column("resolved_by", String(ID), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_conflicts_state_map_name", "state", "map_name"),
    Index("ix_conflicts_link_id_field_state", "link_id", "field", "state"),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # match | import_duplicate
    Column("group_key", String(ID), nullable=True),  # candidates of one decision share it
    Column("left_system", String(ID), nullable=False),
    Column("left_id", String(ID), nullable=False),
    Column("right_system", String(ID), nullable=False),
    Column("right_id", String(ID), nullable=False),
    Column("score", Float, nullable=False),
    Column("details", json_type(), nullable=False),
    Column("state", String(16), nullable=False, default="open"),  # open | decided
    Column("decision", String(16), nullable=True),  # link | create | skip | merge
    Column("decided_by", String(ID), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("map_name", "left_system", "left_id", "right_system", "right_id"),
    Index("ix_review_items_state_map_name", "state", "map_name"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("map_name", String(ID), nullable=True),
    Column("link_id", Integer, nullable=True),  # no FK: the trail outlives unlinked records
    Column("entity", String(64), nullable=True),
    Column("field", String(ID), nullable=True),
    Column("old_value", json_type(), nullable=True),
    Column("new_value", json_type(), nullable=True),
    Column("source_system", String(ID), nullable=True),
    Column("source_version", String(ID), nullable=True),
    Column("target_system", String(ID), nullable=True),
    # sync | create | delete | archive | conflict_policy | manual_resolution | ownership_revert
    # | ownership_flag | link | unlink | flow
    Column("reason", String(32), nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("job_id", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_link_id_at", "link_id", "at"),
    Index("ix_audit_events_field_at", "field", "at"),
    Index("ix_audit_events_map_name_at", "map_name", "at"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),  # sync | load | import | flow
    Column("state", String(16), nullable=False),  # running | ok | failed
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("stats", json_type(), nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_runs_map_name_started_at", "map_name", "started_at"),
)

circuits = Table(
    "circuits",
    metadata,
    Column("system", String(ID), primary_key=True),
    Column("state", String(16), nullable=False),  # closed | open | half_open
    Column("failures", Integer, nullable=False, default=0),
    Column("opened_at", UtcDateTime, nullable=True),
    Column("retry_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

unreadable_records = Table(
    "unreadable_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("map_name", String(ID), nullable=False),
    Column("system", String(ID), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("native_id", String(ID), nullable=False),
    Column("reason", Text, nullable=False),  # the connector's words: which record, and why
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    UniqueConstraint("map_name", "system", "native_id"),
)

flow_items = Table(
    "flow_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow_name", String(ID), nullable=False),
    Column("item_key", String(ID), nullable=False),  # e.g. "deal:4f1c..." or "2026-05:acct 7"
    Column("state", String(32), nullable=False),  # a state of the flow's state machine
    Column("data", json_type(), nullable=False),  # ids and facts the steps recorded
    Column("error", Text, nullable=True),  # why the item is stuck (cleared on progress)
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("flow_name", "item_key"),
    Index("ix_flow_items_flow_name_state", "flow_name", "state"),
)
