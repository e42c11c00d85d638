"""Window snapshots for incremental sync: per (calendar, week) the sync token of the
last complete read and the events it saw (DESIGN.md 4.9).

Events are one JSON document per row: the sync engine reads and writes a week's
window whole, and their shape follows ``blocker.core.models.RemoteEvent`` (see
``blocker/store/codec.py``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_snapshots",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("window_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("window_end", UTC_TIMESTAMP, nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("full_read_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "week", name=op.f("pk_sync_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("sync_snapshots")
