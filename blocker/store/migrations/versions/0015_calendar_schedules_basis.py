"""Members' calendars are scheduled from their own rules (``calendar_schedules.basis``).

The procrastinate path keeps one row per calendar with its next weekly generation,
computed in the user's zone. A member's times come from their effective rules (the
template and their overlay); ``basis`` records which template and overlay version
they were computed from, so a worker rebuilds only the users whose overlay (or the
template) changed since, not all 10,000 at every start.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("calendar_schedules", sa.Column("basis", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_schedules") as batch:
        batch.drop_column("basis")
