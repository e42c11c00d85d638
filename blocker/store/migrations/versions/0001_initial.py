"""Initial schema: users, connections, sync state, runs, rules, channels, schedules.

Written with autogenerate, then reviewed by hand: timestamps are plain
``DateTime(timezone=True)`` here (the model's UTCDateTime decorator only changes
Python-side conversion), so this file does not depend on model code.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 09:15:41.532071
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "applied_blocks",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "week", name=op.f("pk_applied_blocks")),
    )
    op.create_table(
        "calendar_schedules",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("next_generate_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("next_poll_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("last_run_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("calendar_id", name=op.f("pk_calendar_schedules")),
    )
    op.create_index(
        op.f("ix_calendar_schedules_next_generate_at"),
        "calendar_schedules",
        ["next_generate_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_calendar_schedules_next_poll_at"),
        "calendar_schedules",
        ["next_poll_at"],
        unique=False,
    )

    op.create_table(
        "event_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=1024), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_mappings")),
        sa.UniqueConstraint("calendar_id", "key", name=op.f("uq_event_mappings_calendar_id_key")),
    )
    op.create_index(
        "ix_event_mappings_calendar_event",
        "event_mappings",
        ["calendar_id", "event_id"],
        unique=False,
    )
    op.create_index(
        "ix_event_mappings_calendar_week", "event_mappings", ["calendar_id", "week"], unique=False
    )

    op.create_table(
        "pins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("start_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("end_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pins")),
        sa.UniqueConstraint(
            "calendar_id", "week", "key", name=op.f("uq_pins_calendar_id_week_key")
        ),
    )
    op.create_table(
        "push_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=255), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=1024), nullable=True),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_channels")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_push_channels_channel_id")),
    )
    op.create_index(
        op.f("ix_push_channels_calendar_id"), "push_channels", ["calendar_id"], unique=False
    )
    op.create_index(
        op.f("ix_push_channels_expires_at"), "push_channels", ["expires_at"], unique=False
    )

    op.create_table(
        "rules_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules_versions")),
    )
    op.create_index(
        op.f("ix_rules_versions_is_current"), "rules_versions", ["is_current"], unique=False
    )

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("ops", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("counters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_calendar_started", "runs", ["calendar_id", "started_at"], unique=False)
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"], unique=False)

    op.create_table(
        "sync_tokens",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", name=op.f("pk_sync_tokens")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("account_label", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("token_blob", sa.LargeBinary(), nullable=True),
        sa.Column("provider_calendar_id", sa.String(length=1024), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "provider IN ('local', 'google', 'outlook', 'memory')",
            name=op.f("ck_calendar_connections_provider"),
        ),
        sa.CheckConstraint(
            "status IN ('connected', 'needs_reconnect', 'disconnected')",
            name=op.f("ck_calendar_connections_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sa.UniqueConstraint("calendar_id", name=op.f("uq_calendar_connections_calendar_id")),
    )
    op.create_index(
        op.f("ix_calendar_connections_user_id"), "calendar_connections", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("calendar_connections")
    op.drop_table("users")
    op.drop_table("sync_tokens")
    op.drop_table("runs")
    op.drop_table("rules_versions")
    op.drop_table("push_channels")
    op.drop_table("pins")
    op.drop_table("event_mappings")
    op.drop_table("calendar_schedules")
    op.drop_table("applied_blocks")
