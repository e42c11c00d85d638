"""Runs keep their notices apart from their errors (branch ``fixes``).

A run record kept what it tells without having failed (an event it could not read,
a colour fallback) among its errors with a ``notice: `` prefix, so the API's
``errors`` mixed failures with notices. ``runs.notices`` holds them now; rows written
before stay as they are and are split when read (``blocker.store.sync_state``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("notices", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("notices")
