"""Users keep their address, encrypted (``users.email_sealed``).

Until now only the address's keyed hash was stored, so nothing could act for a
member without their browser session: the scheduler's weekly generation, the
webhooks of a member's own calendar and the lead's view all need the member's
scope, whose book of business is keyed by the address. The address is sealed with
the store's key like connection labels (``blocker.store.accounts``). Existing users
get it at their next sign-in or ``blocker user add``; until then they are skipped
by per-user jobs (and the log says so).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (no batch rebuild of ``users``: see 0004 and 0009)
    op.add_column(
        "users",
        sa.Column("email_sealed", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN email_sealed")
