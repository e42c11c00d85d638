"""What a provider remembers between processes: our events' tags, and what a calendar
cannot do.

``event_tags``: per (calendar, event id) the ownership tag our event carried at an
etag. Graph's delta answers omit extended properties, so without this record the
first incremental read in a new process (the CLI right after a run) looked every
echo of the last run's writes up again (issue 16).

``capability_fallbacks``: per (calendar, capability) why the calendar does without
it (Outlook categories when the connection lacks ``MailboxSettings.ReadWrite``),
since when, and when a run record said so. A new connection of the calendar
clears them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_tags",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=False),
        sa.Column("etag", sa.String(length=1024), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "event_id", name=op.f("pk_event_tags")),
    )
    op.create_table(
        "capability_fallbacks",
        sa.Column("calendar_id", sa.String(length=255), nullable=False),
        sa.Column("capability", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", UTC_TIMESTAMP, nullable=False),
        sa.Column("announced_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("calendar_id", "capability", name=op.f("pk_capability_fallbacks")),
    )


def downgrade() -> None:
    op.drop_table("capability_fallbacks")
    op.drop_table("event_tags")
