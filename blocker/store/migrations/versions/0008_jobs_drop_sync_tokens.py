"""Drop ``sync_tokens``: one token per calendar, written by every run and read by nothing.

Incremental reads start from the token of the week's window snapshot
(``sync_snapshots.token``, migration 0003): a token belongs to the window it was
read with, so a per-calendar one could never seed a read. The downgrade recreates
the table empty (the old code only ever wrote it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("sync_tokens")


def downgrade() -> None:
    op.create_table(
        "sync_tokens",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", name=op.f("pk_sync_tokens")),
    )
